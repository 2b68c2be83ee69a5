"""Shared set-up of the `jit-agent ci` end-to-end tests: a real HTTPS git server (git_server.py)
and the GitLab API emulator (gitlab_emulator.py) on one self-signed certificate, webhook-shaped
TRIGGER_PAYLOAD files built from GitLab's documented examples, and an agent run with a clean
environment (nothing inherited from the CI job running the tests)."""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)

from git_server import GitServer, git  # noqa: E402
from gitlab_emulator import GitLabEmulator  # noqa: E402
import jit_test_util as util  # noqa: E402

WEBHOOKS = os.path.join(util.SHARED_DATA, "gitlab", "webhooks")
PROJECT_ID = 7
PROJECT_PATH = "group/app"
JOB_URL = "https://gitlab.example.com/jit/scans/-/jobs/4242"
PIPELINE_URL = "https://gitlab.example.com/jit/scans/-/pipelines/99"
REPORTS = ("gl-secret-detection-report.json", "jit-agent.sarif", "jit-agent.json")


def require_everything():
    """Exit 77 (skip) when the agent, the shared data or the git server's tools are missing."""
    util.require_agent()
    util.require_shared_data()
    if not GitServer.available():
        print("SKIP: nginx, fcgiwrap, git-http-backend or openssl missing (scripts/install-deps.sh --tests)")
        sys.exit(util.SKIP)


def added_lines(repo, base, head):
    """{path: {line, ...}} of lines added from base to head (what GitLab accepts as new_line)."""
    out = {}
    diff = git("diff", "--unified=0", "--no-renames", base, head, cwd=repo.work)
    path = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = None if line == "+++ /dev/null" else line[6:]
        m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
        if m and path:
            start, count = int(m.group(1)), int(m.group(2) or 1)
            out.setdefault(path, set()).update(range(start, start + count))
    return out


class World:
    """Both servers, a target repository and a scratch folder; use as a context manager."""

    def __init__(self, token=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="jit-ci-test-")
        self.root = self.tmp.name
        self.token = token or util.fake_gitlab_pat(101)
        self.git = GitServer(os.path.join(self.root, "git"), self.token)
        self.api = None
        self.repo = None
        self.out = os.path.join(self.root, "out")
        os.makedirs(self.out)

    def __enter__(self):
        self.git.start()
        key = os.path.join(self.git.root, "tls", "server.key")
        self.api = GitLabEmulator(token=self.token, certfile=self.git.ca_file, keyfile=key).start()
        self.repo = self.git.create_repo(PROJECT_PATH)
        self.api.add_project(PROJECT_ID, PROJECT_PATH)
        return self

    def __exit__(self, *exc):
        # The redaction audit (jit_test_util) searches everything the agent wrote and posted.
        if self.api:
            for r in self.api.requests:
                util.record_output(f"body of {r['method']} {r['path']}", r["raw_body"])
        util.secret(self.token, "the checkout token")
        if self.api:
            self.api.stop()
        self.git.stop()
        self.tmp.cleanup()

    # ---- events -------------------------------------------------------------------------------
    def _project_block(self, src):
        block = dict(src)
        block.update(id=PROJECT_ID, path_with_namespace=PROJECT_PATH, default_branch="main",
                     git_http_url=self.git.url_for(PROJECT_PATH), web_url=f"{self.git.url}/{PROJECT_PATH}")
        return block

    def write_payload(self, name, payload):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            json.dump(payload, f)
        return path

    def mr_payload(self, iid, head, source="feature", action="open", oldrev=None):
        """GitLab's documented merge_request.json with this repository's project, branches and sha."""
        with open(os.path.join(WEBHOOKS, "merge_request.json")) as f:
            p = json.load(f)
        p["project"] = self._project_block(p["project"])
        a = p["object_attributes"]
        a.update(iid=iid, source_branch=source, target_branch="main", source_project_id=PROJECT_ID,
                 target_project_id=PROJECT_ID, action=action, state="opened",
                 url=f"{self.git.url}/{PROJECT_PATH}/-/merge_requests/{iid}")
        a["last_commit"] = dict(a["last_commit"], id=head)
        a["source"] = self._project_block(a["source"])
        a["target"] = self._project_block(a["target"])
        if oldrev:
            a["oldrev"] = oldrev
        return self.write_payload(f"mr-{iid}-{head[:8]}.json", p)

    def push_payload(self, before, after, ref="refs/heads/main"):
        with open(os.path.join(WEBHOOKS, "push.json")) as f:
            p = json.load(f)
        p.update(before=before, after=after, checkout_sha=after, ref=ref, project_id=PROJECT_ID)
        p["project"] = self._project_block(p["project"])
        return self.write_payload(f"push-{after[:8]}.json", p)

    def note_payload(self, iid, head, body):
        with open(os.path.join(WEBHOOKS, "note_merge_request.json")) as f:
            p = json.load(f)
        p["project"] = self._project_block(p["project"])
        p["project_id"] = PROJECT_ID
        p["object_attributes"]["note"] = body
        mr = p["merge_request"]
        mr.update(iid=iid, source_branch="feature", target_branch="main", source_project_id=PROJECT_ID,
                  target_project_id=PROJECT_ID)
        mr["last_commit"] = dict(mr["last_commit"], id=head)
        return self.write_payload(f"note-{iid}.json", p)

    def register_mr(self, iid, base, head):
        """Tells the emulator about an MR (or a new version of it) as GitLab would compute it."""
        lines = added_lines(self.repo, base, head)
        project = self.api.projects[PROJECT_ID]
        if iid in project["mrs"]:
            self.api.add_version(PROJECT_ID, iid, head, base, base, added_lines=lines)
        else:
            self.api.add_merge_request(PROJECT_ID, iid, path=PROJECT_PATH,
                                       versions=[dict(head=head, base=base, start=base)], added_lines=lines)

    def osv_db(self, *advisories):
        """An OSV database with the given PyPI advisories of the shared data (imported by the agent)."""
        db = os.path.join(self.root, "osv")
        records = [os.path.join(util.SHARED_DATA, "osv-db", "PyPI", f"{a}.json") for a in advisories]
        p = subprocess.run([util.AGENT, "db", "--db", db, "import", *records], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"db import failed: {p.stderr}")
        return db

    # ---- running the agent ----------------------------------------------------------------------
    def env(self, payload, **extra):
        """A clean CI environment: only what a GitLab job of the dedicated project would set."""
        env = {
            "PATH": util.NO_SCANNERS_PATH,  # no preset tool: tests of external controls pass PATH
            "HOME": self.root,
            "TMPDIR": self.root,
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_PIPELINE_SOURCE": "trigger",
            "CI_SERVER_URL": self.git.url,
            "CI_API_V4_URL": self.api.api_url,
            "CI_SERVER_TLS_CA_FILE": self.git.ca_file,
            "CI_PROJECT_DIR": self.out,
            "CI_JOB_URL": JOB_URL,
            "CI_PIPELINE_URL": PIPELINE_URL,
            "JIT_CHECKOUT_TOKEN": self.token,
            "JIT_CACHE_DIR": os.path.join(self.root, "cache"),
            "JIT_RULES_DIR": os.path.join(util.SOURCE_DIR, "rules", "secrets"),
            "JIT_API_RETRY_INITIAL_MS": "20",
            "JIT_API_TIMEOUT_SECONDS": "5",
            # The fake GitLab tokens most tests commit are unknown to the emulator, which (like
            # GitLab) calls them revoked: the live token check would lower them to low. Its own
            # test (test_ci_token_check.py) turns it on.
            "JIT_VALIDATE_TOKENS": "false",
            "TRIGGER_PAYLOAD": payload,
        }
        env.update({k: v for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            env.pop(k, None)
        return env

    def run(self, env, *args):
        p = subprocess.run([util.AGENT, "ci", *args], env=env, capture_output=True, text=True,
                           errors="replace", timeout=300)
        self.last_output = p.stdout + p.stderr
        util.record_output("jit-agent ci (stdout)", p.stdout)
        util.record_output("jit-agent ci (stderr)", p.stderr)
        util.record_files("reports", self.out)
        return p

    def reports(self):
        out = {}
        for name in REPORTS:
            path = os.path.join(self.out, name)
            if os.path.exists(path):
                with open(path) as f:
                    out[name] = f.read()
        return out

    def everything_written(self, proc):
        """Every log line, report and body posted to GitLab, as one text (for leak checks)."""
        parts = [proc.stdout, proc.stderr, *self.reports().values()]
        for r in self.api.requests:
            parts.append(json.dumps(r["body"]))
            parts.append(r["raw_body"])
        for name in os.listdir(self.out):
            with open(os.path.join(self.out, name), errors="replace") as f:
                parts.append(f.read())
        return "\n".join(parts)

    def api_writes(self, exclude_statuses=True):
        """(method, path) of every successful POST/PUT the agent sent, statuses left out by default."""
        return [(r["method"], r["path"]) for r in self.api.writes()
                if not (exclude_statuses and "/statuses/" in r["path"])]


def deep(d):
    return copy.deepcopy(d)
