"""GitLab API faults: transient ones (5xx, 429 with Retry-After, resets, slow answers) are retried
and the outcome is exactly as without them; a post that finally fails gives exit 4 with the
reports on disk complete. The optional results endpoint gets the JSON report."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 8


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        r = self.world.repo
        r.write("app.py", "print('hello')\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("app.py", f"print('hello')\nTOKEN = '{util.fake_github_pat(51)}'\n")
        self.head = r.commit("token")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)
        self.payload = self.world.mr_payload(IID, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def assert_reports_complete(self):
        reports = self.world.reports()
        self.assertEqual(set(fx.REPORTS), set(reports))
        for name in ("gl-secret-detection-report.json", "jit-agent.json", "jit-agent.sarif"):
            json.loads(reports[name])
        self.assertEqual(1, len(json.loads(reports["gl-secret-detection-report.json"])["vulnerabilities"]))

    def test_transient_faults_are_retried(self):
        api = self.world.api
        api.add_fault(method="POST", path="/statuses/", reset=True, times=1)
        api.add_fault(method="GET", path="/versions$", delay=2.0, times=1)  # longer than the 1 s timeout
        api.add_fault(method="GET", path="/discussions$", status=502, times=1)
        api.add_fault(method="POST", path="/discussions$", status=503, times=2)
        api.add_fault(method="GET", path="/notes$", status=429, retry_after=1, times=1)
        proc = self.world.run(self.world.env(self.payload, JIT_API_TIMEOUT_SECONDS="1"))
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assert_exactly_one_thread_and_note()
        self.assertEqual(["running", "failed"], [s["status"] for s in api.statuses(fx.PROJECT_ID, self.head)])
        self.assertEqual(6, len([r for r in api.requests if r["fault"]]))
        self.assert_reports_complete()
        self.assertNotIn(self.world.token, self.world.everything_written(proc))

    def test_lost_answers_create_no_duplicates(self):
        # GitLab did the work but the answer never arrived: the agent reads back instead of posting again.
        api = self.world.api
        api.add_fault(method="POST", path="/discussions$", status=502, after=True)
        api.add_fault(method="POST", path="/notes$", reset=True, after=True)
        api.add_fault(method="POST", path="/statuses/", status=500, after=True, times=2)
        proc = self.world.run(self.world.env(self.payload))
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assert_exactly_one_thread_and_note()
        # A status is safe to send again: GitLab refuses the same state twice, which means it is set.
        self.assertEqual(["running", "failed"], [s["status"] for s in api.statuses(fx.PROJECT_ID, self.head)])
        self.assert_reports_complete()

    def assert_exactly_one_thread_and_note(self):
        discussions = self.world.api.discussions(fx.PROJECT_ID, IID)
        self.assertEqual(1, len([d for d in discussions if not d["individual_note"]]))
        self.assertEqual(1, len([d for d in discussions if d["individual_note"]]))

    def test_a_post_that_finally_fails(self):
        self.world.api.add_fault(method="POST", path="/notes$", status=500, times=100)
        proc = self.world.run(self.world.env(self.payload, JIT_API_MAX_ATTEMPTS="3"))
        self.assertEqual(4, proc.returncode, proc.stderr)
        self.assertIn("posting results failed", proc.stderr)
        self.assertIn("500", proc.stderr)
        # A 500 on a POST may mean it was applied: the agent reads the notes back, then tries once more.
        self.assertEqual(2, len([r for r in self.world.api.requests if r["method"] == "POST" and r["path"].endswith("/notes")]))
        self.assert_reports_complete()
        # The rest still happened: the thread and the final status.
        self.assertEqual(1, len([d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]))
        self.assertEqual("failed", self.world.api.statuses(fx.PROJECT_ID, self.head)[-1]["status"])
        self.assertNotIn(self.world.token, self.world.everything_written(proc))

    def test_results_endpoint(self):
        self.world.api.results_token = "results-" + util.fake_gitlab_pat(61)
        self.world.api.add_fault(path="^/jit/results$", status=503, times=1)
        env = self.world.env(self.payload, JIT_RESULTS_URL=self.world.api.url + "/jit/results",
                             JIT_RESULTS_TOKEN=self.world.api.results_token)
        proc = self.world.run(env)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertEqual(1, len(self.world.api.results))
        self.assertEqual(json.loads(self.world.reports()["jit-agent.json"]), self.world.api.results[0])
        self.assertNotIn(self.world.api.results_token, proc.stderr)

        env["JIT_RESULTS_TOKEN"] = "wrong-results-token"
        proc = self.world.run(env)
        self.assertEqual(4, proc.returncode, proc.stderr)
        self.assertIn("results endpoint POST", proc.stderr)
        self.assertNotIn("wrong-results-token", proc.stderr)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
