"""A sharded scan: `jit-agent ci --shard I/N` in N jobs, then `jit-agent merge` of their partial
results, against the HTTPS git server and the GitLab API emulator. The merged reports equal one
unsharded `ci` run's (timestamps aside), exactly one summary note, one thread per finding and one
final status are posted; a missing shard, a shard of another head commit or a foreign partial make
merge refuse (exit 6) and post nothing; bad --shard values are usage errors naming the flag or the
variable; a shard never writes a raw secret into its partial (an artifact)."""
import json
import os
import re
import shutil
import string
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
from git_server import git  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 21
N = 3
FOLDERS = "folders:\n  - path: /svc-a\n  - path: /svc-b\n  - path: /svc-c\n  - path: /libs\n"
REPORT_FILES = ("gl-secret-detection-report.json", "jit-agent.sarif", "jit-agent.json",
                "gl-dependency-scanning-report.json")


def unique(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def normalised(text):
    """A report's JSON without the keys that hold times (they differ between any two runs). The
    unsharded full-tree scan lists "secrets" twice in `controls` (ci_scan's full_tree() adds it
    after SecretsControl did): merge lists every control once, so lists of controls are compared
    as sets in first-seen order."""
    def strip(v):
        if isinstance(v, dict):
            return {k: unique(strip(x)) if k in ("controls", "control_status") else strip(x)
                    for k, x in v.items() if not re.search(r"time|duration", k, re.I)}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(json.loads(text))


class ShardTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.world = fx.World().__enter__()
        self.secrets = []

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def secret(self):
        s = util.fake_gitlab_pat(300 + len(self.secrets))
        self.secrets.append(s)
        return s

    def folder(self, name):
        path = os.path.join(self.world.root, name)
        os.makedirs(path, exist_ok=True)
        return path

    # ---- running ------------------------------------------------------------------------------
    def env(self, payload, out, cache, **extra):
        return self.world.env(payload, CI_PROJECT_DIR=out, JIT_CACHE_DIR=os.path.join(self.world.root, cache), **extra)

    def agent(self, env, *args):
        p = subprocess.run([util.AGENT, *args], env=env, capture_output=True, text=True, errors="replace", timeout=300)
        p.log = p.stdout + p.stderr
        util.record_output(f"jit-agent {args[0]} (log)", p.log)
        for folder in {env["CI_PROJECT_DIR"], *args[1:2]}:
            util.record_files("job folder", folder)
        return p

    def run_single(self, payload, **extra):
        """One unsharded job with --dry-run (reads GitLab, posts nothing): the reference reports."""
        out = self.folder("single")
        p = self.agent(self.env(payload, out, "cache-single", **extra), "ci", "--dry-run")
        self.assertIn(p.returncode, (0, 1), p.log)
        return out, p

    def run_shards(self, payload, shards=range(1, N + 1), merge_dir="merge", **extra):
        """Each shard in its own job folder (as GitLab runs them), then its partial into merge_dir."""
        merge = self.folder(merge_dir)
        logs = []
        for i in shards:
            out = self.folder(f"shard-{i}")
            p = self.agent(self.env(payload, out, "cache-shards", CI_NODE_INDEX=str(i), CI_NODE_TOTAL=str(N), **extra), "ci")
            self.assertEqual(p.returncode, 0, p.log)
            self.assertEqual(os.listdir(out), [f"jit-partial-{i}-of-{N}.json"], p.log)  # no report
            for s in self.secrets:
                self.assertNotIn(s, p.log)
                with open(os.path.join(out, f"jit-partial-{i}-of-{N}.json")) as f:
                    self.assertNotIn(s, f.read())
            shutil.copy(os.path.join(out, f"jit-partial-{i}-of-{N}.json"), merge)
            logs.append(p.log)
        return merge, logs

    def merge(self, payload, merge, **extra):
        return self.agent(self.env(payload, merge, "cache-merge", **extra), "merge", merge)

    def assert_same_reports(self, single, merged):
        names = sorted(n for n in os.listdir(single) if n in REPORT_FILES or n.startswith("gl-sbom-"))
        self.assertEqual(names, sorted(n for n in os.listdir(merged) if n in REPORT_FILES or n.startswith("gl-sbom-")))
        for name in names:
            with open(os.path.join(single, name)) as a, open(os.path.join(merged, name)) as b:
                self.assertEqual(normalised(a.read()), normalised(b.read()), name)

    def threads(self):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]

    def summary_notes(self):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, IID)
                if d["individual_note"] and d["notes"][0]["body"].startswith("<!-- jit-agent:summary -->")]

    # ---- the repository -------------------------------------------------------------------------
    def merge_request_repo(self):
        """main with four monorepo folders; an MR adding secrets in three of them and outside."""
        r = self.world.repo
        r.write(".jit/jit-config.yml", FOLDERS)
        for name, size in (("svc-a", 40), ("svc-b", 20), ("svc-c", 10), ("libs", 5)):
            r.write(f"{name}/README.md", "text\n" * size)
        base = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("svc-a/app.py", f'TOKEN = "{self.secret()}"\n')
        r.write("svc-a/more.py", f'X = 1\nTOKEN2 = "{self.secret()}"\n')
        r.write("svc-b/client.py", f'CLIENT = "{self.secret()}"\n')
        r.write("libs/util.py", f'LIB = "{self.secret()}"\n')
        r.write("outside/x.py", f'OUT = "{self.secret()}"\n')  # outside every folder: not scanned
        r.commit("secrets")
        r.write("svc-c/tmp.py", f'TMP = "{self.secret()}"\n')
        r.commit("tmp")
        r.remove("svc-c/tmp.py")
        head = r.commit("drop tmp")  # a secret added then removed: still reported (per commit)
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, base, head)
        return head

    # ---- tests ----------------------------------------------------------------------------------
    def test_merge_request_sharded_equals_one_job_and_posts_once(self):
        head = self.merge_request_repo()
        payload = self.world.mr_payload(IID, head)
        single, _ = self.run_single(payload)
        self.assertEqual(self.world.api_writes(exclude_statuses=False), [])
        merge, logs = self.run_shards(payload)
        # Only shard 1 says "running"; nothing else is posted by the shards.
        self.assertEqual([s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)], ["running"])
        self.assertEqual(self.world.api_writes(), [])
        self.assertIn(f"shard 2/{N} (added lines", logs[1])
        p = self.merge(payload, merge)
        self.assertEqual(p.returncode, 1, p.log)  # critical findings, as the single job
        self.assert_same_reports(single, merge)
        report = json.loads(open(os.path.join(merge, "jit-agent.json")).read())
        paths = sorted(f["path"] for f in report["findings"])
        self.assertEqual(paths, ["libs/util.py", "svc-a/app.py", "svc-a/more.py", "svc-b/client.py", "svc-c/tmp.py"])
        on_added = [f for f in report["findings"] if f["path"] != "svc-c/tmp.py"]
        self.assertEqual(len(self.threads()), len(on_added), p.log)
        self.assertEqual(len({t["notes"][0]["body"] for t in self.threads()}), len(on_added))
        self.assertEqual(len(self.summary_notes()), 1)
        self.assertEqual([s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)], ["running", "failed"])
        # Every shard scanned something: the split is real.
        per_shard = [json.load(open(os.path.join(merge, f"jit-partial-{i}-of-{N}.json")))["result"]["findings"]
                     for i in range(1, N + 1)]
        self.assertEqual(sum(len(f) for f in per_shard), len(report["findings"]))
        self.assertTrue(all(per_shard), [len(f) for f in per_shard])
        for s in self.secrets:
            self.assertNotIn(s, p.log)
        self.assertNotIn(self.world.token, self.world.everything_written(p))

        # Merging again posts nothing new (the threads and the summary are read back).
        self.world.api.clear_requests()
        p = self.merge(payload, merge)
        self.assertEqual(p.returncode, 1, p.log)
        self.assertEqual(self.world.api_writes(), [])

    def test_variable_values_and_token_checks_travel_in_partials(self):
        """Each shard looks for the CI/CD variable values and asks about the GitLab tokens it found
        (partials never hold a token): merged reports equal one job's."""
        api = self.world.api
        value = util.secret("Vq" + util.rand(string.ascii_letters + string.digits, 20, 77) + "@z", "a variable value")
        api.add_variable(("project", fx.PROJECT_ID), "DEPLOY_SECRET", value, masked=True)
        head = self.merge_request_repo()
        live = self.secrets[0]  # svc-a/app.py
        api.add_access_token(live, {"id": 55, "username": "bob", "name": "Bob"}, scopes=("api",))
        r = self.world.repo
        r.write("svc-b/deploy.env", f"SECRET={value}\n")
        head = r.commit("deploy settings")
        r.push("feature")
        self.world.register_mr(IID, git("rev-parse", "main", cwd=r.work).strip(), head)
        payload = self.world.mr_payload(IID, head)
        single, _ = self.run_single(payload, JIT_VALIDATE_TOKENS=None)
        merge, logs = self.run_shards(payload, JIT_VALIDATE_TOKENS=None)
        p = self.merge(payload, merge, JIT_VALIDATE_TOKENS=None)
        self.assertEqual(p.returncode, 1, p.log)
        self.assert_same_reports(single, merge)
        report = json.loads(open(os.path.join(merge, "jit-agent.json")).read())
        variables = [f for f in report["findings"] if f["rule_id"] == "ci-variable-value"]
        self.assertEqual([("svc-b/deploy.env", "DEPLOY_SECRET")], [(f["path"], f["variable"]["key"]) for f in variables])
        checked = {f["path"]: f["token_check"]["status"] for f in report["findings"] if f.get("token_check")}
        self.assertEqual("active", checked.get("svc-a/app.py"), checked)
        self.assertEqual("critical", [f for f in report["findings"] if f["path"] == "svc-a/app.py"][0]["severity"])
        # The merge job asks nothing itself: every answer came in the partials.
        self.assertTrue(any("token" in log.lower() and "active" in log for log in logs), logs)
        for text in [p.log, *logs]:
            self.assertNotIn(value, text)
            self.assertNotIn(live, text)

    def test_full_tree_without_folders_with_dependencies(self):
        r = self.world.repo
        for i in range(12):
            r.write(f"pkg{i % 4}/file-{i:02}.py", f"# {i}\n" + "x = 1\n" * (i * 30 + 1))
        r.write("pkg1/settings.py", f'TOKEN = "{self.secret()}"\n')
        r.write("pkg2/deep/keys.py", f'KEY = "{self.secret()}"\n')
        r.write("requirements.txt", "requests==2.2.0\n")
        r.write("tools/requirements.txt", "requests==2.2.0\n")
        first = r.commit("initial")
        r.write("README.md", "# app\n")
        head = r.commit("readme")
        r.push("main")
        payload = self.world.push_payload(first, head)
        db = self.world.osv_db("PYSEC-2014-13", "PYSEC-2014-14")
        single, p1 = self.run_single(payload, JIT_DB_DIR=db)
        self.assertIn("scan (full tree", p1.log)
        merge, _ = self.run_shards(payload, JIT_DB_DIR=db)
        p = self.merge(payload, merge, JIT_DB_DIR=db)
        self.assertEqual(p.returncode, 1, p.log)
        self.assert_same_reports(single, merge)
        self.assertTrue([n for n in os.listdir(merge) if n.startswith("gl-sbom-")])
        report = json.loads(open(os.path.join(merge, "jit-agent.json")).read())
        self.assertEqual(len([f for f in report["findings"] if f["control"] == "secrets"]), 2)
        self.assertTrue([f for f in report["findings"] if f["control"] == "dependencies"])
        self.assertEqual([s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)], ["running", "failed"])

    def test_missing_shard_is_refused_and_nothing_posted(self):
        head = self.merge_request_repo()
        payload = self.world.mr_payload(IID, head)
        merge, _ = self.run_shards(payload, shards=(1, 3))
        self.world.api.clear_requests()
        p = self.merge(payload, merge)
        self.assertEqual(p.returncode, 6, p.log)
        self.assertIn("missing partial results of shard 2 of 3", p.log)
        self.assertIn("nothing written or posted", p.log)
        self.assertEqual(self.world.api_writes(exclude_statuses=False), [])
        self.assertFalse([n for n in os.listdir(merge) if not n.startswith("jit-partial-")])
        # No partial at all (e.g. `merge` given the wrong folder): refused too.
        p = self.merge(payload, self.folder("empty"))
        self.assertEqual(p.returncode, 6, p.log)
        self.assertIn("no partial results", p.log)
        self.assertEqual(self.world.api_writes(exclude_statuses=False), [])

    def test_shards_of_different_heads_or_events_are_refused(self):
        head = self.merge_request_repo()
        payload = self.world.mr_payload(IID, head)
        merge, _ = self.run_shards(payload)
        path = os.path.join(merge, f"jit-partial-2-of-{N}.json")
        with open(path) as f:
            partial = json.load(f)
        partial["event"]["head_sha"] = "f" * 40
        with open(path, "w") as f:
            json.dump(partial, f)
        self.world.api.clear_requests()
        p = self.merge(payload, merge)
        self.assertEqual(p.returncode, 6, p.log)
        self.assertIn("the branch moved", p.log)
        self.assertEqual(self.world.api_writes(exclude_statuses=False), [])
        self.assertFalse([n for n in os.listdir(merge) if not n.startswith("jit-partial-")])
        # All shards agree, but on another merge request than this pipeline's event.
        for i in range(1, N + 1):
            shutil.copy(os.path.join(self.world.root, f"shard-{i}", f"jit-partial-{i}-of-{N}.json"), merge)
        other = self.world.mr_payload(IID + 1, head)
        p = self.merge(other, merge)
        self.assertEqual(p.returncode, 6, p.log)
        self.assertIn("this pipeline's event", p.log)
        self.assertEqual(self.world.api_writes(exclude_statuses=False), [])

    def test_shard_values_are_validated(self):
        payload = self.world.push_payload("0" * 40, "a" * 40)
        out = self.folder("bad")
        for args, extra, says in ((["--shard", "0/3"], {}, "--shard 0/3"),
                                  (["--shard", "4/3"], {}, "--shard 4/3"),
                                  (["--shard", "x"], {}, "--shard x"),
                                  ([], {"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"}, "CI_NODE_INDEX/CI_NODE_TOTAL 4/3"),
                                  ([], {"CI_NODE_INDEX": "1"}, "CI_NODE_INDEX/CI_NODE_TOTAL 1/: both must be set"),
                                  ([], {"CI_NODE_TOTAL": "3"}, "CI_NODE_INDEX/CI_NODE_TOTAL /3: both must be set")):
            p = self.agent(self.env(payload, out, "cache", **extra), "ci", *args)
            self.assertEqual(p.returncode, 2, p.log)
            self.assertIn(says, p.log)
        self.assertEqual(self.world.api.requests, [])

    def test_shard_1_of_1_is_an_ordinary_job(self):
        r = self.world.repo
        r.write("app.py", f'TOKEN = "{self.secret()}"\n')
        head = r.commit("initial")
        r.push("main")
        out = self.folder("one")
        p = self.agent(self.env(self.world.push_payload("0" * 40, head), out, "cache", CI_NODE_INDEX="2",
                                CI_NODE_TOTAL="3"), "ci", "--shard", "1/1")
        self.assertEqual(p.returncode, 1, p.log)
        self.assertIn("jit-agent.json", os.listdir(out))
        self.assertFalse([n for n in os.listdir(out) if n.startswith("jit-partial-")])
        self.assertEqual([s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)], ["running", "failed"])

    def test_thread_command_is_handled_once_by_merge(self):
        head = self.merge_request_repo()
        w = self.world
        w.api.add_project(900, "security/jit-scans")
        w.api.add_file(900, "ignores.yml", "ignores: []\n")
        w.api.add_member(fx.PROJECT_ID, 321, "dev.one", 30, name="Dev One")
        dedicated = dict(CI_PROJECT_ID="900", CI_DEFAULT_BRANCH="main")
        merge, _ = self.run_shards(w.mr_payload(IID, head), **dedicated)
        self.assertEqual(self.merge(w.mr_payload(IID, head), merge, **dedicated).returncode, 1)
        thread = self.threads()[0]
        path = w.note_payload(IID, head, "#jit_ignore_fp test data")
        with open(path) as f:
            note = json.load(f)
        note["object_attributes"].update(id=7001, discussion_id=thread["id"])
        note["user"] = dict(note["user"], id=321, username="dev.one", name="Dev One")
        note["merge_request"]["state"] = "opened"
        with open(path, "w") as f:
            json.dump(note, f)
        w.api.clear_requests()
        for i in range(1, N + 1):
            shutil.rmtree(os.path.join(w.root, f"shard-{i}"))
        notes_merge, logs = self.run_shards(path, merge_dir="merge-note", **dedicated)
        self.assertIn("deferred (a thread command, handled by jit-agent merge)", logs[1])
        self.assertEqual(w.api_writes(exclude_statuses=False), [])  # the shards leave it to merge
        p = self.merge(path, notes_merge, **dedicated)
        self.assertEqual(p.returncode, 1, p.log)  # the other findings still fail the MR
        self.assertIn("running the job unsharded", p.log)
        self.assertEqual(len(w.api.commits(900)), 2, p.log)  # the file's creation + one ignore
        self.assertTrue(next(d for d in w.api.discussions(fx.PROJECT_ID, IID)
                             if d["id"] == thread["id"])["notes"][0]["resolved"])
        self.assertEqual(len(self.summary_notes()), 1)

    def test_skipped_event_is_skipped_by_merge_too(self):
        payload = self.world.push_payload("a" * 40, "0" * 40, ref="refs/heads/gone")  # a deleted branch
        merge, logs = self.run_shards(payload)
        self.assertIn("skipping:", logs[0])
        p = self.merge(payload, merge)
        self.assertEqual(p.returncode, 0, p.log)
        self.assertIn("skipping:", p.log)
        self.assertEqual(self.world.api.requests, [])


if __name__ == "__main__":
    fx.require_everything()
    util.main()
