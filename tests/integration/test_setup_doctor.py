"""`jit-agent setup` and `jit-agent doctor` end to end against the GitLab emulator (issue 15): a fresh
group is onboarded (project, files in one commit, trigger + group webhook, masked and hidden
JIT_CHECKOUT_TOKEN holding a new group access token, nightly schedule); a second run changes nothing;
a run stopped half-way is completed by the next; a Free instance (no group webhooks) gets everything
else and the per-project fallback; a missing Owner role stops with a message naming it; a dry run
sends no request; doctor says ok on a healthy group, warns on a token about to expire (in both of
its modes), fails on an expired token, a failed schedule and a disabled webhook; a `ci` job starts
with the doctor's cheap checks as warnings, bounded when GitLab does not answer, off with
JIT_DOCTOR=false. Every token (the administrator's, the
group access token setup creates, the trigger token, the webhook secret) is audited in all output."""
import os
import subprocess
import sys
import time
import unittest
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import jit_test_util as util  # noqa: E402
from gitlab_emulator import OWNER, MAINTAINER, GitLabEmulator  # noqa: E402

ADMIN = {"id": 7, "username": "alice", "name": "Alice"}
GROUP_ID = 10
WANTED_EVENTS = {"push_events", "tag_push_events", "merge_requests_events", "note_events", "subgroup_events"}


class SetupDoctorTest(unittest.TestCase):
    def start(self, premium=True, admin_level=OWNER):
        self.bot = util.fake_gitlab_pat(1501)
        self.admin = util.fake_gitlab_pat(1502)
        self.emu = GitLabEmulator(token=self.bot, users={self.admin: ADMIN}, premium=premium).start()
        self.addCleanup(self.emu.stop)
        self.emu.add_group(GROUP_ID, "acme")
        self.emu.add_group_member(GROUP_ID, ADMIN["id"], admin_level)

    def run_agent(self, *args, token=None, stdin=None, extra=None):
        env = {"PATH": util.NO_SCANNERS_PATH, "HOME": os.environ.get("TMPDIR", "/tmp"), "LANG": "C.UTF-8",
               "JIT_API_RETRY_INITIAL_MS": "10", "JIT_API_TIMEOUT_SECONDS": "10"}
        if token is not None:
            env["JIT_SETUP_TOKEN"] = token
        env.update(extra or {})
        p = subprocess.run([util.AGENT, *args, "--gitlab", self.emu.url], env=env, input=stdin or "",
                           capture_output=True, text=True, timeout=60)
        util.record_output(f"jit-agent {' '.join(args[:3])} (stdout)", p.stdout)
        util.record_output(f"jit-agent {' '.join(args[:3])} (stderr)", p.stderr)
        self.audit_secrets()
        return p

    def audit_secrets(self):
        """What setup created is a secret too: the group access token, trigger tokens, webhook secrets."""
        with self.emu.lock:
            for t in self.emu.created_tokens:
                util.secret(t, "the group access token setup created")
            for t in self.emu.trigger_tokens:
                util.secret(t, "a pipeline trigger token")
            for g in self.emu.groups.values():
                for h in g.get("hooks", []):
                    util.secret(h.get("token"), "the webhook's secret token")
        for r in self.emu.requests:
            util.record_output(f"request {r['method']} {r['path']} (path)", r["path"])

    def setup_ok(self, *extra, stdin=None):
        p = self.run_agent("setup", "--group", "acme", *extra, token=None if stdin else self.admin, stdin=stdin)
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        return p

    def project(self):
        return self.emu.project_by_path("acme/jit-security")

    def assert_onboarded(self):
        project = self.project()
        self.assertIsNotNone(project)
        pid = project["id"]
        self.assertEqual("maintainer", project["settings"]["ci_pipeline_variables_minimum_override_role"])
        commits = self.emu.commits(pid)
        self.assertEqual(1, len(commits))  # the three files in one commit
        self.assertEqual({".gitlab-ci.yml", "jit.yml", "ignores.yml"}, {a["file_path"] for a in commits[0]["actions"]})
        pipeline = self.emu.file(pid, ".gitlab-ci.yml")["content"]
        self.assertIn('value: "$CI_REGISTRY_IMAGE/jit-agent:0.1.0"', pipeline)
        self.assertIn("jit-db-update:", pipeline)
        self.assertIn("ignores: []", self.emu.file(pid, "ignores.yml")["content"])
        [trigger] = project["triggers"]
        [hook] = self.emu.hooks(GROUP_ID)
        self.assertEqual(f"{self.emu.api_url}/projects/{pid}/ref/main/trigger/pipeline?token={{trigger_token}}", hook["url"])
        self.assertEqual({"trigger_token": trigger["token"]}, hook["url_variables"])
        self.assertEqual(WANTED_EVENTS, {e for e in GitLabEmulator.HOOK_EVENTS if hook[e]})
        self.assertTrue(hook["enable_ssl_verification"])
        self.assertGreaterEqual(len(hook["token"] or ""), 32)
        [variable] = project["variables"]
        self.assertEqual(("JIT_CHECKOUT_TOKEN", True, True, True),
                         (variable["key"], variable["masked"], variable["hidden"], variable["protected"]))
        [token] = self.emu.created_tokens
        self.assertEqual(token, variable["value"])
        record = self.emu.access_tokens[token]
        self.assertEqual((["api", "write_repository"], 40), (record["scopes"], record["access_level"]))
        self.assertEqual((date.today() + timedelta(days=365)).isoformat(), record["expires_at"])
        [schedule] = project["schedules"]
        self.assertEqual(("main", True), (schedule["ref"], schedule["active"]))
        return project

    # ---- setup ---------------------------------------------------------------------------------
    def test_fresh_setup_then_rerun_changes_nothing(self):
        self.start()
        p = self.setup_ok(stdin=self.admin + "\n")  # the token on stdin
        self.assertEqual(5, p.stdout.count(": created"), p.stdout)
        self.assert_onboarded()
        self.emu.clear_requests()
        again = self.setup_ok()
        self.assertEqual(5, again.stdout.count(": unchanged"), again.stdout)
        self.assertEqual([], self.emu.writes())
        self.assertTrue(all(r["method"] == "GET" for r in self.emu.requests))
        self.assert_onboarded()
        doctor = self.run_agent("doctor", "--group", "acme", token=self.admin)
        self.assertEqual(0, doctor.returncode, doctor.stdout + doctor.stderr)
        self.assertNotIn("warn", doctor.stdout)
        for name in ("project", "variable", "token", "trigger", "webhook", "schedule", "pipeline"):
            self.assertRegex(doctor.stdout, rf"(?m)^ok +{name}: ")

    def test_partial_setup_is_completed(self):
        self.start()
        self.emu.add_fault(method="POST", path=r"/groups/[^/]+/hooks$", status=500)
        p = self.run_agent("setup", "--group", "acme", token=self.admin)
        self.assertEqual(3, p.returncode, p.stdout + p.stderr)
        self.assertIn("trigger token and group webhook: GitLab API POST", p.stderr)
        self.assertIsNone(self.project().get("variables"))
        done = self.setup_ok()
        lines = done.stdout.splitlines()
        self.assertRegex(lines[0], r"^\[1/5\] .*: unchanged")
        self.assertRegex(lines[1], r"^\[2/5\] .*: unchanged")
        self.assertRegex(lines[2], r"^\[3/5\] .*: created")  # the trigger of the first run, a new hook
        self.assertRegex(lines[3], r"^\[4/5\] .*: created")
        self.assertRegex(lines[4], r"^\[5/5\] .*: created")
        self.assert_onboarded()  # one trigger, one commit: nothing done twice

    def test_token_of_a_failed_variable_step_is_rotated_not_orphaned(self):
        self.start()
        self.emu.add_fault(method="POST", path=r"/projects/[^/]+/variables$", status=500)
        p = self.run_agent("setup", "--group", "acme", token=self.admin)
        self.assertEqual(3, p.returncode, p.stdout + p.stderr)
        self.assertIn("CI/CD variable JIT_CHECKOUT_TOKEN: GitLab API POST", p.stderr)
        [first] = self.emu.created_tokens
        done = self.setup_ok()
        self.assertIn('holding the rotated group access token "jit-agent checkout"', done.stdout)
        self.assertTrue(self.emu.access_token(first)["revoked"])
        second = self.emu.created_tokens[-1]
        self.assertEqual(second, self.project()["variables"][0]["value"])
        active = [t for t, r in self.emu.access_tokens.items() if r.get("group_id") == GROUP_ID
                  and not r["revoked"]]
        self.assertEqual([second], active)

    def test_each_step_checks_what_gitlab_answered(self):
        self.start()
        # An older GitLab answering 201 without the events it was sent (no subgroup events, say).
        settings = {e: e in WANTED_EVENTS - {"subgroup_events"} for e in GitLabEmulator.HOOK_EVENTS}
        self.emu.add_fault(method="POST", path=r"/groups/[^/]+/hooks$", status=201,
                           body=dict(settings, id=1, url="x", enable_ssl_verification=True))
        p = self.run_agent("setup", "--group", "acme", token=self.admin)
        self.assertEqual(3, p.returncode, p.stdout + p.stderr)
        self.assertIn("GitLab did not keep the webhook's settings: subgroup_events", p.stderr)
        self.assertNotIn("[4/5]", p.stdout)

    def test_free_instance_gets_the_project_webhook_fallback(self):
        self.start(premium=False)
        p = self.run_agent("setup", "--group", "acme", token=self.admin)
        self.assertEqual(7, p.returncode, p.stdout + p.stderr)
        self.assertIn("group webhooks: they need GitLab Premium", p.stdout)
        self.assertIn("POST /projects/<project>/hooks", p.stdout)
        self.assertIn("trigger/pipeline?token={trigger_token}", p.stdout)
        project = self.project()
        self.assertEqual(1, len(project["triggers"]))
        self.assertEqual(1, len(project["variables"]))
        self.assertEqual(1, len(project["schedules"]))
        doctor = self.run_agent("doctor", "--group", "acme", token=self.admin)
        self.assertEqual(7, doctor.returncode, doctor.stdout)
        self.assertRegex(doctor.stdout, r"(?m)^warn +webhook: no group webhooks on this instance \(GitLab Premium missing\)")

    def test_missing_owner_role_stops_with_the_role_named(self):
        self.start(admin_level=MAINTAINER)
        p = self.run_agent("setup", "--group", "acme", token=self.admin)
        self.assertEqual(3, p.returncode, p.stdout + p.stderr)
        self.assertIn("403 Forbidden", p.stderr)
        self.assertIn("group webhooks the Owner role on the group", p.stderr)
        self.assertNotIn("[4/5]", p.stdout)

    def test_dry_run_sends_nothing(self):
        self.start()
        p = self.run_agent("setup", "--group", "acme", "--dry-run", token=self.admin,
                           extra={"JIT_SETUP_CHECKOUT_TOKEN": util.fake_gitlab_pat(1503)})
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertEqual([], self.emu.requests)
        for request in ("POST /projects ", "PUT /projects/acme%2Fjit-security ",
                        "POST /projects/acme%2Fjit-security/repository/commits ",
                        "POST /projects/acme%2Fjit-security/triggers ", "POST /groups/acme/hooks ",
                        "POST /projects/acme%2Fjit-security/variables ",
                        "POST /projects/acme%2Fjit-security/pipeline_schedules "):
            self.assertIn("would send: " + request, p.stdout)
        self.assertIn('"value":"[REDACTED]"', p.stdout)
        self.assertIn('"token":"[REDACTED]"', p.stdout)
        self.assertIn("nothing was sent", p.stdout)

    # ---- doctor --------------------------------------------------------------------------------
    def test_doctor_warns_before_the_token_expires_and_fails_on_broken_parts(self):
        self.start()
        self.setup_ok()
        [token] = self.emu.created_tokens
        soon = (date.today() + timedelta(days=12)).isoformat()
        self.emu.access_tokens[token]["expires_at"] = soon
        p = self.run_agent("doctor", "--group", "acme", token=self.admin)
        self.assertEqual(7, p.returncode, p.stdout)
        self.assertRegex(p.stdout, rf"(?m)^warn +token: expires in 12 days \({soon}\) -> fix: rotate it")
        # The job's view (no --group): the token inspects itself, as at the start of every ci job.
        job_env = {"CI_API_V4_URL": self.emu.api_url, "JIT_CHECKOUT_TOKEN": token,
                   "CI_PROJECT_ID": str(self.project()["id"]), "CI_PROJECT_DIR": os.environ.get("TMPDIR", "/tmp")}
        job = subprocess.run([util.AGENT, "doctor"], env={"PATH": util.NO_SCANNERS_PATH, **job_env},
                             capture_output=True, text=True, timeout=60)
        util.record_output("jit-agent doctor (job, stdout)", job.stdout)
        util.record_output("jit-agent doctor (job, stderr)", job.stderr)
        self.assertRegex(job.stdout, rf"(?m)^warn +token: expires in 12 days \({soon}\)")
        self.assertRegex(job.stdout, r"(?m)^ok +variable: JIT_CHECKOUT_TOKEN is masked, hidden and protected")
        self.assertIn(job.returncode, (7,), job.stdout)  # warn: the token, and no OSV database here
        # Broken: the last nightly run failed, GitLab disabled the hook, the token expired.
        self.emu.set_schedule_last_pipeline(self.project()["id"], "failed")
        self.emu.set_hook_alert(GROUP_ID, "disabled")
        yesterday = (date.today() - timedelta(days=1)).isoformat()
        self.emu.access_tokens[token]["expires_at"] = yesterday
        p = self.run_agent("doctor", "--group", "acme", token=self.admin)
        self.assertEqual(8, p.returncode, p.stdout)
        self.assertRegex(p.stdout, r"(?m)^error +schedule: its last pipeline failed")
        self.assertRegex(p.stdout, r"(?m)^error +webhook: GitLab disabled it after failed deliveries")
        self.assertRegex(p.stdout, rf'(?m)^error +token: the group access token "jit-agent checkout" expired on {yesterday}')
        # The job's view of an expired token: GitLab refuses it (401), an error line, exit 8.
        job = subprocess.run([util.AGENT, "doctor"], env={"PATH": util.NO_SCANNERS_PATH, **job_env},
                             capture_output=True, text=True, timeout=60)
        util.record_output("jit-agent doctor (job, expired, stdout)", job.stdout)
        util.record_output("jit-agent doctor (job, expired, stderr)", job.stderr)
        self.assertEqual(8, job.returncode, job.stdout + job.stderr)
        self.assertRegex(job.stdout, r"(?m)^error +token: GitLab refuses JIT_CHECKOUT_TOKEN \(401")

    def test_setup_fixes_a_webhook_edited_by_hand(self):
        self.start()
        self.setup_ok()
        with self.emu.lock:
            hook = self.emu.groups[GROUP_ID]["hooks"][0]
            hook["note_events"], hook["enable_ssl_verification"], hook["job_events"] = False, False, True
        doctor = self.run_agent("doctor", "--group", "acme", token=self.admin)
        self.assertEqual(7, doctor.returncode, doctor.stdout)
        self.assertRegex(doctor.stdout, r"(?m)^warn +webhook: settings differ .*note_events, job_events, enable_ssl_verification")
        self.emu.clear_requests()
        p = self.setup_ok()
        self.assertIn("[3/5] trigger token and group webhook: updated (webhook fixed: note_events, job_events, "
                      "enable_ssl_verification)", p.stdout)
        self.assertEqual(["PUT"], [r["method"] for r in self.emu.writes()])
        self.assert_onboarded()


class CiPreflightTest(unittest.TestCase):
    """The doctor's cheap checks at the start of a `ci` job: a warning about the checkout token's
    expiry and the variable, never the job's failure, and bounded when GitLab does not answer."""

    def setUp(self):
        import ci_fixture as fx
        self.fx = fx
        self.world = fx.World().__enter__()
        self.addCleanup(self.world.__exit__, None, None, None)
        r = self.world.repo
        r.write("README.md", "# app\n")
        self.first = r.commit("initial")
        r.write("app.py", "print('hi')\n")
        self.second = r.commit("app")
        r.push("main")
        api = self.world.api
        self.soon = (date.today() + timedelta(days=9)).isoformat()
        api.access_tokens[self.world.token]["expires_at"] = self.soon
        # The dedicated project (CI_PROJECT_ID) holds JIT_CHECKOUT_TOKEN masked but not hidden.
        api.add_project(900, "group/jit-security")
        api.add_variable(("project", 900), "JIT_CHECKOUT_TOKEN", self.world.token, masked=True)

    def run_push(self, **extra):
        payload = self.world.push_payload(self.first, self.second)
        return self.world.run(self.world.env(payload, CI_PROJECT_ID="900", **extra))

    def test_warnings_at_the_start_of_the_job(self):
        proc = self.run_push()
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertRegex(proc.stderr, rf"warning: doctor: token: expires in 9 days \({self.soon}\) -> fix: rotate it")
        self.assertRegex(proc.stderr, r"warning: doctor: variable: JIT_CHECKOUT_TOKEN is masked but not hidden")
        self.assertEqual(["POST"], sorted({r["method"] for r in self.world.api.writes()}))  # statuses only
        self.assertTrue(all("/statuses/" in r["path"] for r in self.world.api.writes()))

    def test_a_gitlab_that_does_not_answer_costs_seconds_not_the_job(self):
        self.world.api.add_fault(method="GET", path=r"/personal_access_tokens/self$", delay=20, status=500)
        start = time.monotonic()
        proc = self.run_push()
        self.assertEqual(0, proc.returncode, proc.stderr)
        # The 20 s answer is not waited for (3 s bound): the job's next request follows within
        # seconds (whatever the build's speed), and the whole job takes less than the delay.
        reqs = self.world.api.requests
        probe = next(i for i, r in enumerate(reqs) if r["path"].endswith("/personal_access_tokens/self"))
        self.assertLess(probe + 1, len(reqs), "no request after the token check")
        self.assertLess(reqs[probe + 1]["time"] - reqs[probe]["time"], 10, reqs[probe + 1]["path"])
        self.assertLess(time.monotonic() - start, 18 * util.TIME_FACTOR)
        self.assertRegex(proc.stderr, r"warning: doctor: token: could not check: ")
        self.assertNotRegex(proc.stderr, r"(?m)^.*error.*doctor")

    def test_off_with_jit_doctor_false(self):
        proc = self.run_push(JIT_DOCTOR="false")
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertNotIn("doctor:", proc.stderr)
        self.assertFalse([r for r in self.world.api.requests if r["path"].endswith("/personal_access_tokens/self")])


if __name__ == "__main__":
    util.main()
