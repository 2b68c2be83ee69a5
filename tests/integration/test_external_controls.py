"""External controls end to end through the binary: the real bandit, flawfinder and shellcheck (and
eslint when scripts/install-tools.sh installed it) on small vulnerable samples written here, the
GitLab SAST report validated against GitLab's schema, SARIF with one run per tool; fake tools that
hang, are missing or misbehave make their control `errored` (exit 5) while the other controls'
findings are still reported; and `jit-agent ci` on a merge request: one thread per SAST finding on
an added line, none for what the tools report elsewhere, a re-run posting nothing, and a tool
timeout stated in the summary note and the commit status."""
import json
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jit_test_util as util  # noqa: E402

TOOLS_DIR = os.environ.get("JIT_TEST_TOOLS_DIR", "/var/tmp/jit-agent-test-tools")
PY_SAMPLE = """import subprocess
import yaml


def run(cmd):
    return subprocess.call(cmd, shell=True)


def load(text):
    return yaml.load(text)
"""
SH_SAMPLE = "#!/bin/sh\nrm -rf $TARGET/*\n"
C_SAMPLE = "#include <string.h>\nvoid copy(char *dst, const char *src) { strcpy(dst, src); }\n"
JS_SAMPLE = "const cp = require('child_process');\nmodule.exports = (req) => cp.exec('ls ' + req.query.dir);\n"


def have(tool):
    return shutil.which(tool, path=util.REAL_PATH) is not None


def eslint_installed():
    return os.access(os.path.join(TOOLS_DIR, "eslint", "node_modules", ".bin", "eslint"), os.X_OK)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def fake_tool(folder, name, body):
    path = os.path.join(folder, name)
    write(path, "#!/bin/sh\n" + body, 0o755)
    return path


class ScanTest(unittest.TestCase):
    def setUp(self):
        util.require_agent()
        self.tmp = tempfile.TemporaryDirectory(prefix="jit-external-")
        self.repo = os.path.join(self.tmp.name, "repo")
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)
        write(os.path.join(self.repo, "app", "run.py"), PY_SAMPLE)
        write(os.path.join(self.repo, "deploy.sh"), SH_SAMPLE)
        write(os.path.join(self.repo, "native", "copy.c"), C_SAMPLE)
        write(os.path.join(self.repo, "web", "index.js"), JS_SAMPLE)
        self.token = util.fake_gitlab_pat(77)
        write(os.path.join(self.repo, "config", "ci.env"), f"GITLAB_TOKEN={self.token}\n")

    def tearDown(self):
        self.tmp.cleanup()

    def scan(self, *args, path=None, tools_path=True, timeout=600):
        env = {"PATH": util.REAL_PATH if tools_path else util.NO_SCANNERS_PATH, "JIT_TOOLS_DIR": TOOLS_DIR,
               "JIT_CHECKOUT_TOKEN": self.token}
        return util.run_agent("scan", path or self.repo, "--no-git", "--controls", *args, env=env, timeout=timeout)

    def read(self, name):
        with open(os.path.join(self.out, name)) as f:
            return json.load(f)

    def test_real_tools_reports_and_schemas(self):
        missing = [t for t in ("bandit", "flawfinder", "shellcheck") if not have(t)]
        if missing:
            self.skipTest(f"{', '.join(missing)} not installed (bash scripts/install-deps.sh --tests)")
        controls = "secrets,bandit,flawfinder,shellcheck" + (",eslint" if eslint_installed() else "")
        p = self.scan(controls, "--fail-on", "none", "--format", "json",
                      "--report", f"gitlab-sast={self.out}/gl-sast-report.json",
                      "--report", f"sarif={self.out}/jit.sarif", "--report", f"text={self.out}/jit.txt")
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        report = json.loads(p.stdout)
        by_control = {}
        for f in report["findings"]:
            by_control.setdefault(f["control"], []).append(f)
        self.assertIn("B602", {f["rule_id"] for f in by_control.get("bandit", [])}, by_control.get("bandit"))
        self.assertIn("B506", {f["rule_id"] for f in by_control.get("bandit", [])})
        self.assertTrue(any(f["path"] == "native/copy.c" and f["line"] == 2 for f in by_control.get("flawfinder", [])),
                        by_control.get("flawfinder"))
        self.assertTrue(any(f["rule_id"] == "SC2115" or f["rule_id"] == "SC2086" for f in by_control.get("shellcheck", [])),
                        by_control.get("shellcheck"))
        if eslint_installed():
            self.assertTrue(any(f["path"] == "web/index.js" for f in by_control.get("eslint", [])), by_control.get("eslint"))
        run_py = next(f for f in by_control["bandit"] if f["rule_id"] == "B602")
        self.assertEqual((run_py["path"], run_py["line"]), ("app/run.py", 6))
        # The secret found by the built-in control is there too, redacted.
        self.assertIn("secrets", by_control)
        self.assertNotIn(self.token, p.stdout + p.stderr)

        sast = self.read("gl-sast-report.json")
        self.assertEqual(sast["version"], "15.2.1")
        self.assertTrue({v["location"]["file"] for v in sast["vulnerabilities"]} >= {"app/run.py", "native/copy.c", "deploy.sh"})
        self.assertFalse(any(v["location"]["file"] == "config/ci.env" for v in sast["vulnerabilities"]))
        sarif = self.read("jit.sarif")
        drivers = [r["tool"]["driver"]["name"] for r in sarif["runs"]]
        self.assertGreaterEqual(len(drivers), 4, drivers)
        with open(os.path.join(self.out, "jit.txt")) as f:
            text = f.read()
        self.assertIn("bandit", text)
        self.assertNotIn(self.token, text)
        if os.path.isdir(util.SHARED_DATA):
            import jsonschema
            for name, schema in (("gl-sast-report.json", "sast-report-format.json"),
                                 ("jit.sarif", "sarif-schema-2.1.0.json")):
                with open(os.path.join(util.SHARED_DATA, "schemas", schema)) as f:
                    jsonschema.validate(self.read(name), json.load(f))
        else:
            print("note: ../shared/data is absent: the schema validation of this case is skipped")

        # Stable fingerprints: a second scan after lines moved keeps bandit's fingerprints.
        first = {f["fingerprint"] for f in by_control["bandit"]}
        write(os.path.join(self.repo, "app", "run.py"), "# moved down\n\n" + PY_SAMPLE)
        p = self.scan("bandit", "--fail-on", "none", "--format", "json")
        self.assertEqual(first, {f["fingerprint"] for f in json.loads(p.stdout)["findings"]})

    def test_hanging_tool_is_errored_and_the_other_controls_still_report(self):
        bin_dir = os.path.join(self.tmp.name, "bin")
        hang = fake_tool(bin_dir, "hang-tool", "sleep 600\n")
        p = self.scan("secrets,hang", "--control-set", f"hang.command={hang}", "--control-set", "hang.format=sarif",
                      "--control-set", "hang.output=stdout", "--control-set", "hang.timeout=2s",
                      "--format", "json", "--report", f"text={self.out}/jit.txt", timeout=120)
        self.assertEqual(p.returncode, 5, p.stderr)
        report = json.loads(p.stdout)
        self.assertTrue(any(f["control"] == "secrets" for f in report["findings"]))
        errored = [c for c in report.get("control_status", []) if c.get("status") == "errored"]
        self.assertEqual(["hang"], [c["name"] for c in errored], report.get("control_status"))
        self.assertIn("timed out", errored[0]["reason"])
        self.assertIn("hang", p.stderr)
        with open(os.path.join(self.out, "jit.txt")) as f:
            self.assertIn("hang", f.read())

    def test_required_tool_missing_is_errored_automatic_preset_missing_is_skipped(self):
        p = self.scan("secrets,bandit", "--format", "json", tools_path=False)
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("bandit", p.stderr)
        self.assertIn("not installed", p.stderr)
        # The default plan: presets whose tool is absent are skipped, the exit code is the findings'.
        env = {"PATH": util.NO_SCANNERS_PATH, "JIT_TOOLS_DIR": TOOLS_DIR}
        p = util.run_agent("scan", self.repo, "--no-git", "--format", "json", "--fail-on", "none", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        skipped = {c["name"] for c in report.get("control_status", []) if c.get("status") == "skipped"}
        self.assertTrue({"bandit", "flawfinder", "shellcheck"} <= skipped, report.get("control_status"))

    def test_misbehaving_tools(self):
        bin_dir = os.path.join(self.tmp.name, "bin")
        cases = {
            "garbage": (fake_tool(bin_dir, "garbage", "echo 'this is not SARIF'\n"), "sarif", "stdout"),
            "crash": (fake_tool(bin_dir, "crash", "kill -SEGV $$\n"), "sarif", "stdout"),
            "exit-nine": (fake_tool(bin_dir, "exit-nine", "exit 9\n"), "sarif", "stdout"),
            "noreport": (fake_tool(bin_dir, "noreport", "exit 0\n"), "bandit-json", "file"),
        }
        for name, (command, fmt, output) in cases.items():
            with self.subTest(name):
                args = ["--control-set", f"{name}.command={command}", "--control-set", f"{name}.format={fmt}",
                        "--control-set", f"{name}.output={output}"]
                if output == "file":
                    args += ["--control-set", f'{name}.args=["${{REPORT_FILE}}"]']
                p = self.scan("secrets," + name, *args, "--format", "json", timeout=120)
                self.assertEqual(p.returncode, 5, p.stderr)
                report = json.loads(p.stdout)
                errored = [c["name"] for c in report.get("control_status", []) if c.get("status") == "errored"]
                self.assertEqual([name], errored, p.stderr)
                self.assertTrue(any(f["control"] == "secrets" for f in report["findings"]))

    def test_tool_report_paths_are_confined_to_the_checkout(self):
        bin_dir = os.path.join(self.tmp.name, "bin")
        sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "evil", "rules": [{"id": "X1"}]}}, "results": [
            {"ruleId": "X1", "level": "error", "message": {"text": "inside"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/run.py"}, "region": {"startLine": 6}}}]},
            {"ruleId": "X1", "level": "error", "message": {"text": "outside"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "/etc/passwd"}, "region": {"startLine": 1}}}]},
            {"ruleId": "X1", "level": "error", "message": {"text": "escape"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "../../etc/shadow"}, "region": {"startLine": 1}}}]},
        ]}]}
        report_path = os.path.join(self.tmp.name, "evil.sarif")
        with open(report_path, "w") as f:
            json.dump(sarif, f)
        tool = fake_tool(bin_dir, "evil", f"cat {report_path}\n")
        p = self.scan("evil", "--control-set", f"evil.command={tool}", "--control-set", "evil.format=sarif",
                      "--control-set", "evil.output=stdout", "--format", "json", "--fail-on", "none")
        self.assertEqual(p.returncode, 0, p.stderr)
        paths = [f["path"] for f in json.loads(p.stdout)["findings"]]
        self.assertEqual(["app/run.py"], paths)
        self.assertIn("outside", p.stderr.lower())


if __name__ == "__main__":
    unittest.main()
