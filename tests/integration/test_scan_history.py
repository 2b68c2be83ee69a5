"""`jit-agent scan --history`: a synthetic history with planted secrets (added, modified, deleted,
renamed, on a side branch, only in a merge commit, under an excluded folder, in a binary blob, the
same blob twice) must give every secret exactly once, attributed to the commit that introduced it,
with the same fingerprint as a tree scan of the same file; `--range` and `--since` limit the walk;
a bare repository scans alike; the verdict cache answers every clean blob on the second run.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jit_test_util as util  # noqa: E402

# Random, run-time values shaped like tokens (never real credentials).
DELETED = util.fake_gitlab_pat(101)      # added in c1, deleted in c3
KEPT = util.fake_gitlab_pat(102)         # added in c2, still at HEAD, never moved
MODIFIED_OLD = util.fake_github_pat(103)  # added in c2 ...
MODIFIED_NEW = util.fake_github_pat(104)  # ... replaced in c4, then the file is renamed in c5
SIDE = util.fake_gitlab_pat(105)         # only on the unmerged branch `side`
MERGE_ONLY = util.fake_gitlab_pat(106)   # only in the merge commit's tree (an "evil merge")
EXCLUDED = util.fake_gitlab_pat(107)     # under vendor/, excluded
BINARY = util.fake_gitlab_pat(108)       # after a NUL byte: a binary blob
TWICE = util.fake_gitlab_pat(109)        # the same file content at two paths in two commits


class Repo:
    def __init__(self, path):
        self.path = path
        os.makedirs(path)
        self.tick = 0
        self.git("init", "-q", "-b", "main")

    def git(self, *args, author=("Alice Example", "alice@example.com")):
        self.tick += 1
        env = dict(os.environ, GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                   GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1],
                   GIT_AUTHOR_DATE=f"2024-01-{1 + self.tick // 10:02d}T10:{self.tick % 60:02d}:00Z",
                   GIT_COMMITTER_DATE=f"2024-01-{1 + self.tick // 10:02d}T10:{self.tick % 60:02d}:00Z",
                   GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
        out = subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def write(self, rel, text, mode="w"):
        full = os.path.join(self.path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, mode) as f:
            f.write(text)

    def commit(self, message, author=("Alice Example", "alice@example.com")):
        self.git("add", "-A", author=author)
        self.git("commit", "-q", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")


def build(root):
    r = Repo(os.path.join(root, "work"))
    r.write("README.md", "# demo\n")
    r.write("app/config.py", f"TOKEN = '{DELETED}'\n")
    r.write("vendor/lib/settings.py", f"KEY = '{EXCLUDED}'\n")
    r.write("assets/blob.bin", "\0\1\2" + f"token={BINARY}\n", mode="w")
    c1 = r.commit("c1: app config\n\nbody line")
    r.write("deploy/token.txt", f"deploy_token: {KEPT}\n")
    r.write("keys/github.env", f"GITHUB_TOKEN={MODIFIED_OLD}\n")
    r.write("one/copy.txt", f"copy={TWICE}\n")
    c2 = r.commit("c2: deploy token", author=("Bob Builder", "bob@example.com"))
    r.git("branch", "side")
    os.remove(os.path.join(r.path, "app/config.py"))
    c3 = r.commit("c3: remove the config")
    r.write("keys/github.env", f"GITHUB_TOKEN={MODIFIED_NEW}\n")
    r.write("two/copy.txt", f"copy={TWICE}\n")   # the same blob as one/copy.txt
    c4 = r.commit("c4: rotate the GitHub token")
    r.git("mv", "keys", "settings")  # keys/github.env -> settings/github.env
    c5 = r.commit("c5: move keys")
    # A topic branch merged with a change that exists only in the merge commit.
    r.git("checkout", "-q", "-b", "topic")
    r.write("topic.txt", "topic work\n")
    r.commit("t1: topic")
    r.git("checkout", "-q", "main")
    r.write("main.txt", "main work\n")
    r.commit("m1: main")
    r.git("merge", "-q", "--no-ff", "--no-commit", "topic")
    r.write("merged/creds.txt", f"password_token: {MERGE_ONLY}\n")
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "Merge branch 'topic'")
    merge = r.git("rev-parse", "HEAD")
    # The unmerged side branch, forked at c2.
    r.git("checkout", "-q", "side")
    r.write("side/notes.txt", f"token {SIDE}\n")
    side = r.commit("s1: side work", author=("Carol Side", "carol@example.com"))
    r.git("checkout", "-q", "main")
    return r, dict(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, merge=merge, side=side)


def secret_of(finding):
    return finding.get("secret") or finding.get("match") or ""


class HistoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="jit-history-")
        cls.repo, cls.c = build(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def scan(self, *args, cache=None, path=None):
        if cache is None:
            cache = tempfile.mkdtemp(dir=self.tmp.name, prefix="cache-")
        # Compiled rules are shared (compiling them is slow); verdicts are per `cache`.
        if not os.path.exists(os.path.join(cache, "hsdb")):
            os.makedirs(os.path.join(self.tmp.name, "hsdb"), exist_ok=True)
            os.symlink(os.path.join(self.tmp.name, "hsdb"), os.path.join(cache, "hsdb"))
        p = util.run_agent("scan", path or self.repo.path, "--format", "json", "--show-secrets", "--fail-on", "none",
                           "--exclude", "vendor/**", *args, env={"JIT_CACHE_DIR": cache})
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout), p.stderr

    def by_secret(self, report):
        out = {}
        for f in report["findings"]:
            for value in (DELETED, KEPT, MODIFIED_OLD, MODIFIED_NEW, SIDE, MERGE_ONLY, EXCLUDED, BINARY, TWICE):
                if value in json.dumps(f):
                    out.setdefault(value, []).append(f)
        return out

    def test_every_secret_once_with_its_commit(self):
        report, _ = self.scan("--history")
        found = self.by_secret(report)
        expected = {DELETED: ("c1", "app/config.py"), KEPT: ("c2", "deploy/token.txt"),
                    MODIFIED_OLD: ("c2", "keys/github.env"), MODIFIED_NEW: ("c4", "keys/github.env"),
                    SIDE: ("side", "side/notes.txt"), MERGE_ONLY: ("merge", "merged/creds.txt"),
                    TWICE: ("c2", "one/copy.txt")}
        for value, (commit, path) in expected.items():
            self.assertIn(value, found, f"{path} ({commit}) not found")
            self.assertEqual(len(found[value]), 1, f"{path} reported {len(found[value])} times")
            f = found[value][0]
            self.assertEqual(f["commit"], self.c[commit], f"{path}: wrong commit")
            self.assertEqual(f["path"], path)
        self.assertNotIn(EXCLUDED, found, "an excluded folder was read")
        self.assertNotIn(BINARY, found, "a binary blob was scanned")
        # Attribution details: who and when.
        kept = found[KEPT][0]
        prov = kept.get("provenance")
        if prov is not None:
            self.assertEqual(prov["author_name"], "Bob Builder")
            self.assertEqual(prov["author_email"], "bob@example.com")
            self.assertTrue(prov["date"].startswith("2024-01-"))
            self.assertEqual(prov["summary"], "c2: deploy token")
        if "commits_scanned" in report["stats"]:
            self.assertEqual(report["stats"]["commits_scanned"], 9)  # c1-c5, t1, m1, the merge, s1

    def test_fingerprint_equals_tree_scan(self):
        history, _ = self.scan("--history")
        tree, _ = self.scan()
        h = self.by_secret(history)[KEPT][0]
        t = self.by_secret(tree)[KEPT][0]
        self.assertEqual(h["fingerprint"], t["fingerprint"])
        self.assertEqual(t["path"], "deploy/token.txt")

    def test_bare_repository(self):
        bare = os.path.join(self.tmp.name, "bare.git")
        if not os.path.exists(bare):
            subprocess.run(["git", "clone", "-q", "--bare", "--no-local", self.repo.path, bare], check=True,
                           env=dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null"))
            # A bare clone maps the branches to refs/heads: `side` comes along.
        work, _ = self.scan("--history")
        bare_report, _ = self.scan("--history", path=bare)
        key = lambda r: sorted((f["fingerprint"], f["commit"], f["path"]) for f in r["findings"])
        self.assertEqual(key(work), key(bare_report))

    def test_range_and_since(self):
        report, _ = self.scan("--range", f"{self.c['c3']}..main")
        found = self.by_secret(report)
        self.assertEqual(set(found), {MODIFIED_NEW, MERGE_ONLY})
        self.assertNotIn(DELETED, found)
        self.assertNotIn(KEPT, found, "a blob already in c3 reported as new")
        self.assertNotIn(SIDE, found)
        self.assertIn(MODIFIED_NEW, found)
        self.assertIn(MERGE_ONLY, found)
        # two/copy.txt is the blob of one/copy.txt (in c3 already): not new.
        self.assertNotIn(TWICE, found)
        since, _ = self.scan("--since", self.c["c3"])
        found = self.by_secret(since)
        self.assertIn(SIDE, found, "--since covers every ref: the side branch's commit is new")
        self.assertIn(MODIFIED_NEW, found)
        self.assertNotIn(DELETED, found)
        self.assertNotIn(KEPT, found)

    def test_verdict_cache(self):
        cache = tempfile.mkdtemp(dir=self.tmp.name, prefix="cache-")
        first, err1 = self.scan("--history", cache=cache)
        second, err2 = self.scan("--history", cache=cache)
        key = lambda r: sorted((f["fingerprint"], f["commit"]) for f in r["findings"])
        self.assertEqual(key(first), key(second), "the cache changed the findings")
        m1 = re.search(r"(\d+) blobs? read .*?(\d+) answered by the verdict cache", err1)
        m2 = re.search(r"(\d+) blobs? read .*?(\d+) answered by the verdict cache", err2)
        self.assertTrue(m1 and m2, err1 + err2)
        read1, cached1 = int(m1.group(1)), int(m1.group(2))
        read2, cached2 = int(m2.group(1)), int(m2.group(2))
        self.assertEqual(cached1, 0)
        # Only the blobs with findings are read again (clean verdicts are cached, findings never are).
        self.assertEqual(read2, len({(f["commit"], f["path"]) for f in first["findings"]}))
        self.assertEqual(read2 + cached2, read1)
        # Other rules: other verdicts (nothing answered from the first rules' cache).
        rules = os.path.join(util.SOURCE_DIR, "rules", "secrets", "gitlab.yaml")
        if os.path.exists(rules):
            _, err3 = self.scan("--history", "--rules", rules, cache=cache)
            m3 = re.search(r"(\d+) answered by the verdict cache", err3)
            self.assertEqual(int(m3.group(1)), 0)

    def test_blob_read_at_its_newest_path_is_judged_at_its_oldest(self):
        """The walk hands blobs to the readers as it meets them, newest commit first, so a blob is
        first read under its newest path; attribution is to its oldest. Where the two paths fall
        under different path-restricted rules (a .netrc entry copied into notes), the finding of
        the oldest path must stand, with or without a warm verdict cache."""
        r = Repo(os.path.join(self.tmp.name, "classes"))
        # A weak password: only netrc-file-password (paths: .netrc) reports it; elsewhere netrc-password
        # wants entropy, so the same bytes under notes/ give nothing.
        entry = "machine ftp.partner.example.net login acme-upload password hunter22\n"
        r.write("home/ops/.netrc", entry)
        first = r.commit("n1: netrc")
        r.write("notes/netrc-example.txt", entry)
        r.commit("n2: the same entry in the notes")
        cache = tempfile.mkdtemp(dir=self.tmp.name, prefix="cache-")
        for run in ("cold", "warm"):
            report, err = self.scan("--history", cache=cache, path=r.path)
            netrc = [f for f in report["findings"] if f["rule_id"] == "netrc-file-password"]
            self.assertEqual(1, len(netrc), f"{run}: {report['findings']} {err}")
            self.assertEqual(first, netrc[0]["commit"], run)
            self.assertEqual("home/ops/.netrc", netrc[0]["path"], run)
            self.assertEqual(1, report["stats"]["files_scanned"] + report["stats"]["blobs_cached"], f"{run}: {report['stats']}")

    def test_reports_validate_against_their_schemas(self):
        """The JSON report against ours, GitLab's and SARIF's against the official schemas."""
        try:
            import test_report_schemas as schemas
        except ImportError as e:  # jsonschema missing
            self.skipTest(f"jsonschema unavailable: {e}")
        out = tempfile.mkdtemp(dir=self.tmp.name, prefix="reports-")
        report, _ = self.scan("--history", "--report", f"gitlab={out}/gl.json", "--report", f"sarif={out}/r.sarif")
        schemas.validate("json", report)
        if not os.path.isdir(util.SHARED_DATA):
            self.skipTest("../shared/data is absent: the official GitLab and SARIF schemas are there")
        with open(f"{out}/gl.json") as f:
            gitlab = json.load(f)
        schemas.validate("gitlab", gitlab)
        commits = {v["location"]["file"]: v["location"]["commit"] for v in gitlab["vulnerabilities"]}
        self.assertEqual(self.c["c2"], commits["deploy/token.txt"]["sha"])
        self.assertIn("Bob Builder", commits["deploy/token.txt"]["author"])
        self.assertEqual("c2: deploy token", commits["deploy/token.txt"]["message"])
        with open(f"{out}/r.sarif") as f:
            sarif = json.load(f)
        schemas.validate("sarif", sarif)
        props = [r["properties"] for r in sarif["runs"][0]["results"] if r.get("properties", {}).get("commit") == self.c["c4"]]
        self.assertTrue(props and props[0].get("commitAuthor") == "Alice Example", props)
        for text in (json.dumps(gitlab), json.dumps(sarif)):
            for value in (DELETED, KEPT, MODIFIED_NEW, SIDE, MERGE_ONLY):
                self.assertNotIn(value, text, "a secret leaked into a report")

    def test_missing_blob_is_counted_and_named(self):
        """A blob the repository lacks (a partial clone, a damaged object) is a warning and a count,
        never a silent gap or a crash; the other blobs are still scanned."""
        copy = os.path.join(self.tmp.name, "damaged")
        if not os.path.exists(copy):
            subprocess.run(["cp", "-a", self.repo.path, copy], check=True)
            blob = subprocess.run(["git", "-C", copy, "rev-parse", f"{self.c['c1']}:README.md"], check=True,
                                  capture_output=True, text=True).stdout.strip()
            os.remove(os.path.join(copy, ".git", "objects", blob[:2], blob[2:]))
        report, err = self.scan("--history", path=copy)
        self.assertEqual(1, report["stats"]["unreadable"], err)
        self.assertIn("history: cannot read blob", err)
        self.assertIn(KEPT, self.by_secret(report))

    def test_errors(self):
        p = util.run_agent("scan", self.repo.path, "--history", "--range", "nosuchref..main")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("nosuchref", p.stderr)
        p = util.run_agent("scan", self.repo.path, "--history", "--controls", "dependencies")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("secrets control only", p.stderr)
        p = util.run_agent("scan", "--history", os.path.join(self.tmp.name, "not-a-repo"))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("not-a-repo", p.stderr)


if __name__ == "__main__":
    util.main()
