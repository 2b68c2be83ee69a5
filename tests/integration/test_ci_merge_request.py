"""`jit-agent ci` on a merge request, end to end: a webhook-shaped TRIGGER_PAYLOAD, a fetch over
HTTPS with the token from the real git server, the scan, and exactly the expected status, summary
note and threads on the GitLab emulator; a re-run posts nothing new; rewriting the branch without
the secret resolves the thread. Fake secrets are generated at run time."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 16


class MergeRequestTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.secret_kept = util.fake_github_pat(21)
        self.secret_removed = util.fake_github_pat(22)
        r = self.world.repo
        r.write("README.md", "# app\n")
        r.write("app/config.py", "DEBUG = False\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("app/config.py", f'DEBUG = False\nAPI_URL = "https://api.example.com"\nGITHUB_TOKEN = "{self.secret_kept}"\n')
        r.commit("configure the API")
        r.write("notes.txt", f"temporary: {self.secret_removed}\n")
        r.commit("notes")
        r.remove("notes.txt")
        self.head = r.commit("drop the notes")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def run_ci(self, head, **extra):
        payload = self.world.mr_payload(IID, head, **extra)
        return self.world.run(self.world.env(payload))

    def threads(self):
        return self.threads_of(IID)

    def threads_of(self, iid):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, iid) if not d["individual_note"]]

    def summary_notes(self):
        return [d["notes"][0] for d in self.world.api.discussions(fx.PROJECT_ID, IID)
                if d["individual_note"] and d["notes"][0]["body"].startswith("<!-- jit-agent:summary -->")]

    def assert_no_leak(self, proc):
        text = self.world.everything_written(proc)
        self.assertNotIn(self.world.token, text)
        for secret in (self.secret_kept, self.secret_removed):
            self.assertNotIn(secret, proc.stdout + proc.stderr)
            for r in self.world.api.requests:
                self.assertNotIn(secret, r["raw_body"])

    def test_open_rerun_and_fix(self):
        # 1. The MR is opened: one thread on the added line, one summary note, status failed.
        first = self.run_ci(self.head)
        self.assertEqual(1, first.returncode, first.stderr)
        threads = self.threads()
        self.assertEqual(1, len(threads), threads)
        note = threads[0]["notes"][0]
        pos = note["position"]
        self.assertEqual(("app/config.py", "app/config.py", 3, None),
                         (pos["new_path"], pos["old_path"], pos["new_line"], pos["old_line"]))
        self.assertEqual((self.main, self.main, self.head), (pos["base_sha"], pos["start_sha"], pos["head_sha"]))
        self.assertRegex(note["body"], r"^<!-- jit-agent:fingerprint=[0-9a-f]{64} -->\n")
        self.assertIn("github-pat", note["body"])
        summaries = self.summary_notes()
        self.assertEqual(1, len(summaries))
        summary = summaries[0]["body"]
        self.assertIn("Outside the diff (1)", summary)
        self.assertIn("notes.txt", summary)  # added in one commit, removed in a later one
        self.assertIn("| secrets | 2 | 0 | 0 | 0 | 0 | 0 | 2 |", summary)
        self.assertIn(fx.PIPELINE_URL, summary)
        statuses = self.world.api.statuses(fx.PROJECT_ID, self.head)
        self.assertEqual(["running", "failed"], [s["status"] for s in statuses])
        self.assertTrue(all(s["name"] == "jit-security" and s["target_url"] == fx.JOB_URL for s in statuses))
        self.assertEqual("feature", statuses[-1]["ref"])
        self.assertEqual("jit-agent: 2 findings (2 critical); 2 at or above high", statuses[-1]["description"])
        reports = self.world.reports()
        self.assertEqual(set(fx.REPORTS), set(reports))
        vulns = json.loads(reports["gl-secret-detection-report.json"])["vulnerabilities"]
        self.assertEqual(2, len(vulns))
        self.assert_no_leak(first)
        writes_after_first = len(self.world.api_writes())
        self.assertEqual(2, writes_after_first)  # the thread and the summary note

        # 2. The same pipeline again: nothing new is posted (only the status is set again).
        self.world.api.clear_requests()
        again = self.run_ci(self.head)
        self.assertEqual(1, again.returncode, again.stderr)
        self.assertEqual([], self.world.api_writes())
        self.assertEqual(1, len(self.threads()))
        self.assertEqual(1, len(self.summary_notes()))
        self.assertIn("1 already there", again.stderr)

        # 3. The branch is rewritten without the secrets (the only real fix for a pushed secret):
        #    the thread gets a short reply and is resolved, the summary is edited in place.
        r = self.world.repo
        r.branch("feature", "main")
        r.write("app/config.py", 'DEBUG = False\nAPI_URL = "https://api.example.com"\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
        fixed = r.commit("configure the API from the environment")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, fixed)
        self.world.api.clear_requests()
        third = self.run_ci(fixed, action="update", oldrev=self.head)
        self.assertEqual(0, third.returncode, third.stderr)
        threads = self.threads()
        self.assertEqual(1, len(threads))
        self.assertTrue(threads[0]["notes"][0]["resolved"])
        self.assertEqual(2, len(threads[0]["notes"]))
        self.assertIn("No longer detected", threads[0]["notes"][1]["body"])
        summaries = self.summary_notes()
        self.assertEqual(1, len(summaries))
        self.assertEqual(summaries[0]["id"], self.summary_notes()[0]["id"])
        self.assertIn("No findings", summaries[0]["body"])
        self.assertEqual(sorted([("POST", f"/api/v4/projects/{fx.PROJECT_ID}/merge_requests/{IID}/discussions/{threads[0]['id']}/notes"),
                                 ("PUT", f"/api/v4/projects/{fx.PROJECT_ID}/merge_requests/{IID}/discussions/{threads[0]['id']}"),
                                 ("PUT", f"/api/v4/projects/{fx.PROJECT_ID}/merge_requests/{IID}/notes/{summaries[0]['id']}")]),
                         sorted(self.world.api_writes()))
        statuses = self.world.api.statuses(fx.PROJECT_ID, fixed)
        self.assertEqual(["running", "success"], [s["status"] for s in statuses])
        self.assertEqual("jit-agent: no findings", statuses[-1]["description"])
        self.assert_no_leak(third)

    def test_fix_commit_resolves_thread_and_keeps_history_finding(self):
        first = self.run_ci(self.head)
        self.assertEqual(1, first.returncode, first.stderr)
        self.assertEqual(1, len(self.threads()))
        # A fix commit on top: the line goes, the secret stays readable in the branch history.
        r = self.world.repo
        r.write("app/config.py", 'DEBUG = False\nAPI_URL = "https://api.example.com"\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
        fixed = r.commit("read the token from the environment")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, fixed)
        self.world.api.clear_requests()
        second = self.run_ci(fixed, action="update", oldrev=self.head)
        self.assertEqual(1, second.returncode, second.stderr)  # still leaked: rotate it
        threads = self.threads()
        self.assertEqual(1, len(threads))
        self.assertTrue(threads[0]["notes"][0]["resolved"])
        self.assertIn("still in the branch history", threads[0]["notes"][-1]["body"])
        summary = self.summary_notes()[0]["body"]
        self.assertIn("Outside the diff (2)", summary)
        self.assertIn("app/config.py", summary)
        self.assert_no_leak(second)
        # Once more: nothing new.
        self.world.api.clear_requests()
        third = self.run_ci(fixed, action="update", oldrev=self.head)
        self.assertEqual(1, third.returncode, third.stderr)
        self.assertEqual([], self.world.api_writes())

    def test_dry_run_posts_nothing(self):
        payload = self.world.mr_payload(IID, self.head)
        proc = self.world.run(self.world.env(payload), "--dry-run")
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertEqual([], self.world.api.writes())
        self.assertIn("dry run: would open a thread on app/config.py:3", proc.stderr)
        self.assertIn("dry run: would post the summary note", proc.stderr)
        self.assertEqual(set(fx.REPORTS), set(self.world.reports()))

    def test_output_dir_and_configuration(self):
        # Central jit.yml: files scope, summary only, another status name, fail on critical only... and
        # a repository file that adds an exclude.
        cfg = os.path.join(self.world.root, "jit.yml")
        with open(cfg, "w") as f:
            f.write("scope: files\nstatus: {name: Jit Security}\nmerge_request: {threads: false}\nfail_on: none\n")
        r = self.world.repo
        r.switch("feature")
        r.write(".jit/jit-config.yml", "exclude: ['docs/**']\n")
        r.write("docs/example.md", f"token {util.fake_github_pat(23)}\n")
        head = r.commit("docs and repo config")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, head)
        out = os.path.join(self.world.root, "elsewhere")
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, head)), "--config", cfg, "--output-dir", out)
        self.assertEqual(0, proc.returncode, proc.stderr)  # fail_on: none
        self.assertTrue(os.path.exists(os.path.join(out, "jit-agent.json")))
        self.assertEqual([], self.threads())
        summary = self.summary_notes()[0]["body"]
        self.assertNotIn("docs/example.md", summary)
        self.assertIn("app/config.py", summary)
        statuses = self.world.api.statuses(fx.PROJECT_ID, head)
        self.assertEqual(["Jit Security"], sorted({s["name"] for s in statuses}))
        self.assertEqual("success", statuses[-1]["status"])
        report = json.loads(open(os.path.join(out, "jit-agent.json")).read())
        self.assertNotIn("docs/example.md", json.dumps(report))

    def deps_mr(self, iid, requests_pin):
        """main requires `requests_pin`; the MR (branch deps) adds urllib3 1.22 on line 2. Returns the head."""
        r = self.world.repo
        r.switch("main")
        r.write("requirements.txt", f"{requests_pin}\n")
        main = r.commit("requirements")
        r.push("main")
        r.branch("deps", "main")
        r.write("requirements.txt", f"{requests_pin}\nurllib3==1.22\n")
        head = r.commit("add urllib3")
        r.push("deps")
        r.merge_request(iid, "deps")
        self.world.register_mr(iid, main, head)
        return head

    def test_only_new_vulnerable_dependencies(self):
        # main already depends on a vulnerable requests; the MR adds a vulnerable urllib3: only that is new.
        head = self.deps_mr(IID + 1, "requests==2.2.0")
        db = self.world.osv_db("PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2018-32")
        proc = self.world.run(self.world.env(self.world.mr_payload(IID + 1, head, source="deps"), JIT_DB_DIR=db))
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        report = self.world.reports()["jit-agent.json"]
        self.assertIn("PYSEC-2018-32", report)
        self.assertNotIn("PYSEC-2014-13", report)
        self.assertEqual(["secrets", "dependencies"], json.loads(report)["controls"])
        self.assertTrue(os.path.exists(os.path.join(self.world.out, "gl-dependency-scanning-report.json")))
        # On the added line 2 of requirements.txt: an inline thread.
        threads = self.threads_of(IID + 1)
        self.assertEqual(1, len(threads), threads)
        self.assertEqual(("requirements.txt", 2), (threads[0]["notes"][0]["position"]["new_path"],
                                                    threads[0]["notes"][0]["position"]["new_line"]))
        self.assertIn("urllib3", threads[0]["notes"][0]["body"])
        self.assertNotIn("PYSEC-2014-13", json.dumps(self.world.api.discussions(fx.PROJECT_ID, IID + 1)))

    def test_one_thread_per_vulnerable_package_edited_when_its_advisories_change(self):
        # The MR adds urllib3 1.22: two advisories, one thread on its line, with the one upgrade.
        head = self.deps_mr(IID + 2, "requests==2.31.0")
        db = self.world.osv_db("PYSEC-2018-32", "PYSEC-2019-132")
        env = self.world.env(self.world.mr_payload(IID + 2, head, source="deps"), JIT_DB_DIR=db)
        proc = self.world.run(env)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        threads = self.threads_of(IID + 2)
        self.assertEqual(1, len(threads), threads)
        note = threads[0]["notes"][0]
        self.assertEqual(("requirements.txt", 2), (note["position"]["new_path"], note["position"]["new_line"]))
        for text in ("PYSEC-2018-32", "PYSEC-2019-132", "2 advisories affect this version", "Upgrade to ` 1.24.3 `"):
            self.assertIn(text, note["body"])
        summary = [d["notes"][0]["body"] for d in self.world.api.discussions(fx.PROJECT_ID, IID + 2)
                   if d["individual_note"]]
        self.assertTrue(any("1 vulnerable package (2 advisories): 1 fixed by one upgrade" in b for b in summary), summary)
        report = json.loads(self.world.reports()["jit-agent.json"])
        fixes = {f["dependency"]["advisory_id"]: f["dependency"]["fix"] for f in report["findings"] if f["dependency"]}
        self.assertEqual({"version": "1.24.3", "resolves": ["PYSEC-2018-32", "PYSEC-2019-132"]}, fixes["PYSEC-2018-32"])

        # A third advisory for the same version: the thread is edited in place, no second thread.
        self.world.osv_db("PYSEC-2019-133")
        self.world.api.clear_requests()
        proc = self.world.run(env)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        threads = self.threads_of(IID + 2)
        self.assertEqual(1, len(threads), threads)
        self.assertIn("PYSEC-2019-133", threads[0]["notes"][0]["body"])
        self.assertIn("3 advisories affect this version", threads[0]["notes"][0]["body"])
        writes = [(q["method"], q["path"]) for q in self.world.api.writes()]
        self.assertEqual([], [w for w in writes if w[0] == "POST" and w[1].endswith("/discussions")], writes)
        self.assertIn(("PUT", f"/api/v4/projects/{fx.PROJECT_ID}/merge_requests/{IID + 2}/notes/"
                              f"{threads[0]['notes'][0]['id']}"), writes)

    def test_invalid_repository_configuration(self):
        r = self.world.repo
        r.switch("feature")
        r.write(".jit/jit-config.yml", "scope: diff\nfail_on: none\n")
        head = r.commit("try to relax the policy")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, head)
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, head)))
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn(".jit/jit-config.yml:2:1: \"fail_on\" can only be set in the central configuration", proc.stderr)
        self.assertEqual(["running", "failed"], [s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, head)])

    def test_low_confidence_findings_are_summarised_not_threaded(self):
        # A credential-file rule that keeps weak passwords as low confidence (issue 7).
        rules = os.path.join(self.world.root, "netrc-rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "netrc.yaml"), "w") as f:
            f.write("rules:\n  - id: test-netrc-password\n    name: Password in a .netrc file\n    severity: high\n"
                    "    pattern: '\\bpassword[ \\t]+(?P<secret>\\S+)'\n    paths: [.netrc]\n"
                    "    filter_placeholders: structural\n    low_confidence_entropy: 3.0\n"
                    "    examples: ['machine h login u password Xk9pQ2rT7vB4nM8s']\n")
        strong = util.fake_github_pat(24)[4:20]
        r = self.world.repo
        r.switch("feature")
        r.write(".netrc", f"machine a.example.com login me password {strong}\n"
                          "machine b.example.com login me password hunter22\n")
        head = r.commit("credentials")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, head)
        env = self.world.env(self.world.mr_payload(IID, head), JIT_RULES_DIR=rules)
        proc = self.world.run(env)
        self.assertEqual(1, proc.returncode, proc.stderr)  # the low finding still counts for fail_on
        threads = self.threads()
        self.assertEqual(1, len(threads), threads)
        self.assertEqual(1, threads[0]["notes"][0]["position"]["new_line"])
        summary = self.summary_notes()[0]["body"]
        self.assertIn("#### Low confidence (1)", summary)
        self.assertIn(".netrc ` line 2", summary)
        report = json.loads(self.world.reports()["jit-agent.json"])
        self.assertEqual([("high", 1), ("low", 2)], [(f["confidence"], f["line"]) for f in report["findings"]])
        vulns = json.loads(self.world.reports()["gl-secret-detection-report.json"])["vulnerabilities"]
        self.assertEqual(["high", "low"], sorted(v["details"]["confidence"]["value"] for v in vulns))
        sarif = json.loads(self.world.reports()["jit-agent.sarif"])
        self.assertEqual(["high", "low"], [x["properties"]["confidence"] for x in sarif["runs"][0]["results"]])

        # min_confidence in jit.yml drops it everywhere; --min-confidence overrides jit.yml.
        cfg = os.path.join(self.world.root, "jit.yml")
        with open(cfg, "w") as f:
            f.write("min_confidence: medium\n")
        proc = self.world.run(env, "--config", cfg)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertNotIn("Low confidence", self.summary_notes()[0]["body"])
        report = json.loads(self.world.reports()["jit-agent.json"])
        self.assertEqual([1], [f["line"] for f in report["findings"]])
        self.assertIn("1 finding below confidence medium not reported", proc.stderr)
        proc = self.world.run(env, "--config", cfg, "--min-confidence", "low")
        self.assertEqual(2, len(json.loads(self.world.reports()["jit-agent.json"])["findings"]))
        with open(cfg, "w") as f:
            f.write("min_confidence: certain\n")
        proc = self.world.run(env, "--config", cfg)
        self.assertEqual(2, proc.returncode)
        self.assertIn("jit.yml:1:17: min_confidence: expected high, medium or low", proc.stderr)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
