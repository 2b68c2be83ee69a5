"""Hostile working trees through `jit-agent scan`: symbolic links out of the checkout, an external
tool's report naming ../ and absolute paths, file names made of newlines, terminal escapes and
Markdown, a 1 GB file, 200k tiny files, 1,000 nested folders, YAML alias bombs in every YAML the
agent reads, a lockfile of a million entries, and a git tree bomb and an escape-laden commit
message for `scan --history`. Every case is bounded in time and memory (figures printed at the
end, for docs/security.md); nothing outside the tree is read into a finding, log or report, and
nothing from a file name reaches the terminal raw. Data is generated at run time under $TMPDIR.
The `ci` side (merge requests, notes, submodules) is in test_hostile_ci.py."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import hostile_util as h  # noqa: E402
import jit_test_util as util  # noqa: E402
from git_server import git  # noqa: E402

sys.setrecursionlimit(10_000)  # os.makedirs and shutil.rmtree recurse once per level of 1,000 folders

REPORT_FORMATS = {"json": "jit.json", "sarif": "jit.sarif", "gitlab": "gl-secret-detection-report.json",
                  "html": "jit.html", "text": "jit.txt", "codequality": "gl-code-quality.json"}


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


class HostileScanTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="jit-hostile-")
        self.tree = os.path.join(self.tmp, "tree")
        self.out = os.path.join(self.tmp, "out")
        os.makedirs(self.tree)
        os.makedirs(self.out)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra):
        env = dict(os.environ)
        env.update(PATH=util.NO_SCANNERS_PATH, HOME=self.tmp, LANG="C.UTF-8",
                   JIT_CACHE_DIR=os.path.join(os.environ.get("TMPDIR", "/tmp"), "jit-agent-test-cache"),
                   JIT_DB_DIR=os.path.join(self.tmp, "no-osv-db"))
        env.update(extra)
        return env

    def agent(self, *args, env=None, cwd=None):
        return h.measured([util.AGENT, *args], env or self.env(), cwd=cwd)

    def scan(self, *args, root=None, reports=True, env=None):
        extra = []
        if reports:
            for fmt, name in REPORT_FORMATS.items():
                extra += ["--report", f"{fmt}={os.path.join(self.out, name)}"]
        return self.agent("scan", root or self.tree, "--fail-on", "none", *extra, *args, env=env)

    def outputs(self, run):
        """stdout, stderr and every report written, as one text."""
        parts = [run.stdout, run.stderr]
        for name in sorted(os.listdir(self.out)):
            with open(os.path.join(self.out, name), errors="replace") as f:
                parts.append(f.read())
        return "\n".join(parts)

    def json_report(self):
        with open(os.path.join(self.out, "jit.json")) as f:
            return json.load(f)

    # ---- reading outside the tree ----------------------------------------------------------------
    def test_symlinks_out_of_the_checkout_are_not_followed(self):
        outside = os.path.join(self.tmp, "outside")
        outside_secret = util.fake_github_pat(501)
        write(os.path.join(outside, "secret.env"), f"GITHUB_TOKEN={outside_secret}\n")
        write(os.path.join(outside, "package-lock.json"), json.dumps(
            {"name": "x", "lockfileVersion": 3, "packages": {"node_modules/outside-pkg": {"version": "1.0.0"}}}))
        # A configuration outside: were it read, the scan would stop on its unknown key (exit 2).
        write(os.path.join(outside, "jit-config.yml"), "exclude: ['app/**']\nread_from_outside: true\n")
        inside_secret = util.fake_gitlab_pat(502)
        write(os.path.join(self.tree, "app", "config.py"), f'TOKEN = "{inside_secret}"\n')
        links = {"passwd.txt": "/etc/passwd", "etc": "/etc", "shadow": "/etc/shadow",
                 "secret.env": os.path.join(outside, "secret.env"), "outdir": outside,
                 "up.env": "../outside/secret.env", "requirements.txt": "/etc/passwd",
                 "web/package-lock.json": os.path.join(outside, "package-lock.json"),
                 ".jit/jit-config.yml": os.path.join(outside, "jit-config.yml"),
                 "conf/.jit": outside, ".gitleaksignore": "/etc/passwd"}
        for name, target in links.items():
            os.makedirs(os.path.dirname(os.path.join(self.tree, name)), exist_ok=True)
            os.symlink(target, os.path.join(self.tree, name))
        # Lockfile includes that climb out (pip's -r/-c) are refused too.
        write(os.path.join(self.tree, "py", "requirements.txt"), "-r /etc/passwd\n-c ../../outside/secret.env\nrequests==2.0.0\n")
        git("init", "-q", "-b", "main", cwd=self.tree)
        git("add", "-A", cwd=self.tree)
        git("commit", "-q", "-m", "links", cwd=self.tree)
        for mode, args in (("folder", ["--no-git"]), ("git checkout", []), ("history", ["--history"])):
            with self.subTest(mode):
                for name in os.listdir(self.out):
                    os.remove(os.path.join(self.out, name))
                run = self.scan("--format", "json", *args)
                self.assertEqual(0, run.returncode, run.stderr)  # the linked configuration is not read
                # The same through a linked .jit folder.
                sub = self.agent("scan", os.path.join(self.tree, "conf"), "--no-git", "--fail-on", "none")
                self.assertEqual(0, sub.returncode, sub.stderr)
                h.assert_bounded(self, run, 30, 512)
                report = json.loads(run.stdout)
                self.assertEqual(["app/config.py"], sorted({f["path"] for f in report["findings"]}), report["findings"])
                text = self.outputs(run)
                self.assertIsNone(h.PASSWD_LINE.search(text), "a line of /etc/passwd is in the output")
                self.assertNotIn(outside_secret, text)
                self.assertNotIn("outside-pkg", text)
                self.assertNotIn(inside_secret, text)
                if mode != "history":
                    self.assertGreaterEqual(report["stats"]["skipped_symlinks"], 5, report["stats"])
                h.record("symlinks", f"{len(links)} links to /etc/passwd, /etc, out of the tree ({mode}): not followed", run)

    def test_tool_report_paths_outside_the_checkout_are_dropped_unread(self):
        write(os.path.join(self.tree, "app", "run.py"), "import os\nos.system(input())\n")
        os.symlink("/etc/passwd", os.path.join(self.tree, "app", "passwd.py"))
        names = ["app/run.py", "../../etc/passwd", "/etc/shadow", "/etc/passwd", "file:///etc/passwd",
                 "app/../../../etc/passwd", "app/passwd.py", "%2e%2e/%2e%2e/etc/passwd"]
        results = [{"ruleId": "X1", "level": "error", "message": {"text": f"finding in {n}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": n},
                                                        "region": {"startLine": 1 if n != "app/run.py" else 2}}}]}
                   for n in names]
        sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "evil", "rules": [{"id": "X1"}]}},
                                               "results": results}]}
        bandit = {"results": [{"filename": n, "line_number": 1, "test_id": "B999", "test_name": "evil",
                               "issue_severity": "HIGH", "issue_confidence": "HIGH", "issue_text": "x",
                               "code": "1 x\n"} for n in names]}
        bin_dir = os.path.join(self.tmp, "bin")
        for fmt, doc in (("sarif", sarif), ("bandit-json", bandit)):
            with self.subTest(fmt):
                report_file = os.path.join(self.tmp, f"evil-{fmt}.json")
                write(report_file, json.dumps(doc))
                tool = os.path.join(bin_dir, f"evil-{fmt}")
                write(tool, f"#!/bin/sh\ncat {report_file}\n")
                os.chmod(tool, 0o755)
                for name in os.listdir(self.out):
                    os.remove(os.path.join(self.out, name))
                run = self.scan("--no-git", "--controls", "evil", "--control-set", f"evil.command={tool}",
                                "--control-set", f"evil.format={fmt}", "--control-set", "evil.output=stdout",
                                "--report", f"gitlab-sast={self.out}/gl-sast-report.json", "--format", "json",
                                env=self.env(PATH="/usr/bin:/bin"))
                self.assertEqual(0, run.returncode, run.stderr)
                h.assert_bounded(self, run, 30, 512)
                paths = sorted({f["path"] for f in json.loads(run.stdout)["findings"]})
                self.assertIn("app/run.py", paths)
                # Kept paths are the tree's: SARIF URIs are decoded and dropped when outside; a bandit
                # file name such as "file:/etc/passwd" is a (missing) file of the tree, never read.
                for p in paths:
                    self.assertFalse(p.startswith("/") or ".." in p.split("/") or p == "app/passwd.py", p)
                if fmt == "sarif":
                    self.assertEqual(["app/run.py"], paths)
                text = self.outputs(run)
                self.assertIsNone(h.PASSWD_LINE.search(text), "a line of /etc/passwd is in the output")
                h.record("tool report paths", f"{fmt}: ../, absolute, file://, symlinked paths dropped, never read", run)

    # ---- injection through names ------------------------------------------------------------------
    def test_file_names_with_newlines_escapes_and_markdown(self):
        names = ["new\nline.env", "ansi\x1b[31mred\x1b[0m\x1b]8;;http:\\\\evil\x07\x1b[2J.env",
                 "[x](javascript:alert(1)).env", "@all <img src=x onerror=alert(1)>.env",
                 "`tick` | pipe *star* _u_ \r carriage.env", "bell\x07back\x08del\x7f.env"]
        secrets = {}
        for i, name in enumerate(names):
            secrets[name] = util.fake_github_pat(510 + i)
            write(os.path.join(self.tree, name), f"GITHUB_TOKEN={secrets[name]}\n")
        run = self.scan("--no-git")
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 512)
        report = self.json_report()
        self.assertEqual(sorted(names), sorted(f["path"] for f in report["findings"]))  # JSON keeps the name
        raw_terminal = [run.stdout, run.stderr]
        for name in ("jit.txt", "jit.html", "jit.sarif", "jit.json", "gl-secret-detection-report.json", "gl-code-quality.json"):
            with open(os.path.join(self.out, name), "rb") as f:
                raw_terminal.append(f.read().decode(errors="replace"))
        for i, text in enumerate(raw_terminal):
            # JSON escapes control characters (\u001b) but may keep DEL as it is.
            for byte in ("\x1b", "\x07", "\x08", "\r") + (("\x7f",) if i < 4 else ()):
                self.assertNotIn(byte, text)
            for secret in secrets.values():
                self.assertNotIn(secret, text)
        with open(os.path.join(self.out, "jit.html")) as f:
            html = f.read()
        self.assertNotIn("<img", html)
        self.assertIn("&lt;img", html)
        self.assertNotIn('href="javascript', html.lower())
        colored = self.agent("scan", self.tree, "--no-git", "--fail-on", "none", "--color", "always")
        for sequence in ("\x1b[2J", "\x1b]8", "\x1b[31mred", "\x07", "\x08", "\r"):
            self.assertNotIn(sequence, colored.stdout + colored.stderr)
        h.record("hostile file names", "newline, ANSI/OSC 8, BEL, Markdown, HTML in names: escaped everywhere", run)

    # ---- size --------------------------------------------------------------------------------------
    def test_one_gigabyte_file_is_skipped_by_size_without_reading_it(self):
        pat = util.fake_gitlab_pat(520)
        write(os.path.join(self.tree, "small.env"), f"TOKEN={pat}\n")
        for name in ("huge.txt", "lock/package-lock.json", "req/requirements.txt", "pnpm/pnpm-lock.yaml"):
            path = os.path.join(self.tree, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.truncate(1 << 30)  # sparse: no disk used
        run = self.scan("--no-git", "--format", "json", reports=False)
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 256)
        self.assertLess(run.read_mb, 64, "the agent read a large part of a 1 GiB file")
        report = json.loads(run.stdout)
        self.assertEqual(["small.env"], [f["path"] for f in report["findings"]])
        self.assertEqual(4, report["stats"]["skipped_too_large"], report["stats"])
        self.assertIn("larger than", run.stderr)
        h.record("1 GiB files", "a sparse 1 GiB text file and three 1 GiB lockfiles: skipped by size, unread", run)

    def test_two_hundred_thousand_tiny_files(self):
        for d in range(200):
            folder = os.path.join(self.tree, f"d{d:03d}")
            os.mkdir(folder)
            for i in range(1000):
                with open(os.path.join(folder, f"f{i:04d}.txt"), "w") as f:
                    f.write(f"value = {d * 1000 + i}\n")
        pat = util.fake_gitlab_pat(530)
        write(os.path.join(self.tree, "d199", "zz.env"), f"TOKEN={pat}\n")
        run = self.scan("--no-git", "--format", "json", reports=False)
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run)
        report = json.loads(run.stdout)
        self.assertEqual(["d199/zz.env"], [f["path"] for f in report["findings"]])
        self.assertEqual(200_001, report["stats"]["files_scanned"])
        h.record("200k tiny files", "200,001 files of ~12 bytes in 200 folders: all scanned", run)

    def test_thousand_nested_folders(self):
        rel = "/".join(["d"] * 1000)
        pat = util.fake_gitlab_pat(540)
        write(os.path.join(self.tree, rel, "deep.env"), f"TOKEN={pat}\n")
        write(os.path.join(self.tree, "top.txt"), "hello\n")
        run = self.scan("--no-git", "--format", "json")
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 512)
        self.assertEqual([rel + "/deep.env"], [f["path"] for f in json.loads(run.stdout)["findings"]])
        h.record("1,000 nested folders", "a secret 1,000 folders down (path of 2,008 bytes): found", run)
        git("init", "-q", "-b", "main", cwd=self.tree)
        git("add", "-A", cwd=self.tree)
        git("commit", "-q", "-m", "deep", cwd=self.tree)
        run = self.scan("--history", "--format", "json", reports=False)
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 512)
        self.assertEqual([rel + "/deep.env"], [f["path"] for f in json.loads(run.stdout)["findings"]])
        h.record("1,000 nested folders", "the same tree committed, `scan --history`: found", run)

    # ---- YAML ---------------------------------------------------------------------------------------
    def test_yaml_alias_bombs_in_every_yaml_read(self):
        bomb = h.billion_laughs()
        pat = util.fake_gitlab_pat(550)
        write(os.path.join(self.tree, "app.env"), f"TOKEN={pat}\n")
        files = os.path.join(self.tmp, "yaml")
        os.makedirs(files)
        # Files the agent is given: a clear error (exit 2) naming the file, at once.
        given = {"jit.yml": ["--config"], "ignores.yml": ["--ignores"], "rules.yml": ["--rules"]}
        for name, flag in given.items():
            with self.subTest(name):
                path = os.path.join(files, name)
                write(path, bomb)
                run = self.scan("--no-git", *flag, path, reports=False)
                self.assertEqual(2, run.returncode, run.stderr)
                self.assertIn(name, run.stderr)
                self.assertRegex(run.stderr, r"alias|YAML")
                h.assert_bounded(self, run, 30, 256)
                h.record("YAML alias bomb", f"{name} ({flag[0]}), 10^9 nodes expanded: refused with file:line:col", run)
        with self.subTest("config validate"):
            run = self.agent("config", "validate", os.path.join(files, "jit.yml"), os.path.join(files, "ignores.yml"))
            self.assertEqual(2, run.returncode, run.stderr + run.stdout)
            h.assert_bounded(self, run, 30, 256)
        # The repository's own configuration: a clear error too.
        with self.subTest(".jit/jit-config.yml"):
            write(os.path.join(self.tree, ".jit", "jit-config.yml"), bomb)
            run = self.scan("--no-git", reports=False)
            self.assertEqual(2, run.returncode, run.stderr)
            self.assertIn("jit-config.yml", run.stderr)
            h.assert_bounded(self, run, 30, 256)
            h.record("YAML alias bomb", ".jit/jit-config.yml of the scanned tree: refused with file:line:col", run)
            os.remove(os.path.join(self.tree, ".jit", "jit-config.yml"))
        # Lockfiles in the tree: a warning for that lockfile, everything else scanned.
        lockfiles = {"pnpm/pnpm-lock.yaml": "lockfileVersion: '9.0'\n" + bomb.replace("lol", "pkg"),
                     "dart/pubspec.lock": "packages:\n  x: &x {version: '1.0.0'}\n" + bomb,
                     "pods/Podfile.lock": "PODS:\n  - A (1.0)\n" + bomb,
                     "berry/yarn.lock": "__metadata:\n  version: 6\n" + bomb}
        for name, text in lockfiles.items():
            write(os.path.join(self.tree, name), text)
        run = self.scan("--no-git", "--format", "json", reports=False)
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 256)
        self.assertEqual(["app.env"], [f["path"] for f in json.loads(run.stdout)["findings"]])
        h.record("YAML alias bomb", "pnpm-lock.yaml, pubspec.lock, Podfile.lock, yarn.lock (berry) bombs: bounded, the rest scanned", run)

    def test_lockfile_with_a_million_entries(self):
        # One advisory on the last pin of a 200,000-pin file: finding it proves the whole file was read.
        record = os.path.join(self.tmp, "TEST-0001.json")
        write(record, json.dumps({"id": "TEST-0001", "modified": "2024-01-01T00:00:00Z", "summary": "test advisory",
                                  "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg-199999"},
                                                "ranges": [{"type": "ECOSYSTEM",
                                                            "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}))
        db = os.path.join(self.tmp, "osv")
        imported = self.agent("db", "--db", db, "import", record)
        self.assertEqual(0, imported.returncode, imported.stderr)
        lockfile = os.path.join(self.tree, "requirements.txt")
        for count in (200_000, 1_000_000):
            with open(lockfile, "w") as f:
                f.writelines(f"pkg-{i}==1.0.{i % 10}\n" for i in range(count))
            run = self.agent("scan", self.tree, "--no-git", "--controls", "dependencies", "--fail-on", "none",
                             "--db", db, "--format", "json", "--sbom-dir", self.out)
            self.assertEqual(0, run.returncode, run.stderr)
            h.assert_bounded(self, run)
            findings = json.loads(run.stdout)["findings"]
            if count <= 250_000:
                self.assertEqual(["pkg-199999"], [f["dependency"]["package"] for f in findings], findings)
                h.record("large lockfile", "requirements.txt of 200,000 pins (3.4 MiB): all parsed and matched, SBOM written", run)
            else:
                self.assertEqual([], findings)
                self.assertIn("requirements.txt: lockfile skipped: more than 250000 packages", run.stderr)
                h.record("1M-entry lockfile", "requirements.txt of 1,000,000 pins (17 MiB): parsed, then skipped "
                         "with a warning (over 250,000 packages)", run)

    # ---- git history --------------------------------------------------------------------------------
    def test_history_of_a_tree_bomb_is_walked_once_per_distinct_subtree(self):
        git("init", "-q", "-b", "main", cwd=self.tree)
        write(os.path.join(self.tree, "README.md"), "# app\n")
        git("add", "-A", cwd=self.tree)
        git("commit", "-q", "-m", "initial", cwd=self.tree)
        pat = util.fake_github_pat(560)
        bomb = h.tree_bomb(git, self.tree, levels=8, leaf=f"GITHUB_TOKEN={pat}\n")  # 10^9 paths
        readme = git("rev-parse", "HEAD:README.md", cwd=self.tree).strip()
        root = git("mktree", cwd=self.tree, input=f"100644 blob {readme}\tREADME.md\n040000 tree {bomb}\tbomb\n").strip()
        message = "bomb \x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x1b[31mred"
        head = git("commit-tree", root, "-p", "HEAD", "-m", message, cwd=self.tree).strip()
        git("update-ref", "refs/heads/main", head, cwd=self.tree)
        run = self.agent("scan", "--history", self.tree, "--fail-on", "none", "--format", "json",
                         "--report", f"text={self.out}/jit.txt", "--report", f"html={self.out}/jit.html")
        self.assertEqual(0, run.returncode, run.stderr)
        h.assert_bounded(self, run, 30, 512)
        findings = json.loads(run.stdout)["findings"]
        self.assertEqual(1, len(findings), findings)
        self.assertTrue(findings[0]["path"].startswith("bomb/d0/"), findings[0]["path"])
        self.assertEqual(9, findings[0]["path"].count("/"))
        for text in (run.stderr, open(os.path.join(self.out, "jit.txt")).read()):
            self.assertNotIn("\x1b", text)
            self.assertNotIn("\x07", text)
        h.record("git tree bomb", "`scan --history`: 8 levels x 10 copies of one subtree (10^9 paths): each distinct subtree walked once", run)
        # The commit message's escapes reach neither the terminal nor the text report.
        run = self.agent("scan", "--history", self.tree, "--fail-on", "none", "--color", "always")
        self.assertNotIn("\x1b]8;;http://evil", run.stdout)
        self.assertNotIn("\x1b[2J", run.stdout + run.stderr)
        self.assertNotIn("\x07", run.stdout + run.stderr)


if __name__ == "__main__":
    util.main()
