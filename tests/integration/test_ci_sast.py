"""`jit-agent ci` with external controls, end to end against the real git server and the GitLab API
emulator: on a merge request bandit runs on a checkout of the head; what it reports on the lines the
MR adds gets one thread each (with the same fingerprint markers as secrets), what it reports in
untouched code gets none; gl-sast-report.json is written; a re-run posts nothing new. A tool that
hangs is killed at its timeout: the summary note and the commit status say which control did not
run, the other controls' threads are still posted, and the job exits 5."""
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 31
OLD = "import subprocess\n\n\ndef legacy(cmd):\n    return subprocess.call(cmd, shell=True)\n"
NEW = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.Popen(cmd, shell=True)\n"


class CiSastTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fx.require_everything()
        if not shutil.which("bandit", path=util.REAL_PATH):
            print("SKIP: bandit is not installed (bash scripts/install-deps.sh --tests)")
            sys.exit(util.SKIP)

    def setUp(self):
        self.world = fx.World().__enter__()
        r = self.world.repo
        r.write("README.md", "# app\n")
        r.write("app/legacy.py", OLD)
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("app/run.py", NEW)
        self.secret = util.fake_github_pat(31)
        r.write("app/settings.env", f"GITHUB_TOKEN={self.secret}\n")
        self.head = r.commit("add a runner")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def run_ci(self, *args):
        env = self.world.env(self.world.mr_payload(IID, self.head), PATH=util.REAL_PATH)
        return self.world.run(env, *args)

    def threads(self):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]

    def summary(self):
        notes = [d["notes"][0]["body"] for d in self.world.api.discussions(fx.PROJECT_ID, IID)
                 if d["individual_note"] and d["notes"][0]["body"].startswith("<!-- jit-agent:summary -->")]
        self.assertEqual(1, len(notes))
        return notes[0]

    def config(self, text):
        path = os.path.join(self.world.root, "jit.yml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_threads_on_added_lines_only_and_no_duplicates(self):
        cfg = self.config("controls:\n  bandit: true\n")
        p = self.run_ci("--config", cfg)
        self.assertIn(p.returncode, (0, 1), p.stderr[-3000:])
        threads = self.threads()
        bandit = [t for t in threads if "B602" in t["notes"][0]["body"]]
        self.assertEqual(1, len(bandit), [t["notes"][0]["body"][:200] for t in threads])
        pos = bandit[0]["notes"][0]["position"]
        self.assertEqual(("app/run.py", 5), (pos["new_path"], pos["new_line"]))
        self.assertRegex(bandit[0]["notes"][0]["body"], r"^<!-- jit-agent:fingerprint=[0-9a-f]{64} -->\n")
        self.assertFalse(any("legacy.py" in t["notes"][0]["body"] for t in threads))
        self.assertTrue(any("github-pat" in t["notes"][0]["body"] for t in threads))  # secrets still there
        self.assertIn("bandit", self.summary())
        with open(os.path.join(self.world.out, "gl-sast-report.json")) as f:
            sast = json.load(f)
        self.assertEqual(["app/run.py"], sorted({v["location"]["file"] for v in sast["vulnerabilities"]}))
        text = self.world.everything_written(p)
        self.assertNotIn(self.world.token, text)
        self.assertNotIn(self.secret, p.stdout + p.stderr)

        writes = len(self.world.api_writes())
        again = self.run_ci("--config", cfg)
        self.assertEqual(p.returncode, again.returncode, again.stderr[-3000:])
        self.assertEqual(writes, len(self.world.api_writes()), "a re-run posted again")

    def test_tool_timeout_is_stated_in_the_summary_and_the_status(self):
        hang = os.path.join(self.world.root, "hang-tool")
        with open(hang, "w") as f:
            f.write("#!/bin/sh\nsleep 600\n")
        os.chmod(hang, 0o755)
        cfg = self.config("controls:\n  bandit: false\n  slowtool:\n"
                          f"    command: {hang}\n    format: sarif\n    output: stdout\n    timeout: 2s\n")
        p = self.run_ci("--config", cfg)
        self.assertEqual(5, p.returncode, p.stderr[-3000:])
        summary = self.summary()
        self.assertIn("slowtool", summary)
        self.assertIn("timed out", summary)
        self.assertTrue(any("github-pat" in t["notes"][0]["body"] for t in self.threads()))
        statuses = [r for r in self.world.api.requests if "/statuses/" in r["path"] and r["method"] == "POST"]
        self.assertEqual("failed", statuses[-1]["body"]["state"])
        self.assertIn("slowtool", statuses[-1]["body"].get("description", ""))
        self.assertTrue(os.path.exists(os.path.join(self.world.out, "gl-sast-report.json")))


if __name__ == "__main__":
    unittest.main()
