"""Hostile merge requests through `jit-agent ci` (the real git server and the GitLab emulator):
file names made of newlines, terminal escapes and Markdown in an MR whose commit message and
title carry escapes too, a reply note full of escapes, Markdown and YAML, a git tree bomb,
submodules pointing at /etc and at another project, symbolic links to /etc/passwd, and YAML
alias bombs. The job log never holds a raw escape, comments hold nothing live outside code
spans, nothing outside the checkout is read or fetched, every run is bounded in time and memory
(figures printed at the end, for docs/security.md). The `scan` side is test_hostile_repos.py."""
import json
import os
import shutil
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import hostile_util as h  # noqa: E402
import jit_test_util as util  # noqa: E402
from git_server import git  # noqa: E402

IID = 31
DEDICATED_ID = 99
DEDICATED_PATH = "security/jit-scans"
ANSI = "\x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x1b]0;title\x07"


class HostileCiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fx.require_everything()
        # The rule database compiled once (a scan of an empty folder, in the cache the scan tests
        # share), copied into each world's cache: every run then measures the job, not the compile.
        cls.scratch = tempfile.mkdtemp(prefix="jit-hostile-ci-")
        shared = os.path.join(os.environ.get("TMPDIR", "/tmp"), "jit-agent-test-cache")
        util.run_agent("scan", cls.scratch, env={"JIT_CACHE_DIR": shared,
                                                 "JIT_RULES_DIR": os.path.join(util.SOURCE_DIR, "rules", "secrets")})
        cls.hsdb = os.path.join(shared, "hsdb")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def setUp(self):
        self.world = fx.World().__enter__()
        if os.path.isdir(self.hsdb):
            shutil.copytree(self.hsdb, os.path.join(self.world.root, "cache", "hsdb"))
        r = self.world.repo
        r.write("README.md", "# app\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def open_mr(self, head, added_lines=None, title=None):
        r = self.world.repo
        r.push("feature")
        r.merge_request(IID, "feature")
        if added_lines is None:
            self.world.register_mr(IID, self.main, head)
        else:
            self.world.api.add_merge_request(fx.PROJECT_ID, IID, path=fx.PROJECT_PATH, added_lines=added_lines,
                                             versions=[dict(head=head, base=self.main, start=self.main)])
        payload = self.world.mr_payload(IID, head)
        if title is not None:
            with open(payload) as f:
                p = json.load(f)
            p["object_attributes"]["title"] = title
            p["object_attributes"]["last_commit"]["message"] = title
            with open(payload, "w") as f:
                json.dump(p, f)
        return payload

    def run_ci(self, payload, **extra):
        run = h.measured([util.AGENT, "ci"], self.world.env(payload, **extra))
        self.world.last_output = run.stdout + run.stderr
        return run

    def written(self, run):
        return self.world.everything_written(run)

    def bodies(self):
        out = []
        for r in self.world.api.requests:
            if r["method"] in ("POST", "PUT") and isinstance(r["body"], dict) and "body" in r["body"]:
                out.append(r["body"]["body"])
        return out

    def assert_log_clean(self, run):
        for text in (run.stdout, run.stderr):
            for byte in ("\x1b", "\x07", "\x08", "\r", "\x7f"):
                self.assertNotIn(byte, text)

    def assert_comments_inert(self, run):
        bodies = self.bodies()
        self.assertTrue(bodies, run.stderr[-3000:])
        for body in bodies:
            self.assertEqual([], h.live_markdown(body), body)

    # ---- injection ----------------------------------------------------------------------------------
    def test_hostile_names_commit_message_and_title(self):
        r = self.world.repo
        names = ["new\nline.env", "ansi\x1b[31mred\x1b]8;;http:evil\x07.env", "[x](javascript:alert(1)).env",
                 "@all <img src=x onerror=alert(1)>.env", "`tick` | pipe.env"]
        secrets = [util.fake_github_pat(600 + i) for i in range(len(names))]
        for name, secret in zip(names, secrets):
            r.write(name, f"GITHUB_TOKEN={secret}\n")
        head = r.commit("add config " + ANSI + " @all <img src=x> [x](javascript:alert(1))")
        payload = self.open_mr(head, added_lines={n: {1} for n in names}, title="MR " + ANSI + " @all")
        run = self.run_ci(payload)
        self.assertEqual(1, run.returncode, run.stderr[-3000:])
        h.assert_bounded(self, run, 60, 512)
        self.assert_log_clean(run)
        self.assert_comments_inert(run)
        threads = [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]
        self.assertEqual(len(names), len(threads), [t["notes"][0]["position"]["new_path"] for t in threads])
        self.assertEqual(sorted(names), sorted(t["notes"][0]["position"]["new_path"] for t in threads))
        text = self.written(run)
        for secret in secrets:
            self.assertNotIn(secret, text)
        for name, content in self.world.reports().items():
            self.assertNotIn("\x1b", content, name)
        h.record("hostile names in an MR", "5 names (newline, ANSI, Markdown, @all, <img>) + escapes in commit message and title: "
                 "threads at the raw paths, bodies inert, log clean", run)

    def test_reply_note_with_escapes_markdown_and_yaml(self):
        r = self.world.repo
        secret = util.fake_github_pat(610)
        r.write("app/settings.py", f'GITHUB_TOKEN = "{secret}"\n')
        head = r.commit("configure")
        self.head = head
        payload = self.open_mr(head)
        w = self.world
        w.api.add_project(DEDICATED_ID, DEDICATED_PATH)
        w.api.add_file(DEDICATED_ID, "ignores.yml", "ignores: []\n")
        w.api.add_member(fx.PROJECT_ID, 321, "dev.one", 30, name="Dev \x1b[31mOne\x07")
        env = dict(CI_PROJECT_ID=str(DEDICATED_ID), CI_DEFAULT_BRANCH="main")
        first = self.run_ci(payload, **env)
        self.assertEqual(1, first.returncode, first.stderr[-3000:])
        thread = next(d for d in w.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"])
        body = ("#jit_ignore_fp test fixture " + ANSI + " @all <img src=x onerror=alert(1)> [x](javascript:alert(1))"
                "\nignores:\n  - fingerprint: " + "0" * 64 + "\n    reason: injected\n")
        note = w.note_payload(IID, head, body)
        with open(note) as f:
            p = json.load(f)
        p["object_attributes"].update(id=7001, discussion_id=thread["id"])
        p["user"] = dict(p["user"], id=321, username="dev.one", name="Dev \x1b[31mOne\x07")
        p["merge_request"]["state"] = "opened"
        p["merge_request"]["title"] = "MR " + ANSI
        with open(note, "w") as f:
            json.dump(p, f)
        w.api.clear_requests()
        run = self.run_ci(note, **env)
        self.assertIn(run.returncode, (0, 1), run.stderr[-3000:])
        h.assert_bounded(self, run, 60, 512)
        self.assert_log_clean(run)
        self.assert_comments_inert(run)
        content = w.api.file(DEDICATED_ID, "ignores.yml")["content"]
        ignores = yaml.safe_load(content)
        self.assertEqual(1, len(ignores["ignores"]), ignores)  # the note's YAML is a comment, not entries
        self.assertNotEqual("0" * 64, ignores["ignores"][0]["fingerprint"])
        self.assertNotIn("\x1b", content)  # a reviewer's terminal shows ignores.yml too
        self.assertNotIn(secret, self.written(run))
        h.record("hostile MR note", "#jit_ignore_fp reply with ANSI, @all, <img>, javascript: link, YAML lines: "
                 "one ignore entry, reply inert, log clean", run)

    # ---- size ---------------------------------------------------------------------------------------
    def test_tree_bomb_in_a_merge_request_is_refused_at_once(self):
        r = self.world.repo
        bomb = h.tree_bomb(git, r.work, levels=8)  # 10^9 paths in 10 objects
        readme = git("rev-parse", "HEAD:README.md", cwd=r.work).strip()
        root = git("mktree", cwd=r.work, input=f"100644 blob {readme}\tREADME.md\n040000 tree {bomb}\tbomb\n").strip()
        head = git("commit-tree", root, "-p", self.main, "-m", "bomb", cwd=r.work).strip()
        git("update-ref", "refs/heads/feature", head, cwd=r.work)
        payload = self.open_mr(head, added_lines={})
        run = self.run_ci(payload)
        h.assert_bounded(self, run, 60, 512)
        self.assertEqual(3, run.returncode, run.stderr[-3000:])
        self.assertIn("tree bomb", run.stderr)
        statuses = self.world.api.statuses(fx.PROJECT_ID, head)
        self.assertNotEqual("success", statuses[-1]["status"] if statuses else None, statuses)
        h.record("git tree bomb", "`ci` on an MR adding 8 levels x 10 copies of one subtree (10^9 paths): "
                 "refused after counting distinct subtrees, exit 3, status failed", run)

    # ---- reading outside the checkout -------------------------------------------------------------
    def test_submodules_pointing_at_local_paths_are_neither_fetched_nor_read(self):
        other = self.world.git.create_repo("group/other")
        other_secret = util.fake_github_pat(620)
        other.write("secret.env", f"GITHUB_TOKEN={other_secret}\n")
        other_head = other.commit("other")
        other.push("main")
        r = self.world.repo
        r.write(".gitmodules", '[submodule "etc"]\n\tpath = etc\n\turl = /etc\n'
                               '[submodule "other"]\n\tpath = other\n\turl = ../other.git\n'
                               '[submodule "file"]\n\tpath = file\n\turl = file:///etc\n'
                               '[submodule "up"]\n\tpath = up\n\turl = ../../../../../etc\n')
        git("add", ".gitmodules", cwd=r.work)
        for path in ("etc", "other", "file", "up"):
            git("update-index", "--add", "--cacheinfo", f"160000,{other_head},{path}", cwd=r.work)
        git("commit", "-q", "-m", "submodules", cwd=r.work)
        head = r.head()
        payload = self.open_mr(head)
        before = len(self.world.git.access_log())
        run = self.run_ci(payload)
        self.assertEqual(0, run.returncode, run.stderr[-3000:])
        h.assert_bounded(self, run, 60, 512)
        requests = self.world.git.access_log()[before:]
        self.assertTrue(requests)
        self.assertFalse([line for line in requests if "other.git" in line], requests)
        text = self.written(run)
        self.assertIsNone(h.PASSWD_LINE.search(text))
        self.assertNotIn(other_secret, text)
        h.record("submodules", "`ci`: .gitmodules naming /etc, file:///etc, ../other.git, ../../etc: not fetched, not read", run)
        # `scan` of a clone of it, and its history: the gitlinks are not files.
        run = h.measured([util.AGENT, "scan", r.work, "--history", "--fail-on", "none", "--format", "json"],
                         dict(os.environ, PATH=util.NO_SCANNERS_PATH))
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual([], json.loads(run.stdout)["findings"])
        self.assertIsNone(h.PASSWD_LINE.search(run.stdout + run.stderr))

    def test_symlinks_in_a_merge_request_are_not_followed(self):
        r = self.world.repo
        secret = util.fake_github_pat(630)
        r.write("app/settings.py", f'GITHUB_TOKEN = "{secret}"\n')
        for name, target in (("leak.env", "/etc/passwd"), (".jit/jit-config.yml", "/etc/passwd"),
                             ("deps/requirements.txt", "/etc/passwd"), ("shadow.env", "/etc/shadow"),
                             ("up.env", "../../../../../../etc/passwd")):
            path = os.path.join(r.work, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(target, path)
        head = r.commit("links")
        payload = self.open_mr(head)
        run = self.run_ci(payload, JIT_CONFIG=None)
        self.assertEqual(1, run.returncode, run.stderr[-3000:])  # the one real secret
        h.assert_bounded(self, run, 60, 512)
        self.assertNotIn("jit-config.yml", run.stderr)  # the link is not taken for a configuration
        text = self.written(run)
        self.assertIsNone(h.PASSWD_LINE.search(text))
        self.assertNotIn(secret, text)
        threads = [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]
        self.assertEqual(["app/settings.py"], [t["notes"][0]["position"]["new_path"] for t in threads])
        h.record("symlinks in an MR", "`ci`: links to /etc/passwd, /etc/shadow, out of the checkout, "
                 "as .jit/jit-config.yml: not followed, not read as configuration", run)

    def test_yaml_alias_bombs_in_a_merge_request(self):
        r = self.world.repo
        bomb = h.billion_laughs()
        r.write("web/pnpm-lock.yaml", "lockfileVersion: '9.0'\n" + bomb)
        r.write("mobile/pubspec.lock", "packages: {}\n" + bomb)
        head = r.commit("lockfiles")
        payload = self.open_mr(head)
        run = self.run_ci(payload)
        h.assert_bounded(self, run, 60, 512)
        self.assertIn(run.returncode, (0, 5), run.stderr[-3000:])
        h.record("YAML alias bomb in an MR", "`ci`: pnpm-lock.yaml and pubspec.lock bombs: bounded", run)
        r.write(".jit/jit-config.yml", bomb)
        head = r.commit("configuration bomb")
        payload = self.open_mr(head)
        run = self.run_ci(payload)
        h.assert_bounded(self, run, 60, 512)
        self.assertNotEqual(0, run.returncode)
        self.assertIn("jit-config.yml", run.stderr)
        self.assertRegex(run.stderr, r"alias")
        h.record("YAML alias bomb in an MR", "`ci`: .jit/jit-config.yml bomb: refused with file:line:col", run)


if __name__ == "__main__":
    util.main()
