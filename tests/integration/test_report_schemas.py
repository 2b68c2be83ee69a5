"""Report files against their official schemas: the golden files of the unit tests, and the reports
`jit-agent scan DIR --report FORMAT=FILE` writes for a tree with a planted (random, fake) secret.

Schemas: GitLab secret detection and SAST 15.2.1 (draft-07) and SARIF 2.1.0 (draft-04) from JIT_SHARED_DATA,
our own schemas/jit-report.schema.json (2020-12); each validated with the draft its $schema names.
Exit 77 (skip) when JIT_SHARED_DATA is absent; the scan part is skipped while the binary has no
`scan --report`.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.parse

import jsonschema

from jit_test_util import AGENT, SHARED_DATA, SOURCE_DIR, fake_gitlab_pat, require_shared_data, run_agent

GOLDEN = os.path.join(SOURCE_DIR, "tests", "data", "golden")
OWN_SCHEMA = os.path.join(SOURCE_DIR, "schemas", "jit-report.schema.json")

# GitLab publishes no JSON Schema for Code Quality; these are the fields its documentation requires.
CODEQUALITY_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def schema_for(fmt):
    if fmt == "json":
        return load(OWN_SCHEMA)
    if fmt == "sarif":
        return load(os.path.join(SHARED_DATA, "schemas", "sarif-schema-2.1.0.json"))
    if fmt == "gitlab":
        return load(os.path.join(SHARED_DATA, "schemas", "secret-detection-report-format.json"))
    if fmt == "gitlab-sast":
        return load(os.path.join(SHARED_DATA, "schemas", "sast-report-format.json"))
    if fmt == "codequality":
        return CODEQUALITY_SCHEMA
    raise ValueError(fmt)


def validate(fmt, doc):
    """Validates with the draft the schema declares; raises with every error listed."""
    schema = schema_for(fmt)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise AssertionError(f"{fmt}: {len(errors)} schema error(s):\n" + "\n".join(
            f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20]))


def check_sarif_upload_rules(test, doc):
    """What GitHub/GitLab SARIF uploaders additionally insist on (not expressible in the schema)."""
    for run in doc["runs"]:
        rules = run["tool"]["driver"].get("rules", [])
        for rule in rules:
            float(rule["properties"]["security-severity"])  # a number written as a string
        for result in run["results"]:
            test.assertEqual(rules[result["ruleIndex"]]["id"], result["ruleId"])
            test.assertTrue(result["message"]["text"])
            test.assertIn("jitFingerprint/v1", result["partialFingerprints"])
            for loc in result.get("locations", []):
                phys = loc["physicalLocation"]
                uri = phys["artifactLocation"]["uri"]
                parsed = urllib.parse.urlparse(uri)
                test.assertEqual(parsed.scheme, "", f"absolute URI {uri}")
                test.assertFalse(uri.startswith("/"), f"absolute path {uri}")
                test.assertNotIn(" ", uri)
                test.assertEqual(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%")
                region = phys.get("region", {})
                for key in ("startLine", "startColumn", "endLine", "endColumn"):
                    if key in region:
                        test.assertGreaterEqual(region[key], 1, f"{key} in {uri}")


class GoldenReportsTest(unittest.TestCase):
    """The golden files are what the writers produce for the unit tests' fixture."""

    def test_json_golden(self):
        validate("json", load(os.path.join(GOLDEN, "json.json")))

    def test_sarif_golden(self):
        doc = load(os.path.join(GOLDEN, "sarif.sarif"))
        validate("sarif", doc)
        check_sarif_upload_rules(self, doc)

    def test_gitlab_golden(self):
        doc = load(os.path.join(GOLDEN, "gitlab.json"))
        validate("gitlab", doc)
        self.assertTrue(doc["vulnerabilities"])
        for v in doc["vulnerabilities"]:
            self.assertNotIn("raw_source_code_extract", v)

    def test_codequality_golden(self):
        validate("codequality", load(os.path.join(GOLDEN, "codequality.json")))

    def test_gitlab_sast_golden(self):
        """External controls' findings (bandit, flawfinder, shellcheck) against the official SAST schema."""
        doc = load(os.path.join(GOLDEN, "gitlab-sast.json"))
        validate("gitlab-sast", doc)
        self.assertEqual("sast", doc["scan"]["type"])
        self.assertEqual(5, len(doc["vulnerabilities"]))
        ids = [v["id"] for v in doc["vulnerabilities"]]
        self.assertEqual(len(ids), len(set(ids)))
        levels = {m["level"] for m in doc["scan"]["messages"]}
        self.assertIn("warn", levels)  # the errored controls
        for v in doc["vulnerabilities"]:
            self.assertNotEqual("cwe", v["identifiers"][0]["type"], "the tool's rule is the primary identifier")
            self.assertNotIn("\x1b", json.dumps(v, ensure_ascii=False))

    def test_gitlab_sast_failure_and_empty_reports(self):
        """What the writer emits for an empty scan and for one where every tool errored is valid too."""
        doc = load(os.path.join(GOLDEN, "gitlab-sast.json"))
        doc["vulnerabilities"] = []
        doc["scan"]["status"] = "failure"
        doc["scan"]["messages"] = [{"level": "fatal", "value": "bandit did not run: timed out after 5m0s"}]
        validate("gitlab-sast", doc)

    def test_external_goldens(self):
        """SARIF with one run per external tool, JSON with control_status and tool objects, codequality."""
        sarif = load(os.path.join(GOLDEN, "sarif-external.sarif"))
        validate("sarif", sarif)
        check_sarif_upload_rules(self, sarif)
        drivers = [run["tool"]["driver"]["name"] for run in sarif["runs"]]
        self.assertEqual("jit-agent", drivers[0])
        self.assertIn("Flawfinder", drivers)
        failed = [run for run in sarif["runs"] if not run["invocations"][0]["executionSuccessful"]]
        self.assertTrue(all(run["invocations"][0]["toolExecutionNotifications"] for run in failed))
        self.assertTrue(failed)
        own = load(os.path.join(GOLDEN, "json-external.json"))
        validate("json", own)
        self.assertEqual({"ran", "errored", "skipped"}, {c["status"] for c in own["control_status"]})
        validate("codequality", load(os.path.join(GOLDEN, "codequality-external.json")))

    def test_schemas_reject_broken_reports(self):
        """The validation is real: a report missing what the schema requires fails."""
        doc = load(os.path.join(GOLDEN, "gitlab.json"))
        del doc["vulnerabilities"][0]["location"]["commit"]
        self.assertRaises(AssertionError, validate, "gitlab", doc)
        doc = load(os.path.join(GOLDEN, "sarif.sarif"))
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
        self.assertRaises(AssertionError, validate, "sarif", doc)
        doc = load(os.path.join(GOLDEN, "json.json"))
        doc["schema_version"] = "2"
        self.assertRaises(AssertionError, validate, "json", doc)
        doc = load(os.path.join(GOLDEN, "gitlab-sast.json"))
        doc["vulnerabilities"][0]["severity"] = "Severe"
        self.assertRaises(AssertionError, validate, "gitlab-sast", doc)
        doc = load(os.path.join(GOLDEN, "json-external.json"))
        doc["control_status"][0]["status"] = "crashed"
        self.assertRaises(AssertionError, validate, "json", doc)


def scan_supports_reports():
    if not AGENT or not os.access(AGENT, os.X_OK):
        return False, "JIT_AGENT_BIN is not set to the built jit-agent"
    r = run_agent("scan", "--help")
    if r.returncode != 0 or "--report" not in r.stdout:
        return False, "this jit-agent has no `scan --report FORMAT=FILE` yet"
    return True, ""


SCAN_OK, SCAN_WHY = scan_supports_reports()


@unittest.skipUnless(SCAN_OK, SCAN_WHY)
class ScanReportsTest(unittest.TestCase):
    FORMATS = {"json": "report.json", "sarif": "report.sarif", "gitlab": "gl-secret-detection-report.json",
               "codequality": "gl-code-quality-report.json", "text": "report.txt"}

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="jit-report-")
        cls.tree = os.path.join(cls.dir, "tree")
        cls.out = os.path.join(cls.dir, "out")
        os.makedirs(os.path.join(cls.tree, "config"))
        os.makedirs(os.path.join(cls.tree, "my app"))
        os.makedirs(cls.out)
        cls.pat = fake_gitlab_pat(seed=os.getpid())  # random at run time: never a real token
        with open(os.path.join(cls.tree, "config", ".env"), "w") as f:
            f.write(f"APP_NAME=demo\nGITLAB_TOKEN={cls.pat}\n")
        with open(os.path.join(cls.tree, "my app", "settings.yml"), "w") as f:
            f.write(f"gitlab:\n  token: \"{cls.pat}\"\n")
        args = ["scan", cls.tree]
        for fmt, name in cls.FORMATS.items():
            args += ["--report", f"{fmt}={os.path.join(cls.out, name)}"]
        cls.result = run_agent(*args)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def report(self, fmt):
        self.assertIn(self.result.returncode, (0, 1), self.result.stderr)
        path = os.path.join(self.out, self.FORMATS[fmt])
        self.assertTrue(os.path.isfile(path), f"{path} not written; stderr: {self.result.stderr}")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn(self.pat, text, f"{fmt} report leaks the secret")
        return text

    def test_scan_found_the_planted_secret(self):
        self.assertEqual(self.result.returncode, 1, self.result.stderr)

    def test_json_report(self):
        doc = json.loads(self.report("json"))
        validate("json", doc)
        paths = {f["path"] for f in doc["findings"]}
        self.assertIn("config/.env", paths)
        self.assertIn("my app/settings.yml", paths)

    def test_sarif_report(self):
        doc = json.loads(self.report("sarif"))
        validate("sarif", doc)
        check_sarif_upload_rules(self, doc)
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
                for r in doc["runs"][0]["results"] for loc in r.get("locations", [])}
        self.assertIn("my%20app/settings.yml", uris)

    def test_gitlab_report(self):
        doc = json.loads(self.report("gitlab"))
        validate("gitlab", doc)
        files = {v["location"]["file"] for v in doc["vulnerabilities"]}
        self.assertIn("config/.env", files)
        ids = [v["id"] for v in doc["vulnerabilities"]]
        self.assertEqual(len(ids), len(set(ids)))

    def test_codequality_report(self):
        doc = json.loads(self.report("codequality"))
        validate("codequality", doc)
        self.assertTrue(any(i["location"]["path"] == "config/.env" for i in doc))

    def test_text_report(self):
        text = self.report("text")
        self.assertIn("config/.env", text)
        self.assertNotIn("\x1b", text)


def main():
    require_shared_data()
    if not os.path.isfile(OWN_SCHEMA):
        print(f"FAIL: {OWN_SCHEMA} is missing")
        sys.exit(1)
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    if not SCAN_OK:
        print(f"note: scan reports not checked: {SCAN_WHY}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
