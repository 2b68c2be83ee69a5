"""Events that need no scan end quickly with exit 0 and one log line saying why: nothing is
fetched and nothing is posted. A payload that is not valid: exit 2, nothing posted."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402


class SkipTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = fx.World().__enter__()
        r = cls.world.repo
        r.write("app.py", "print('hello')\n")
        cls.head = r.commit("initial")
        r.push("main")

    @classmethod
    def tearDownClass(cls):
        cls.world.__exit__(None, None, None)

    def setUp(self):
        self.world.api.clear_requests()
        self.fetches_before = len(self.world.git.access_log())

    def assert_skipped(self, proc, reason):
        self.assertEqual(0, proc.returncode, proc.stderr)
        skip_lines = [line for line in proc.stderr.splitlines() if line.startswith("skipping: ")]
        self.assertEqual(1, len(skip_lines), proc.stderr)
        self.assertIn(reason, skip_lines[0])
        self.assertEqual([], self.world.api.requests)
        self.assertEqual(self.fetches_before, len(self.world.git.access_log()))
        self.assertEqual({}, self.world.reports())

    def test_note_without_command(self):
        payload = self.world.note_payload(5, self.head, "Looks good to me, @alice")
        self.assert_skipped(self.world.run(self.world.env(payload)), "not a jit command")

    def test_closed_merge_request(self):
        payload = self.world.mr_payload(5, self.head, action="close")
        self.assert_skipped(self.world.run(self.world.env(payload)), "merge request is closed")

    def test_update_without_new_commits(self):
        payload = self.world.mr_payload(5, self.head, action="update")
        self.assert_skipped(self.world.run(self.world.env(payload)), "without new commits")

    def test_branch_deleted(self):
        payload = self.world.push_payload(self.head, "0" * 40, ref="refs/heads/old")
        self.assert_skipped(self.world.run(self.world.env(payload)), "branch deleted")

    def test_excluded_project(self):
        cfg = os.path.join(self.world.root, "exclude.yml")
        with open(cfg, "w") as f:
            f.write("exclude_projects: ['group/**']\n")
        payload = self.world.push_payload("0" * 40, self.head)
        self.assert_skipped(self.world.run(self.world.env(payload), "--config", cfg), "excluded")

    def test_central_config_in_ci_project_dir(self):
        with open(os.path.join(self.world.out, "jit.yml"), "w") as f:
            f.write("exclude_projects: [group/app]\n")
        try:
            payload = self.world.push_payload("0" * 40, self.head)
            proc = self.world.run(self.world.env(payload))
            self.assertEqual(0, proc.returncode, proc.stderr)
            self.assertIn("excluded by", proc.stderr)
            self.assertEqual([], self.world.api.requests)
        finally:
            os.remove(os.path.join(self.world.out, "jit.yml"))

    def test_invalid_payload(self):
        bad = self.world.write_payload("bad.json", {"object_kind": "merge_request"})
        proc = self.world.run(self.world.env(bad))
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn("TRIGGER_PAYLOAD", proc.stderr)
        self.assertEqual([], self.world.api.requests)
        with open(os.path.join(self.world.root, "garbage.json"), "w") as f:
            f.write("{not json")
        proc = self.world.run(self.world.env(os.path.join(self.world.root, "garbage.json")))
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertEqual([], self.world.api.requests)

    def test_invalid_central_config(self):
        cfg = os.path.join(self.world.root, "bad.yml")
        with open(cfg, "w") as f:
            f.write("scope: diff\nthreads: false\n")
        payload = self.world.push_payload("0" * 40, self.head)
        proc = self.world.run(self.world.env(payload), "--config", cfg)
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn(f'{cfg}:2:1: unknown key "threads"', proc.stderr)
        self.assertEqual([], self.world.api.requests)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
