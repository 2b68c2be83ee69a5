"""`jit-agent ci` on a monorepo: a full-tree scan (default-branch push) of a repository whose
configuration names folders fetches partially (commits, trees, .jit/ and top-level files, then
only the configured folders' files), finds what is inside those folders and nothing outside,
and keeps a partial mirror that the next pipeline reuses warm. Without folders the scan (and the
head in the mirror) is complete, as before; an MR on a mirror left partial reads every blob."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

REPO_CONFIG = "folders:\n  - path: /svc-a\n  - path: /libs/shared\n"


class MonorepoTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.inside = util.fake_gitlab_pat(51)
        self.outside = util.fake_gitlab_pat(52)
        r = self.world.repo
        r.write("README.md", "# mono\n")
        r.write("svc-a/app.py", f'TOKEN = "{self.inside}"\n')
        r.write("libs/shared/util.py", "def f():\n    return 1\n")
        r.write("svc-b/other.py", f'TOKEN = "{self.outside}"\n')
        for i in range(20):
            r.write(f"svc-b/data/file-{i:02}.txt", f"payload {i}\n" * 50)
        self.first = r.commit("initial")

    def tearDown(self):
        self.world.__exit__(None, None, None)

    @property
    def mirror(self):
        return os.path.join(self.world.root, "cache", f"{fx.PROJECT_ID}.git")

    def has_blob(self, commit, path):
        blob = fx.git("rev-parse", f"{commit}:{path}", cwd=self.world.repo.work).strip()
        # (without the promisor setting, git would try to fetch a missing blob itself)
        p = subprocess.run(["git", "-c", "remote.origin.promisor=false", "cat-file", "-e", blob], cwd=self.mirror,
                           input="", capture_output=True)
        return p.returncode == 0

    def push_and_scan(self, before, head, *args):
        self.world.repo.push("main")
        proc = self.world.run(self.world.env(self.world.push_payload(before, head)), *args)
        report = self.world.reports().get("jit-agent.json", "")
        return proc, report

    def assert_no_leak(self, proc):
        for secret in (self.inside, self.outside):
            self.assertNotIn(secret, proc.stderr)
        self.assertNotIn(self.world.token, self.world.everything_written(proc))

    def test_configured_folders_fetch_partially_and_stay_warm(self):
        r = self.world.repo
        r.write(".jit/jit-config.yml", REPO_CONFIG)
        head = r.commit("jit config")
        proc, report = self.push_and_scan(self.first, head)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("scan (full tree", proc.stderr)
        self.assertIn("cold, partial mirror", proc.stderr)
        self.assertIn("fetching the files of 2 configured folders", proc.stderr)
        self.assertIn("svc-a/app.py", report)
        self.assertNotIn("svc-b/other.py", report)
        self.assertTrue(self.has_blob(head, "svc-a/app.py"))
        self.assertTrue(self.has_blob(head, "libs/shared/util.py"))
        self.assertTrue(self.has_blob(head, ".jit/jit-config.yml"))
        self.assertFalse(self.has_blob(head, "svc-b/other.py"), "a blob outside the folders was fetched")
        self.assertFalse(self.has_blob(head, "svc-b/data/file-00.txt"))
        self.assert_no_leak(proc)

        # The next pipeline: a new commit in both folders; the mirror is reused and stays partial.
        newer = util.fake_gitlab_pat(53)
        r.write("svc-a/client.py", f'CLIENT = "{newer}"\n')
        r.write("svc-b/more.py", f'MORE = "{util.fake_gitlab_pat(54)}"\n')
        second = r.commit("more")
        proc, report = self.push_and_scan(head, second)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("warm, partial mirror", proc.stderr)
        self.assertIn("svc-a/client.py", report)
        self.assertIn("svc-a/app.py", report)
        self.assertNotIn("svc-b/", report)
        self.assertNotIn(newer, proc.stderr)
        self.assertFalse(self.has_blob(second, "svc-b/more.py"))
        self.assertTrue(self.has_blob(second, "svc-a/client.py"))

    def test_central_folders_alone_fetch_partially(self):
        head = self.first
        config = os.path.join(self.world.root, "jit.yml")
        with open(config, "w") as f:
            f.write("folders:\n  - path: /svc-a\n")
        proc, report = self.push_and_scan("0" * 40, head, "--config", config)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("partial mirror", proc.stderr)
        self.assertIn("svc-a/app.py", report)
        self.assertNotIn("svc-b/other.py", report)
        self.assertFalse(self.has_blob(head, "svc-b/other.py"))

    def mirror_is_partial(self):
        p = subprocess.run(["git", "config", "--bool", "jit.partial"], cwd=self.mirror, input="",
                           capture_output=True, text=True)
        return p.stdout.strip() == "true"

    def test_without_folders_the_scan_is_complete(self):
        r = self.world.repo
        r.write(".jit/jit-config.yml", "scope: diff\n")
        head = r.commit("jit config without folders")
        proc, report = self.push_and_scan(self.first, head)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("scan (full tree", proc.stderr)
        self.assertIn("no folders are configured: fetching the head completely", proc.stderr)
        self.assertIn("cold, complete mirror", proc.stderr)
        self.assertIn("svc-a/app.py", report)
        self.assertIn("svc-b/other.py", report)
        self.assertEqual(2, len(json.loads(report)["findings"]), report)
        for path in ("svc-b/other.py", "svc-b/data/file-19.txt", "libs/shared/util.py"):
            self.assertTrue(self.has_blob(head, path), path)
        self.assertFalse(self.mirror_is_partial())
        self.assert_no_leak(proc)

        # The next job knows the mirror is complete: a plain incremental fetch, as without this
        # feature. Folders configured from now on are honoured by the scan on the complete mirror.
        r.write(".jit/jit-config.yml", REPO_CONFIG)
        second = r.commit("folders now")
        proc, report = self.push_and_scan(head, second)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("warm, complete mirror", proc.stderr)
        self.assertNotIn("is partial", proc.stderr)
        self.assertIn("svc-a/app.py", report)
        self.assertNotIn("svc-b/other.py", report)
        self.assertFalse(self.mirror_is_partial())

    def test_merge_request_on_a_partial_mirror_reads_every_change(self):
        r = self.world.repo
        r.write(".jit/jit-config.yml", REPO_CONFIG)
        head = r.commit("jit config")
        proc, _ = self.push_and_scan(self.first, head)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertFalse(self.has_blob(head, "svc-b/other.py"))
        # An MR whose first commit adds a secret in svc-a and whose second removes it again: the
        # per-commit scan must read both versions although the mirror is partial.
        r.branch("feature")
        gone = util.fake_gitlab_pat(55)
        r.write("svc-a/tmp.py", f'TMP = "{gone}"\n')
        r.commit("add")
        r.remove("svc-a/tmp.py")
        r.write("svc-a/ok.py", "OK = 1\n")
        mr_head = r.commit("remove")
        r.push("feature")
        r.merge_request(3, "feature")
        self.world.register_mr(3, head, mr_head)
        proc = self.world.run(self.world.env(self.world.mr_payload(3, mr_head)))
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("scan (added lines", proc.stderr)
        self.assertIn("svc-a/tmp.py", self.world.reports()["jit-agent.json"])
        self.assertNotIn(gone, proc.stderr)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
