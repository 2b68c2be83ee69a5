"""`history: true` in jit.yml: a push to the default branch (or a scheduled pipeline) also scans the
git history for secrets. The first run fetches the whole history (the mirror was shallow) and walks
all of it, so a key committed and deleted long ago is found, attributed to the commit that added
it; the head it scanned is kept in JIT_CACHE_DIR, so the next push walks only its new commits, and
the verdict cache answers the blobs already known clean. The default (`history: false`) does not
look at history."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402


class HistoryCiTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.deleted = util.fake_github_pat(41)
        self.later = util.fake_github_pat(42)
        r = self.world.repo
        r.write("app/settings.py", f'TOKEN = "{self.deleted}"\n')
        r.write("README.md", "# app\n")
        self.c1 = r.commit("add settings")
        r.remove("app/settings.py")
        self.c2 = r.commit("remove the token")
        r.write("docs/notes.md", "notes\n")
        self.c3 = r.commit("notes")
        r.push("main")
        self.config = os.path.join(self.world.root, "jit.yml")

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def configure(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def push(self, before, after):
        payload = self.world.push_payload(before, after)
        return self.world.run(self.world.env(payload), "--config", self.config)

    def findings(self):
        return json.loads(self.world.reports()["jit-agent.json"])

    def test_history_first_run_then_only_new_commits(self):
        self.configure("history: true\n")
        proc = self.push(self.c2, self.c3)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("history: fetching the whole history", proc.stderr)
        self.assertIn("history: scanning the whole history", proc.stderr)
        report = self.findings()
        found = [f for f in report["findings"] if f["path"] == "app/settings.py"]
        self.assertEqual(1, len(found), proc.stderr)
        self.assertEqual(self.c1, found[0]["commit"])
        if found[0].get("provenance"):
            self.assertEqual("add settings", found[0]["provenance"]["summary"])
        self.assertEqual(3, report["stats"].get("commits_scanned", 3))
        # The GitLab report carries the commit that added it.
        gitlab = json.loads(self.world.reports()["gl-secret-detection-report.json"])
        vuln = [v for v in gitlab["vulnerabilities"] if v["location"]["file"] == "app/settings.py"]
        self.assertEqual(self.c1, vuln[0]["location"]["commit"]["sha"])
        everything = self.world.everything_written(proc)
        self.assertNotIn(self.deleted, everything)
        self.assertNotIn(self.world.token, everything)
        state_dir = os.path.join(self.world.root, "cache", "history")
        states = os.listdir(state_dir)
        self.assertEqual(1, len(states))
        with open(os.path.join(state_dir, states[0])) as f:
            self.assertEqual(self.c3, json.load(f)["heads"]["refs/heads/main"])

        # The next push: only its commit is walked; the tree's own secret is reported once.
        r = self.world.repo
        r.write("app/client.py", f'CLIENT = "{self.later}"\n')
        c4 = r.commit("client")
        r.push("main")
        proc = self.push(self.c3, c4)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn(f"history: scanning the commits since {self.c3[:12]}", proc.stderr)
        m = re.search(r"history: (\d+) commits?, (\d+) blobs? read", proc.stderr)
        self.assertTrue(m, proc.stderr)
        self.assertEqual(("1", "1"), m.groups())  # one commit, one new blob
        report = self.findings()
        client = [f for f in report["findings"] if f["path"] == "app/client.py"]
        self.assertEqual(1, len(client), "the tree and the history found the same secret: reported once")
        self.assertEqual(c4, client[0]["commit"])
        # The tree scan asked the verdict cache: the unchanged files are not read again.
        self.assertGreaterEqual(report["stats"].get("blobs_cached", 1), 1)

    def test_history_off_by_default(self):
        self.configure("exclude: []\n")
        proc = self.push(self.c2, self.c3)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertNotIn("history:", proc.stderr)
        self.assertFalse(any(f["path"] == "app/settings.py" for f in self.findings()["findings"]))

    def test_invalid_history_value(self):
        self.configure("history: sometimes\n")
        proc = self.push(self.c2, self.c3)
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn("jit.yml:1", proc.stderr)
        self.assertIn("history", proc.stderr)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
