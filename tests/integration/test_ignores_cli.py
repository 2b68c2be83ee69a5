"""Ignores as code locally, through the binary: `scan --ignores FILE` leaves dismissed findings out
of the GitLab report and the exit code and keeps them in SARIF as suppressed (with the
justification) and in the JSON report's `ignored`; `--show-ignored` lists them in the text output;
`--write-baseline` then `--baseline` reports only what is new; `jit-agent ignore add|remove|list`
edit the file minimally (comments and order kept); `config validate` checks it (file:line:col) and
agrees with schemas/jit-ignores.schema.json on valid and invalid files."""
import json
import os
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jit_test_util as util  # noqa: E402

class _NoDates(yaml.SafeLoader):
    """YAML as the agent reads it: dates stay strings (PyYAML would make them date objects)."""


_NoDates.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

HEADER = "# Reviewed by the security team.\nignores:\n  # the generic rule is noisy in fixtures\n" \
         "  - rule: generic-password\n    path: \"**/fixtures/**\"\n    reason: accepted_risk\n"


class IgnoresCliTest(unittest.TestCase):
    def setUp(self):
        util.require_agent()
        self.tmp = tempfile.TemporaryDirectory(prefix="jit-ignores-")
        self.repo = os.path.join(self.tmp.name, "repo")
        os.makedirs(os.path.join(self.repo, "app"))
        self.kept = util.fake_github_pat(61)
        self.dismissed = util.fake_gitlab_pat(62)
        with open(os.path.join(self.repo, "app", "a.env"), "w") as f:
            f.write(f"GITHUB_TOKEN={self.kept}\n")
        with open(os.path.join(self.repo, "app", "b.env"), "w") as f:
            f.write(f"GITLAB_TOKEN={self.dismissed}\n")
        self.ignores = os.path.join(self.tmp.name, "ignores.yml")
        with open(self.ignores, "w") as f:
            f.write(HEADER)

    def tearDown(self):
        self.tmp.cleanup()

    def scan(self, *args):
        return util.run_agent("scan", self.repo, "--no-git", "--controls", "secrets", *args)

    def fingerprints(self):
        p = self.scan("--format", "json", "--fail-on", "none")
        self.assertEqual(0, p.returncode, p.stderr)
        return {f["path"]: f["fingerprint"] for f in json.loads(p.stdout)["findings"]}

    def test_ignore_command_scan_and_reports(self):
        fps = self.fingerprints()
        self.assertEqual({"app/a.env", "app/b.env"}, set(fps))
        p = util.run_agent("ignore", "add", "--file", self.ignores, "--fingerprint", fps["app/b.env"],
                           "--reason", "false_positive", "--comment", "revoked test key", "--author", "dev")
        self.assertEqual(0, p.returncode, p.stderr)
        # what was added is shown as the file has it, one key per line
        self.assertIn("\n    reason: false_positive\n", p.stdout)
        with open(self.ignores) as f:
            text = f.read()
        self.assertTrue(text.startswith(HEADER), text)  # a minimal edit: everything before is kept
        self.assertEqual(0, util.run_agent("config", "validate", self.ignores).returncode)

        out = os.path.join(self.tmp.name, "out")
        os.makedirs(out)
        p = self.scan("--ignores", self.ignores, "--format", "text", "--show-ignored", "--fail-on", "low",
                      "--report", f"gitlab={out}/gl.json", "--report", f"sarif={out}/jit.sarif",
                      "--report", f"json={out}/jit.json")
        self.assertEqual(1, p.returncode, p.stderr)  # the GitHub token still fails the scan
        self.assertIn("Ignored", p.stdout)
        self.assertIn("revoked test key", p.stdout)
        self.assertNotIn(self.dismissed, p.stdout + p.stderr)
        with open(f"{out}/gl.json") as f:
            self.assertEqual(["app/a.env"], [v["location"]["file"] for v in json.load(f)["vulnerabilities"]])
        with open(f"{out}/jit.sarif") as f:
            results = [r for run in json.load(f)["runs"] for r in run["results"]]
        suppressed = [r for r in results if r.get("suppressions")]
        self.assertEqual(1, len(suppressed))
        self.assertEqual("accepted", suppressed[0]["suppressions"][0]["status"])
        self.assertIn("false positive: revoked test key", suppressed[0]["suppressions"][0]["justification"])
        with open(f"{out}/jit.json") as f:
            report = json.load(f)
        self.assertEqual(["app/a.env"], [x["path"] for x in report["findings"]])
        self.assertEqual("false_positive", report["ignored"][0]["suppression"]["reason"])
        if os.path.isdir(util.SHARED_DATA):
            import jsonschema
            for name, schema in (("jit.sarif", os.path.join(util.SHARED_DATA, "schemas", "sarif-schema-2.1.0.json")),
                                 ("jit.json", os.path.join(util.SOURCE_DIR, "schemas", "jit-report.schema.json"))):
                with open(schema) as s, open(f"{out}/{name}") as r:
                    jsonschema.validate(json.load(r), json.load(s))

        # Dismissing the other one too makes the scan pass; remove brings it back.
        util.run_agent("ignore", "add", "--file", self.ignores, "--fingerprint", fps["app/a.env"],
                       "--reason", "accepted_risk", "--expires", "2999-12-31")
        self.assertEqual(0, self.scan("--ignores", self.ignores, "--fail-on", "low").returncode)
        p = util.run_agent("ignore", "list", "--file", self.ignores)
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertIn("until 2999-12-31", p.stdout)
        p = util.run_agent("ignore", "remove", "--file", self.ignores, "--fingerprint", fps["app/a.env"])
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertEqual(1, self.scan("--ignores", self.ignores, "--fail-on", "low").returncode)
        p = util.run_agent("ignore", "remove", "--file", self.ignores, "--fingerprint", fps["app/a.env"])
        self.assertEqual(2, p.returncode)

    def test_baseline(self):
        baseline = os.path.join(self.tmp.name, "baseline.yml")
        p = self.scan("--write-baseline", baseline, "--fail-on", "none")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertEqual(0, self.scan("--baseline", baseline, "--fail-on", "low").returncode)
        new = util.fake_github_pat(63)
        with open(os.path.join(self.repo, "app", "c.env"), "w") as f:
            f.write(f"TOKEN={new}\n")
        p = self.scan("--baseline", baseline, "--fail-on", "low", "--format", "json")
        self.assertEqual(1, p.returncode, p.stderr)
        self.assertEqual(["app/c.env"], [f["path"] for f in json.loads(p.stdout)["findings"]])

    def test_validation_and_schema_agree(self):
        import jsonschema
        with open(os.path.join(util.SOURCE_DIR, "schemas", "jit-ignores.schema.json")) as f:
            schema = json.load(f)
        fp = "a" * 64
        valid = [HEADER, "ignores: []\n", "",
                 f"ignores:\n  - fingerprint: {fp}\n    reason: false_positive\n    author: {{username: dev, id: 7}}\n"
                 "    created: 2026-12-01T10:00:00Z\n    expires: 2027-03-01\n    project: group/app\n",
                 "ignores:\n  - advisory: GHSA-xxxx-xxxx-xxxx\n    package: django\n    reason: accepted_risk\n"]
        invalid = {"ignores:\n  - rule: x\n": "reason is required",
                   "ignores:\n  - rule: x\n    reason: maybe\n": "3:13:",
                   f"ignores:\n  - fingerprint: {fp}\n    rule: x\n    reason: accepted_risk\n": "exactly one of",
                   "ignores:\n  - rule: x\n    reason: accepted_risk\n    comments: typo\n": "did you mean \"comment\"",
                   "ignores:\n  - advisory: CVE-1\n    reason: accepted_risk\n    expires: soon\n": "4:14:",
                   "ignore: []\n": "did you mean \"ignores\""}
        for i, text in enumerate(valid + list(invalid)):
            path = os.path.join(self.tmp.name, f"case{i}", "ignores.yml")
            os.makedirs(os.path.dirname(path))
            with open(path, "w") as f:
                f.write(text)
            p = util.run_agent("config", "validate", path)
            doc = yaml.load(text, Loader=_NoDates) if text else None
            schema_ok = True
            try:
                jsonschema.validate(doc, schema)
            except jsonschema.ValidationError:
                schema_ok = False
            with self.subTest(text=text):
                if text in invalid:
                    self.assertEqual(2, p.returncode, p.stdout)
                    self.assertIn(invalid[text], p.stdout)
                    self.assertFalse(schema_ok)
                else:
                    self.assertEqual(0, p.returncode, p.stdout + p.stderr)
                    self.assertTrue(schema_ok)


if __name__ == "__main__":
    unittest.main()
