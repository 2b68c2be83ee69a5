"""`jit-agent ci` on a merge request that adds GitLab tokens, end to end against the emulator (issue
12, live tokens): an active personal access token is asked about with GET
/personal_access_tokens/self (and GET /user: its scopes allow it), raised to critical with its
scopes, owner and expiry; a revoked one is lowered to low; with JIT_REVOKE_LEAKED=true the active one
is revoked (DELETE .../self) and its thread says so; JIT_VALIDATE_TOKENS=false sends nothing. Neither
token appears in any log line, report or posted body. Fake tokens are generated at run time."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 31
BOB = {"id": 55, "username": "bob", "name": "Bob"}
SELF = "/api/v4/personal_access_tokens/self"


class TokenCheckTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.active = util.fake_gitlab_pat(301)
        self.revoked = util.fake_gitlab_pat(302)
        api = self.world.api
        api.add_access_token(self.active, BOB, scopes=("api",), name="laptop", expires_at="2027-01-01")
        api.add_access_token(self.revoked, BOB, scopes=("read_api",), name="old", revoked=True)
        r = self.world.repo
        r.write("README.md", "# app\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("deploy/settings.yml", f"gitlab:\n  token: {self.active}\n  old_token: {self.revoked}\n")
        self.head = r.commit("deploy settings")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def run_ci(self, **extra):
        extra.setdefault("JIT_VALIDATE_TOKENS", None)  # the default: on (the fixture turns it off)
        payload = self.world.mr_payload(IID, self.head)
        return self.world.run(self.world.env(payload, **extra))

    def token_requests(self):
        """Requests about the found tokens: the job's own token inspecting itself (the doctor's
        preflight at the start of every ci job, issue 15) is another matter."""
        return [(r["method"], r["path"]) for r in self.world.api.requests
                if r["path"] in (SELF, "/api/v4/user") and r["headers"].get("PRIVATE-TOKEN") != self.world.token]

    def findings(self):
        doc = json.loads(self.world.reports()["jit-agent.json"])
        self.assertEqual(5, doc["schema_minor"])
        return {f["line"]: f for f in doc["findings"] if f["rule_id"] == "gitlab-pat"}

    def vulnerabilities(self):
        doc = json.loads(self.world.reports()["gl-secret-detection-report.json"])
        return {v["location"]["start_line"]: v for v in doc["vulnerabilities"] if v["identifiers"][0]["value"] == "gitlab-pat"}

    def thread_bodies(self):
        return {d["notes"][0]["position"]["new_line"]: d["notes"][0]["body"]
                for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]}

    def assert_no_leak(self, proc):
        text = self.world.everything_written(proc)
        for token in (self.active, self.revoked):
            self.assertNotIn(token, text)
            self.assertNotIn(token, proc.stdout + proc.stderr)

    def test_active_and_revoked(self):
        proc = self.run_ci()
        self.assertEqual(1, proc.returncode, proc.stderr)
        # One self-inspection each, GET /user only for the live one; nothing that changes a token.
        self.assertEqual(sorted([("GET", SELF), ("GET", SELF), ("GET", "/api/v4/user")]), sorted(self.token_requests()))
        self.assertNotIn("DELETE", [r["method"] for r in self.world.api.requests])
        self.assertFalse(self.world.api.access_token(self.active)["revoked"])

        found = self.findings()
        self.assertEqual({2, 3}, set(found))
        live, dead = found[2], found[3]
        self.assertEqual("critical", live["severity"])
        c = live["token_check"]
        self.assertEqual(("active", ["api"], "@bob", "2027-01-01", False), (c["status"], c["scopes"], c["owner"], c["expires_at"], c["revoked_by_agent"]))
        self.assertEqual("GET /api/v4/personal_access_tokens/self", c["endpoint"])
        self.assertIsNone(c["original_severity"])  # gitlab-pat is critical already
        self.assertEqual("low", dead["severity"])
        self.assertEqual("inactive", dead["token_check"]["status"])
        self.assertIn("401", dead["token_check"]["reason"])
        self.assertEqual("critical", dead["token_check"]["original_severity"])

        vulns = self.vulnerabilities()
        self.assertEqual("Critical", vulns[2]["severity"])
        self.assertIn("GitLab says this token is active (scopes: api; owner @bob; expires 2027-01-01)", vulns[2]["description"])
        self.assertEqual("Low", vulns[3]["severity"])
        self.assertIn("revoked or expired", vulns[3]["description"])

        sarif = json.loads(self.world.reports()["jit-agent.sarif"])
        checks = sorted(r["properties"]["tokenCheck"]["status"] for run in sarif["runs"] for r in run["results"]
                        if "tokenCheck" in r.get("properties", {}))
        self.assertEqual(["active", "inactive"], checks)

        bodies = self.thread_bodies()
        self.assertEqual({2, 3}, set(bodies))
        self.assertIn("GitLab says this token is **active**", bodies[2])
        self.assertIn("**revoke it now**", bodies[2])
        self.assertIn("bob", bodies[2])
        self.assertIn("2027\\-01\\-01", bodies[2])
        self.assertIn("**is revoked or expired**", bodies[3])
        self.assertIn("GitLab tokens: 2 found, 1 active, 1 revoked or expired, 0 unknown", proc.stderr)
        self.assert_no_leak(proc)

    def test_revoke_leaked(self):
        proc = self.run_ci(JIT_REVOKE_LEAKED="true")
        self.assertEqual(1, proc.returncode, proc.stderr)
        deletes = [r["path"] for r in self.world.api.requests if r["method"] == "DELETE"]
        self.assertEqual([SELF], deletes)  # the active one only, once
        self.assertTrue(self.world.api.access_token(self.active)["revoked"])
        live = self.findings()[2]
        self.assertTrue(live["token_check"]["revoked_by_agent"])
        self.assertEqual("inactive", live["token_check"]["status"])
        self.assertEqual("revoked by jit-agent", live["token_check"]["label"])
        body = self.thread_bodies()[2]
        self.assertIn("**was revoked by jit-agent**", body)
        self.assertIn("JIT_REVOKE_LEAKED", body)
        self.assertIn("1 revoked by jit-agent", proc.stderr)
        self.assert_no_leak(proc)

    def test_off(self):
        proc = self.run_ci(JIT_VALIDATE_TOKENS="false")
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertEqual([], self.token_requests())
        found = self.findings()
        self.assertEqual([None, None], [f["token_check"] for f in found.values()])
        self.assertEqual(["critical", "critical"], [f["severity"] for f in found.values()])
        self.assert_no_leak(proc)


if __name__ == "__main__":
    fx.require_everything()
    unittest.main()
