"""The GitLab CI templates (templates/.gitlab-ci.yml and templates/jit-agent.yml): valid against
GitLab's CI schema, and run for real with gitlab-ci-local (shell executor, the built binary on
PATH) against the HTTPS git server and the GitLab API emulator of tests/support:

- which jobs each pipeline source starts (webhook trigger, relay trigger, api, schedule, push);
- a skipped event: the job passes and posts nothing;
- the schedule's jit-db-update fills the OSV cache, then a webhook-triggered jit-scan of a push
  pulls it, fetches over HTTPS with the token, and produces every artifact the job declares; its
  GitLab cache keeps the git mirror and the compiled rules for the next pipeline;
- a relay's JIT_EVENT through the trigger API (GitLab fills TRIGGER_PAYLOAD with the request too);
- the includable template in a target project's own merge request pipeline (spec:inputs);
- the sharded variant (JIT_SHARDED=true): three jit-scan-shard jobs (parallel: 3) and jit-report
  (needs:) run as one pipeline, posting once.

gitlab-ci-local and Node 22 come from npm (scripts/install-test-tools.sh); exit 77 when npm or the
registry is unavailable.
"""
import copy
import json
import os
import re
import signal
import subprocess
import sys
import unittest
import zipfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402
from test_db_update import ExportServer  # noqa: E402

TEMPLATE = os.path.join(util.SOURCE_DIR, "templates", ".gitlab-ci.yml")
INCLUDABLE = os.path.join(util.SOURCE_DIR, "templates", "jit-agent.yml")
CI_SCHEMA = os.path.join(util.SHARED_DATA, "schemas", "gitlab-ci.json")
SCHEMAS = os.path.join(util.SHARED_DATA, "schemas")
PREDEFINED = "CI_PROJECT_DIR,CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_COMMIT_SHA,CI_SERVER_URL,CI_API_V4_URL,CI_JOB_URL,CI_PIPELINE_URL"
REPORTS = ("gl-secret-detection-report.json", "gl-dependency-scanning-report.json")
GCL_TIMEOUT = 240  # one job takes seconds; a hang must not eat ctest's whole budget
TOOLS_BIN = None  # node_modules/.bin holding gitlab-ci-local and Node 22


def install_tools():
    global TOOLS_BIN
    script = os.path.join(util.SOURCE_DIR, "scripts", "install-test-tools.sh")
    p = subprocess.run(["bash", script], capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        print(f"SKIP: gitlab-ci-local could not be installed from npm: {p.stderr.strip()[-800:]}")
        sys.exit(util.SKIP)
    TOOLS_BIN = os.path.join(p.stdout.strip().splitlines()[-1], "node_modules", ".bin")


def load_documents(path):
    with open(path) as f:
        return list(yaml.safe_load_all(f))


def interpolate(header, text, **inputs):
    """The jobs document with `$[[ inputs.x ]]` replaced as GitLab does before validating it: the
    given inputs, else the defaults; a value that is the whole YAML scalar keeps its type."""
    values = {name: spec.get("default") for name, spec in header["spec"]["inputs"].items()}
    values.update(inputs)
    body = text.split("\n---\n", 1)[1]
    whole = re.compile(r"^(\s*[^#\s][^:]*:\s*)\$\[\[\s*inputs\.(\w+)\s*\]\]\s*$", re.M)
    body = whole.sub(lambda m: m.group(1) + json.dumps(values[m.group(2)]), body)
    body = re.sub(r"\$\[\[\s*inputs\.(\w+)\s*\]\]", lambda m: str(values[m.group(1)]), body)
    return yaml.safe_load(body)


class Project:
    """A git repository with an origin (gitlab-ci-local wants one) holding the pipeline files."""

    def __init__(self, root, files):
        self.dir = os.path.join(root, "project")
        os.makedirs(self.dir)
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        self.home = os.path.join(root, "home")
        os.makedirs(self.home)
        self.bin = os.path.join(root, "bin")  # only jit-agent: the job sees the built binary
        os.makedirs(self.bin)
        os.symlink(util.AGENT, os.path.join(self.bin, "jit-agent"))
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "pipeline"],
                     ["remote", "add", "origin", "https://gitlab.example.com/security/jit.git"],
                     ["update-ref", "refs/remotes/origin/main", "HEAD"],
                     ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]):
            subprocess.run(git + args, cwd=self.dir, check=True, capture_output=True,
                           env={"PATH": os.environ["PATH"], "HOME": self.home})

    def gcl(self, *args, variables=None):
        """gitlab-ci-local with a clean environment (nothing inherited from a CI job running us)."""
        cmd = ["gitlab-ci-local", "--ignore-predefined-vars", PREDEFINED, "--no-color"]
        for k, v in (variables or {}).items():
            cmd += ["--variable", f"{k}={v}"]
        env = {"PATH": f"{TOOLS_BIN}:{self.bin}:/usr/local/bin:/usr/bin:/bin", "HOME": self.home,
               "LANG": "C.UTF-8", "TMPDIR": os.path.dirname(self.dir)}
        # Own process group: on a timeout the job's processes (a hung jit-agent) go too.
        proc = subprocess.Popen(cmd + list(args), cwd=self.dir, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
        try:
            out, err = proc.communicate(timeout=GCL_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError(f"gitlab-ci-local {' '.join(args)} still running after {GCL_TIMEOUT} s:\n{out}{err}")
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        p.log = out + err
        return p

    def jobs(self, **variables):
        """Names of the jobs a pipeline with these variables would run."""
        p = self.gcl("--list-json", variables=variables)
        if p.returncode != 0:
            raise AssertionError(p.log)
        listed = json.loads(p.stdout[p.stdout.index("[\n"):p.stdout.rindex("]") + 1])
        return sorted(j["name"] for j in listed if j.get("when") != "never")

    def run_job(self, job, **variables):
        # With --force-shell-executor, gitlab-ci-local leaves CI_PROJECT_DIR at the container path
        # (/builds/<path>) for jobs that name an image, although the job runs in this folder.
        variables.setdefault("CI_PROJECT_DIR", os.path.join(self.dir, ".gitlab-ci-local", "builds", job))
        return self.gcl("--force-shell-executor", "--shell-isolation", job, variables=variables)

    def artifacts(self, job):
        folder = os.path.join(self.dir, ".gitlab-ci-local", "artifacts", job)
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def reports(self, job, declared=REPORTS):
        """The declared reports:<type> files the job left in its folder (gitlab-ci-local exports
        only artifacts:paths, GitLab uploads reports:<type> from the same folder)."""
        folder = os.path.join(self.dir, ".gitlab-ci-local", "builds", job)
        return sorted(n for n in declared if os.path.isfile(os.path.join(folder, n)))

    def artifact(self, job, name):
        exported = os.path.join(self.dir, ".gitlab-ci-local", "artifacts", job, name)
        path = exported if os.path.exists(exported) else os.path.join(self.dir, ".gitlab-ci-local", "builds", job, name)
        with open(path) as f:
            return f.read()

    def cache(self, key):
        return os.path.join(self.dir, ".gitlab-ci-local", "cache", key)


class SchemaTest(unittest.TestCase):
    def setUp(self):
        util.require_shared_data()
        import jsonschema
        with open(CI_SCHEMA) as f:
            self.validator = jsonschema.Draft7Validator(json.load(f))

    def errors(self, document):
        return [f"{e.json_path}: {e.message[:200]}" for e in self.validator.iter_errors(document)]

    def test_templates_validate_against_gitlab_ci_schema(self):
        (pipeline,) = load_documents(TEMPLATE)
        self.assertEqual(self.errors(pipeline), [])
        header, _ = load_documents(INCLUDABLE)
        self.assertEqual(list(header), ["spec"])
        self.assertEqual(self.errors(header), [])
        with open(INCLUDABLE) as f:
            text = f.read()
        for inputs in ({}, {"allow_failure": True, "update_osv_db": True, "config": "ci/jit.yml"}):
            jobs = interpolate(header, text, image="registry.example.com/jit-agent:0.1.0", **inputs)
            self.assertEqual(self.errors(jobs), [], inputs)
            self.assertIs(jobs["jit-agent"]["allow_failure"], inputs.get("allow_failure", False))
        self.assertNotIn("default", header["spec"]["inputs"]["image"])  # the includer must name it

    def test_the_schema_catches_a_wrong_key(self):
        (pipeline,) = load_documents(TEMPLATE)
        broken = copy.deepcopy(pipeline)
        broken["jit-scan"]["artifacts"]["report"] = broken["jit-scan"]["artifacts"].pop("reports")
        self.assertNotEqual(self.errors(broken), [])

    def test_declared_artifacts_are_what_the_agent_writes(self):
        (pipeline,) = load_documents(TEMPLATE)
        artifacts = pipeline["jit-scan"]["artifacts"]
        self.assertEqual(artifacts["reports"], {"secret_detection": "gl-secret-detection-report.json",
                                                "dependency_scanning": "gl-dependency-scanning-report.json",
                                                "sast": "gl-sast-report.json",
                                                "cyclonedx": "gl-sbom-*.cdx.json"})
        self.assertEqual(artifacts["paths"], ["jit-agent.html", "jit-agent.sarif", "jit-agent.json"])
        # The HTML report is linked from merge requests; GitLab refuses globs in paths beside expose_as.
        header, _ = load_documents(INCLUDABLE)
        with open(INCLUDABLE) as f:
            included = interpolate(header, f.read(), image="registry.example.com/jit-agent:0.1.0")["jit-agent"]
        for job in (pipeline["jit-scan"], pipeline["jit-report"], included):
            self.assertEqual(job["artifacts"]["expose_as"], "Jit security report")
            self.assertIn("jit-agent.html", job["artifacts"]["paths"])
            self.assertFalse([p for p in job["artifacts"]["paths"] if "*" in p or p.endswith("/")])
        self.assertEqual(artifacts["when"], "always")
        self.assertEqual(pipeline[".jit-agent"]["image"]["entrypoint"], [""])


class TemplateRunTest(unittest.TestCase):
    """Each test: a fresh dedicated project with the template, git server and GitLab emulator."""

    def setUp(self):
        self.world = fx.World().__enter__()
        with open(TEMPLATE) as f:
            self.project = Project(self.world.root, {".gitlab-ci.yml": f.read()})

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def ci_variables(self, **extra):
        """What GitLab gives a job of the dedicated project, pointed at the local servers."""
        v = {"CI_SERVER_URL": self.world.git.url, "CI_API_V4_URL": self.world.api.api_url,
             "CI_SERVER_TLS_CA_FILE": self.world.git.ca_file, "CI_JOB_URL": fx.JOB_URL,
             "CI_PIPELINE_URL": fx.PIPELINE_URL, "JIT_CHECKOUT_TOKEN": self.world.token,
             "JIT_RULES_DIR": os.path.join(util.SOURCE_DIR, "rules", "secrets"),
             "JIT_API_RETRY_INITIAL_MS": "20", "JIT_API_TIMEOUT_SECONDS": "5"}
        v.update(extra)
        return v

    def seed_target(self):
        """The target project: a planted token and a vulnerable requirement on main."""
        self.secret = util.fake_github_pat(71)
        r = self.world.repo
        r.write("app/settings.py", f'TOKEN = "{self.secret}"\n')
        r.write("requirements.txt", "requests==2.2.0\n")
        self.first = r.commit("initial")
        r.write("README.md", "# app\n")
        self.head = r.commit("readme")
        r.push("main")

    def assert_no_leak(self, text):
        self.assertNotIn(self.world.token, text)
        self.assertNotIn(self.secret, text)

    def test_pipeline_sources_select_the_jobs(self):
        p = self.project
        event = json.dumps({"version": 1, "kind": "other", "gitlab_kind": "pipeline"})
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="push"), [])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="trigger"), ["jit-scan"])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="api", JIT_EVENT=event), ["jit-scan"])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="pipeline", JIT_EVENT=event), ["jit-scan"])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="api"), [])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="web"), [])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="schedule"), ["jit-db-update"])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="web", JIT_DB_UPDATE="true"), ["jit-db-update"])
        sharded = ["jit-report", "jit-scan-shard: [1/3]", "jit-scan-shard: [2/3]", "jit-scan-shard: [3/3]"]
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="trigger", JIT_SHARDED="true"), sharded)
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="api", JIT_EVENT=event, JIT_SHARDED="true"), sharded)
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="schedule", JIT_SHARDED="true"), ["jit-db-update"])
        listed = p.gcl("--list", variables={"CI_PIPELINE_SOURCE": "trigger"})
        self.assertEqual(listed.returncode, 0, listed.log)
        self.assertIn("json schema validated", listed.log)

    def test_skipped_event_passes_and_posts_nothing(self):
        event = json.dumps({"version": 1, "kind": "merge_request", "project": {"id": fx.PROJECT_ID, "path": fx.PROJECT_PATH},
                            "merge_request": {"iid": 4, "head_sha": "b" * 40, "state": "closed",
                                              "source_branch": "feature", "target_branch": "main"}})
        r = self.project.run_job("jit-scan", **self.ci_variables(CI_PIPELINE_SOURCE="api", JIT_EVENT=event))
        self.assertEqual(r.returncode, 0, r.log)
        self.assertIn("PASS", r.log)
        self.assertIn("skipping: merge request is closed", r.log)
        self.assertEqual(self.world.api.requests, [])
        self.assertEqual(self.project.artifacts("jit-scan"), [])

    def test_schedule_fills_the_osv_cache_then_a_webhook_scan_uses_it(self):
        util.require_shared_data()
        self.seed_target()
        www = os.path.join(self.world.root, "www")
        os.makedirs(os.path.join(www, "PyPI"))
        with zipfile.ZipFile(os.path.join(www, "PyPI", "all.zip"), "w") as z:
            for adv in ("PYSEC-2014-13", "PYSEC-2014-14"):
                z.write(os.path.join(util.SHARED_DATA, "osv-db", "PyPI", f"{adv}.json"), f"{adv}.json")
        exports = ExportServer(www)
        try:
            r = self.project.run_job("jit-db-update", CI_PIPELINE_SOURCE="schedule",
                                     JIT_OSV_ECOSYSTEMS="PyPI", JIT_OSV_BASE_URL=exports.url)
        finally:
            exports.stop()
        self.assertEqual(r.returncode, 0, r.log)
        self.assertIn("PyPI: 2 records", r.log)
        self.assertTrue(os.path.exists(os.path.join(self.project.cache("jit-osv-db"), ".jit-osv-db", "osv.db")), r.log)

        payload = self.world.push_payload(self.first, self.head)
        r = self.project.run_job("jit-scan", **self.ci_variables(CI_PIPELINE_SOURCE="trigger", TRIGGER_PAYLOAD=payload))
        self.assertEqual(r.returncode, 0, r.log)      # exit 1 (findings) is an allowed failure
        self.assertRegex(r.log, r"WARN\s+jit-scan")
        self.assertIn("imported cache 'jit-osv-db'", r.log)
        self.assertIn("scan (full tree", r.log)
        self.assertEqual(self.project.artifacts("jit-scan"), ["jit-agent.html", "jit-agent.json", "jit-agent.sarif"])
        self.assertEqual(self.project.reports("jit-scan"),
                         ["gl-dependency-scanning-report.json", "gl-secret-detection-report.json"])
        self.assert_reports_valid()
        statuses = self.world.api.statuses(fx.PROJECT_ID, self.head)
        self.assertEqual(["running", "failed"], [s["status"] for s in statuses])
        self.assertEqual(fx.JOB_URL, statuses[-1]["target_url"])
        written = [self.project.artifact("jit-scan", n) for n in ("jit-agent.json", "jit-agent.sarif", "jit-agent.html", *REPORTS)]
        self.assert_no_leak(r.log + "".join(written))

        # The GitLab cache of the scan keeps the project's mirror and the compiled rules.
        cache = os.path.join(self.project.cache("jit-git-shared"), ".jit-cache")
        self.assertTrue(os.path.isdir(os.path.join(cache, f"{fx.PROJECT_ID}.git")), r.log)
        self.assertTrue([n for n in os.listdir(os.path.join(cache, "hsdb")) if n.endswith(".hsdb")])
        self.assertFalse(os.path.exists(self.project.cache("jit-osv-db") + "/.jit-osv-db/jit-agent.json"))

        # The next pipeline restores that cache: the rules are not compiled again.
        self.world.repo.write("docs/notes.md", "nothing\n")
        newer = self.world.repo.commit("notes")
        self.world.repo.push("main")
        payload = self.world.push_payload(self.head, newer)
        r = self.project.run_job("jit-scan", **self.ci_variables(CI_PIPELINE_SOURCE="trigger", TRIGGER_PAYLOAD=payload,
                                                                JIT_AGENT_FLAGS="-v"))
        self.assertEqual(r.returncode, 0, r.log)
        self.assertIn("imported cache 'jit-git-shared'", r.log)
        self.assertIn("rules loaded from the compiled cache", r.log)
        self.assertNotRegex(r.log, r"secrets: compiled \d+ rules")
        self.assertEqual(["running", "failed"], [s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, newer)])

    def assert_reports_valid(self):
        import jsonschema
        for name, schema in (("gl-secret-detection-report.json", "secret-detection-report-format.json"),
                             ("gl-dependency-scanning-report.json", "dependency-scanning-report-format.json")):
            with open(os.path.join(SCHEMAS, schema)) as f:
                validator = jsonschema.Draft7Validator(json.load(f))
            report = json.loads(self.project.artifact("jit-scan", name))
            self.assertEqual([e.message for e in validator.iter_errors(report)], [], name)
            self.assertTrue(report["vulnerabilities"], name)
        secrets_report = json.loads(self.project.artifact("jit-scan", "gl-secret-detection-report.json"))
        self.assertIn("app/settings.py", json.dumps(secrets_report))
        self.assertIn("PYSEC-2014-13", self.project.artifact("jit-scan", "gl-dependency-scanning-report.json"))
        sarif = json.loads(self.project.artifact("jit-scan", "jit-agent.sarif"))
        self.assertEqual(sarif["version"], "2.1.0")

    def test_relay_event_through_the_trigger_api(self):
        self.seed_target()
        event = {"version": 1, "kind": "push",
                 "project": {"id": fx.PROJECT_ID, "path": fx.PROJECT_PATH, "default_branch": "main"},
                 "push": {"before": self.first, "after": self.head, "ref": "refs/heads/main"}}
        # What GitLab puts in TRIGGER_PAYLOAD for `POST /projects/:id/trigger/pipeline` (token removed).
        request = self.world.write_payload("trigger-request.json", {
            "ref": "main", "id": "42", "variables": {"JIT_EVENT": json.dumps(event), "JIT_CACHE_KEY": str(fx.PROJECT_ID)}})
        r = self.project.run_job("jit-scan", **self.ci_variables(
            CI_PIPELINE_SOURCE="trigger", TRIGGER_PAYLOAD=request, JIT_EVENT=json.dumps(event),
            JIT_CACHE_KEY=str(fx.PROJECT_ID)))
        self.assertEqual(r.returncode, 0, r.log)
        self.assertIn("from JIT_EVENT", r.log)
        self.assertEqual(self.project.artifacts("jit-scan"), ["jit-agent.html", "jit-agent.json", "jit-agent.sarif"])
        self.assertEqual(self.project.reports("jit-scan"), ["gl-secret-detection-report.json"])  # no OSV db yet
        self.assertTrue(os.path.isdir(os.path.join(self.project.cache(f"jit-git-{fx.PROJECT_ID}"), ".jit-cache",
                                                   f"{fx.PROJECT_ID}.git")), r.log)
        self.assert_no_leak(r.log)


    def test_sharded_pipeline_posts_once(self):
        r = self.world.repo
        r.write(".jit/jit-config.yml", "folders:\n  - path: /a\n  - path: /b\n  - path: /c\n")
        for d, size in (("a", 30), ("b", 20), ("c", 10)):
            r.write(f"{d}/README.md", "text\n" * size)
        base = r.commit("initial")
        r.push("main")
        r.branch("feature")
        self.secret = util.fake_github_pat(81)
        secrets = [self.secret, util.fake_github_pat(82), util.fake_github_pat(83)]
        for d, s in zip("abc", secrets):
            r.write(f"{d}/token.py", f'TOKEN = "{s}"\n')
        head = r.commit("tokens")
        r.push("feature")
        r.merge_request(9, "feature")
        self.world.register_mr(9, base, head)
        # CI_PROJECT_DIR ".": each job's own folder (gitlab-ci-local's shell executor runs every job
        # in its build folder but says /builds/<path>, and parallel jobs have no fixed folder name).
        variables = self.ci_variables(CI_PIPELINE_SOURCE="trigger", TRIGGER_PAYLOAD=self.world.mr_payload(9, head),
                                      JIT_SHARDED="true", CI_PROJECT_DIR=".")
        p = self.project.gcl("--force-shell-executor", "--shell-isolation", variables=variables)
        self.assertEqual(p.returncode, 0, p.log)  # exit 1 (findings) of jit-report is an allowed failure
        for i in (1, 2, 3):
            self.assertRegex(p.log, rf"PASS\s+jit-scan-shard: \[{i}/3\]")
            self.assertIn(f"partial results written to ./jit-partial-{i}-of-3.json", p.log)
        self.assertRegex(p.log, r"WARN\s+jit-report")
        self.assertIn("merge: 3 partial results of 3 shards", p.log)
        threads = [d for d in self.world.api.discussions(fx.PROJECT_ID, 9) if not d["individual_note"]]
        self.assertEqual(len(threads), 3, p.log)
        summaries = [d for d in self.world.api.discussions(fx.PROJECT_ID, 9)
                     if d["individual_note"] and d["notes"][0]["body"].startswith("<!-- jit-agent:summary -->")]
        self.assertEqual(len(summaries), 1)
        self.assertEqual(["running", "failed"], [s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)])
        report = json.loads(self.project.artifact("jit-report", "jit-agent.json"))
        self.assertEqual(sorted(f["path"] for f in report["findings"]), ["a/token.py", "b/token.py", "c/token.py"])
        self.assertEqual(self.project.reports("jit-report"), ["gl-secret-detection-report.json"])
        for s in secrets:
            self.assertNotIn(s, p.log)
        self.assertNotIn(self.world.token, p.log)


class IncludableTemplateTest(unittest.TestCase):
    """templates/jit-agent.yml included with inputs by a target project, in its own MR pipeline."""

    def setUp(self):
        self.world = fx.World().__enter__()
        with open(INCLUDABLE) as f:
            included = f.read()
        pipeline = ("include:\n  - local: templates/jit-agent.yml\n    inputs:\n"
                    "      image: registry.example.com/security/jit-agent:0.1.0\n"
                    "      job_name: secrets\n      stage: scan\n      config: ci/jit.yml\n"
                    "stages: [build, scan]\n")
        self.project = Project(self.world.root, {".gitlab-ci.yml": pipeline, "templates/jit-agent.yml": included,
                                                 "ci/jit.yml": "fail_on: critical\n"})

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def test_jobs_by_pipeline_source(self):
        p = self.project
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="merge_request_event"), ["secrets"])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="push"), ["secrets"])   # main is the default branch
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="topic"), [])
        self.assertEqual(p.jobs(CI_PIPELINE_SOURCE="trigger"), [])
        preview = p.gcl("--preview")
        self.assertEqual(preview.returncode, 0, preview.log)
        job = yaml.safe_load(preview.stdout[preview.stdout.index("---"):])["secrets"]
        self.assertEqual(job["image"], {"name": "registry.example.com/security/jit-agent:0.1.0", "entrypoint": [""]})
        self.assertEqual(job["stage"], "scan")
        self.assertIs(job["allow_failure"], False)

    def test_merge_request_pipeline_posts_a_thread(self):
        r = self.world.repo
        r.write("README.md", "# app\n")
        base = r.commit("initial")
        r.push("main")
        r.branch("feature")
        secret = util.fake_github_pat(72)
        r.write("app/client.py", f'CLIENT_TOKEN = "{secret}"\n')
        head = r.commit("client")
        r.push("feature")
        r.merge_request(5, "feature")
        self.world.register_mr(5, base, head)
        variables = {
            "CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_SHA": head,
            "CI_MERGE_REQUEST_IID": "5", "CI_MERGE_REQUEST_PROJECT_ID": str(fx.PROJECT_ID),
            "CI_MERGE_REQUEST_PROJECT_PATH": fx.PROJECT_PATH, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
            "CI_SERVER_URL": self.world.git.url, "CI_API_V4_URL": self.world.api.api_url,
            "CI_SERVER_TLS_CA_FILE": self.world.git.ca_file, "CI_JOB_URL": fx.JOB_URL,
            "JIT_CHECKOUT_TOKEN": self.world.token,
            "JIT_RULES_DIR": os.path.join(util.SOURCE_DIR, "rules", "secrets"),
        }
        result = self.project.run_job("secrets", **variables)
        # A critical finding fails the MR pipeline (allow_failure defaults to false), judged by
        # fail_on: critical from ci/jit.yml, the `config` input (the default would say "high").
        self.assertEqual(result.returncode, 1, result.log)
        self.assertRegex(result.log, r"FAIL\s+secrets")
        self.assertIn("scan (added lines", result.log)
        threads = [d for d in self.world.api.discussions(fx.PROJECT_ID, 5) if not d["individual_note"]]
        self.assertEqual(len(threads), 1, result.log)
        self.assertEqual(len(self.world.api.notes(fx.PROJECT_ID, 5)), 2)  # the thread's note + the summary
        self.assertIn("app/client.py", json.dumps(threads))
        statuses = self.world.api.statuses(fx.PROJECT_ID, head)
        self.assertEqual(["running", "failed"], [s["status"] for s in statuses])
        self.assertIn("at or above critical", statuses[-1]["description"])
        self.assertEqual(self.project.artifacts("secrets"), ["jit-agent.html", "jit-agent.json", "jit-agent.sarif"])
        self.assertEqual(self.project.reports("secrets"), ["gl-secret-detection-report.json"])
        self.assertNotIn(secret, result.log)
        self.assertNotIn(self.world.token, result.log)


def main():
    util.require_agent()
    fx.require_everything()
    install_tools()
    result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
