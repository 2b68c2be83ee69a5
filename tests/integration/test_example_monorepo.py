"""The bundled example is a contract: `jit-agent scan examples/monorepo` reports exactly what
examples/monorepo/EXPECTED.md lists (secrets), and the dependency findings it names."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from jit_test_util import SHARED_DATA, SOURCE_DIR, main, run_agent

EXAMPLE = os.path.join(SOURCE_DIR, "examples", "monorepo")


def table(section):
    """Rows of the first Markdown table under the heading starting with `section`."""
    text = open(os.path.join(EXAMPLE, "EXPECTED.md"), encoding="utf-8").read()
    body = text.split("\n## " + section, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        if not line.startswith("|") or re.match(r"^\|\s*-", line):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(cells)
    return rows[1:]  # drop the header


class ExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jit-example-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def scan(self, *args):
        r = run_agent("scan", EXAMPLE, "--format", "json", "--fail-on", "none", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_secrets_match_expected_exactly(self):
        expected = {(row[0], int(row[1]), row[2], row[3]) for row in table("Findings")}
        self.assertGreaterEqual(len(expected), 30)
        report = self.scan("--controls", "secrets")
        got = {(f["path"], f["line"], f["rule_id"], f["severity"]) for f in report["findings"]}
        self.assertEqual(sorted(got - expected), [], "reported but not in EXPECTED.md")
        self.assertEqual(sorted(expected - got), [], "in EXPECTED.md but not reported")
        self.assertEqual(report["stats"]["suppressed"], len(table("Suppressed")))

    def test_no_secret_value_leaves_redacted_reports(self):
        report = self.scan("--controls", "secrets", "--show-secrets")
        raws = [f["secret"]["raw"] for f in report["findings"]]
        out = os.path.join(self.tmp, "reports")
        r = run_agent("scan", EXAMPLE, "--controls", "secrets", "--fail-on", "none",
                      "--report", f"gitlab={out}/gl.json", "--report", f"sarif={out}/r.sarif",
                      "--report", f"json={out}/r.json", "--report", f"codequality={out}/cq.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        blobs = [r.stdout]
        for name in os.listdir(out):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                blobs.append(f.read())
        for raw in raws:
            if len(raw) < 8:
                continue
            for blob in blobs:
                self.assertNotIn(raw, blob)

    def test_dependencies_found_per_folder(self):
        if not os.path.isdir(os.path.join(SHARED_DATA, "osv-db")):
            self.skipTest(f"{SHARED_DATA}/osv-db is absent")
        db = os.path.join(self.tmp, "db")
        r = run_agent("db", "--db", db, "import", os.path.join(SHARED_DATA, "osv-db", "PyPI"),
                      os.path.join(SHARED_DATA, "osv-db", "Go"))
        self.assertEqual(r.returncode, 0, r.stderr)
        report = self.scan("--controls", "dependencies", "--db", db)
        found = {(f["dependency"]["folder"], f["dependency"]["package"].lower()) for f in report["findings"]}
        for project, _file, package, _version, _ in table("Dependencies"):
            if project == "services/web":
                continue  # the shared data holds no npm advisories
            self.assertIn(("/" + project, package.lower()), found, f"{package} in {project}")
        # services/web/fixtures is excluded for dependency scanning by .jit/jit-config.yml.
        self.assertFalse(any("fixtures" in f["path"] for f in report["findings"]))


if __name__ == "__main__":
    main()
