"""The newer lockfile formats end to end: a repository holding a pubspec.lock, a renv.lock, a
Package.resolved and a mix.lock (the unit-test fixtures) is scanned against a database of OSV
records written here for their ecosystems (Pub, CRAN, SwiftURL, Hex): each vulnerable package is
found on its lockfile line, the fixed ones are not, and the ecosystem's own version order decides
(Pub's build metadata, CRAN's '-' components). Needs nothing but the built agent."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jit_test_util import SOURCE_DIR, main, require_agent, run_agent  # noqa: E402

FIXTURES = os.path.join(SOURCE_DIR, "tests", "data", "lockfiles", "more")


def record(osv_id, ecosystem, name, fixed, severity="HIGH"):
    return {
        "schema_version": "1.6.0",
        "id": osv_id,
        "modified": "2024-05-01T00:00:00Z",
        "published": "2024-05-01T00:00:00Z",
        "summary": f"test advisory for {name}",
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
        "database_specific": {"severity": severity},
    }


RECORDS = [
    record("TEST-PUB-0001", "Pub", "http", "1.2.2"),                   # http 1.2.1: affected
    record("TEST-PUB-0002", "Pub", "markdown_widget", "2.3.2+1"),      # 2.3.2+6 is past the fix
    record("TEST-CRAN-0001", "CRAN", "markdown", "1.0-1"),             # markdown 1.0 < 1.0-1
    record("TEST-CRAN-0002", "CRAN", "jsonlite", "1.8.7"),             # 1.8.8: fixed
    record("TEST-SWIFT-0001", "SwiftURL", "github.com/apple/swift-nio", "2.65.0"),
    record("TEST-HEX-0001", "Hex", "cowboy", "2.11.0"),
]


class MoreLockfilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_agent()
        cls.tmp = tempfile.mkdtemp(prefix="jit-lockfiles-more-")
        records = os.path.join(cls.tmp, "records")
        os.makedirs(records)
        for r in RECORDS:
            with open(os.path.join(records, r["id"] + ".json"), "w") as f:
                json.dump(r, f)
        cls.db = os.path.join(cls.tmp, "db")
        imported = run_agent("-q", "db", "--db", cls.db, "import", records)
        assert imported.returncode == 0, imported.stderr
        cls.repo = os.path.join(cls.tmp, "repo")
        for folder, name in (("app", "pub/pubspec.lock"), ("analysis", "renv/renv.lock"),
                             ("ios", "swift-v2/Package.resolved"), ("server", "mix/mix.lock")):
            os.makedirs(os.path.join(cls.repo, folder), exist_ok=True)
            shutil.copy(os.path.join(FIXTURES, name), os.path.join(cls.repo, folder, os.path.basename(name)))
        cls.scan = run_agent("scan", cls.repo, "--controls", "dependencies", "--db", cls.db, "--no-git",
                             "--fail-on", "none", "--format", "json")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def findings(self):
        self.assertEqual(self.scan.returncode, 0, self.scan.stderr)
        out = json.loads(self.scan.stdout)
        return [f for f in out["findings"] if f.get("control") == "dependencies"]

    def test_each_vulnerable_package_on_its_lockfile_line(self):
        text = json.dumps(self.findings())
        for advisory in ("TEST-PUB-0001", "TEST-CRAN-0001", "TEST-SWIFT-0001", "TEST-HEX-0001"):
            self.assertIn(advisory, text)
        for fixed in ("TEST-PUB-0002", "TEST-CRAN-0002"):
            self.assertNotIn(fixed, text)
        where = {(f["path"], f.get("line", f.get("location", {}).get("line"))) for f in self.findings()}
        self.assertIn(("app/pubspec.lock", 25), where)
        self.assertIn(("analysis/renv.lock", 42), where)
        self.assertIn(("ios/Package.resolved", 21), where)
        self.assertIn(("server/mix.lock", 3), where)


if __name__ == "__main__":
    main()
