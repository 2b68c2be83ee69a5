"""`jit-agent ci` finds the group's own CI/CD variable values (issue 12), end to end: the agent
reads the project's and its parent groups' variables from the GitLab emulator, looks for their
values (plain, base64, URL-encoded) in what the job scans, and reports a critical
`ci-variable-value` finding naming the variable; the value is absent from every byte the job writes
or posts. A 403 on group variables is a warning and the scan goes on; JIT_VARIABLE_SCAN=false turns
it off. Values are generated at run time."""
import base64
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 31
GROUP_ID = 3
GROUP = fx.PROJECT_PATH.split("/")[0]


def value(seed):
    # Masked values: one line of [a-zA-Z0-9_+=/@:.~-], 8 characters or more.
    return "Vx" + util.rand("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 18, seed) + "@q1"


class VariablesTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        api = self.world.api
        api.add_group(GROUP_ID, GROUP)
        self.group_value = value(1)
        self.project_value = value(2)
        self.hidden_value = value(3)
        self.unchanged_value = value(4)
        api.add_variable(("group", GROUP_ID), "PROD_DB_PASSWORD", self.group_value, masked=True, protected=True)
        api.add_variable(("group", GROUP_ID), "UNUSED_TOKEN", self.unchanged_value, masked=True)
        api.add_variable(("group", GROUP_ID), "REGISTRY_PASSWORD", self.hidden_value, masked=True, hidden=True)
        api.add_variable(("group", GROUP_ID), "DEPLOY_REGION", "eu-central-1", protected=True)  # not a secret
        api.add_variable(("project", fx.PROJECT_ID), "SERVICE_API_KEY", self.project_value, masked=True)
        r = self.world.repo
        r.write("README.md", "# app\n")
        r.write("ops/legacy.env", f"TOKEN={self.unchanged_value}\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        auth = base64.b64encode(f"deploy:{self.group_value}".encode()).decode()
        r.write("config/app.yml", f"db:\n  user: app\n  password: {self.group_value}\n")
        r.write("config/docker.json", json.dumps({"auths": {"registry.example.com": {"auth": auth}}}, indent=1) + "\n")
        r.write("config/service.env",
                f"API_KEY_URL=https://api.example.com/?key={urllib.parse.quote(self.project_value, safe='')}\n"
                f"REGISTRY={self.hidden_value}\nREGION=eu-central-1\n")
        self.head = r.commit("configure the app")
        r.push("feature")
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def own_project_env(self):
        """The dedicated Jit project sits in the same group: GitLab hands its jobs the group's
        hidden variables as environment variables."""
        return {"CI_PROJECT_PATH": f"{GROUP}/jit", "REGISTRY_PASSWORD": self.hidden_value}

    def secrets(self):
        return (self.group_value, self.project_value, self.hidden_value, self.unchanged_value,
                base64.b64encode(f"deploy:{self.group_value}".encode()).decode(),
                urllib.parse.quote(self.project_value, safe=""))

    def assert_no_leak(self, proc):
        text = self.world.everything_written(proc)
        for s in self.secrets():
            self.assertNotIn(s, text)
        # Not even a prefix of a value, as a redacted secret would show.
        for s in (self.group_value, self.project_value, self.hidden_value):
            self.assertNotIn(s[:10], text)

    def variable_findings(self):
        doc = json.loads(self.world.reports()["jit-agent.json"])
        return [f for f in doc["findings"] if f["rule_id"] == "ci-variable-value"]

    def threads(self):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]

    def test_merge_request_commits_variable_values(self):
        self.world.api.add_group_member(GROUP_ID, self.world.api.bot_user_id, 50)  # Owner: group variables readable
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, self.head), **self.own_project_env()))
        self.assertEqual(1, proc.returncode, proc.stderr)
        found = {(f["path"], f["line"]): f for f in self.variable_findings()}
        self.assertEqual({("config/app.yml", 3), ("config/docker.json", 4), ("config/service.env", 1),
                          ("config/service.env", 2)}, set(found), found)
        plain = found[("config/app.yml", 3)]
        self.assertEqual("critical", plain["severity"])
        self.assertIn("PROD_DB_PASSWORD", plain["description"])
        self.assertIn(f"group {GROUP}", plain["description"])
        self.assertIn("base64", found[("config/docker.json", 4)]["description"])
        self.assertIn("SERVICE_API_KEY", found[("config/service.env", 1)]["description"])
        self.assertIn("URL-encoded", found[("config/service.env", 1)]["description"])
        self.assertIn("REGISTRY_PASSWORD", found[("config/service.env", 2)]["description"])
        # The region is only protected and not secret-looking: never looked for.
        self.assertFalse([f for f in self.variable_findings() if "DEPLOY_REGION" in f["description"]])
        # One thread per finding, naming the variable.
        bodies = [t["notes"][0]["body"] for t in self.threads()]
        self.assertEqual(4, len(bodies), bodies)
        self.assertTrue(any("PROD_DB_PASSWORD" in b for b in bodies), bodies)
        # The GitLab report carries them and stays valid.
        gl = json.loads(self.world.reports()["gl-secret-detection-report.json"])
        self.assertEqual(4, len([v for v in gl["vulnerabilities"] if "ci-variable-value" in json.dumps(v["identifiers"])]))
        import test_report_schemas as schemas
        schemas.validate("gitlab", gl)
        schemas.validate("json", json.loads(self.world.reports()["jit-agent.json"]))
        schemas.validate("sarif", json.loads(self.world.reports()["jit-agent.sarif"]))
        self.assertIn("the values of", proc.stderr)
        self.assert_no_leak(proc)

    def test_value_in_an_unchanged_file_is_found_by_a_full_tree_scan(self):
        self.world.api.add_group_member(GROUP_ID, self.world.api.bot_user_id, 50)
        proc = self.world.run(self.world.env(self.world.push_payload("0" * 40, self.main)))
        self.assertEqual(1, proc.returncode, proc.stderr)
        found = self.variable_findings()
        self.assertEqual([("ops/legacy.env", 1)], [(f["path"], f["line"]) for f in found])
        self.assertIn("UNUSED_TOKEN", found[0]["description"])
        self.assert_no_leak(proc)
        # Again with a warm verdict cache: the file is known clean of rule findings, and still read
        # for the values.
        again = self.world.run(self.world.env(self.world.push_payload("0" * 40, self.main)))
        self.assertEqual(1, again.returncode, again.stderr)
        self.assertEqual([("ops/legacy.env", 1)], [(f["path"], f["line"]) for f in self.variable_findings()])
        self.assert_no_leak(again)

    def test_value_deleted_from_the_tree_is_found_in_history(self):
        self.world.api.add_group_member(GROUP_ID, self.world.api.bot_user_id, 50)
        r = self.world.repo
        r.switch("main")
        r.write("deploy/db.env", f"DB_PASSWORD={self.group_value}\n")
        added = r.commit("db settings")
        r.remove("deploy/db.env")
        r.remove("ops/legacy.env")
        removed = r.commit("remove the settings")
        r.push("main")
        config = os.path.join(self.world.root, "jit.yml")
        with open(config, "w") as f:
            f.write("history: true\n")
        proc = self.world.run(self.world.env(self.world.push_payload(added, removed)), "--config", config)
        self.assertEqual(1, proc.returncode, proc.stderr)
        found = {f["path"]: f for f in self.variable_findings()}
        self.assertEqual({"deploy/db.env", "ops/legacy.env"}, set(found), proc.stderr)
        self.assertEqual(added, found["deploy/db.env"]["commit"])
        self.assertEqual(self.main, found["ops/legacy.env"]["commit"])
        self.assertIn("PROD_DB_PASSWORD", found["deploy/db.env"]["description"])
        self.assert_no_leak(proc)
        # A second full history scan (new state, same verdict cache): every blob is known clean of
        # rule findings, and still read for the values.
        for name in os.listdir(os.path.join(self.world.root, "cache", "history")):
            os.remove(os.path.join(self.world.root, "cache", "history", name))
        again = self.world.run(self.world.env(self.world.push_payload(added, removed)), "--config", config)
        self.assertEqual(1, again.returncode, again.stderr)
        self.assertEqual({"deploy/db.env", "ops/legacy.env"}, {f["path"] for f in self.variable_findings()}, again.stderr)
        self.assertRegex(again.stderr, r"answered by the verdict cache")
        self.assert_no_leak(again)

    def test_group_variables_forbidden_is_a_warning(self):
        # The integration's token is a Maintainer: GitLab wants the Owner role for group variables.
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, self.head)))
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn(f"CI/CD variables of group {GROUP}: 403", proc.stderr)
        self.assertIn("Owner", proc.stderr)
        # The project's own variable is still found.
        found = self.variable_findings()
        self.assertEqual(["SERVICE_API_KEY"], [k for k in ("SERVICE_API_KEY", "PROD_DB_PASSWORD")
                                               if any(k in f["description"] for f in found)])
        doc = json.loads(self.world.reports()["jit-agent.json"])
        self.assertTrue(any("403" in w for w in doc.get("warnings", [])), doc.get("warnings"))
        self.assert_no_leak(proc)

    def test_turned_off(self):
        self.world.api.add_group_member(GROUP_ID, self.world.api.bot_user_id, 50)
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, self.head), JIT_VARIABLE_SCAN="false"))
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        self.assertEqual([], self.variable_findings())
        self.assertFalse([r for r in self.world.api.requests if r["path"].endswith("/variables")])
        self.assert_no_leak(proc)

    def test_the_integration_token_itself(self):
        r = self.world.repo
        r.write("scripts/clone.sh", f"git clone https://oauth2:{self.world.token}@gitlab.example.com/group/app.git\n")
        head = r.commit("clone script")
        r.push("feature")
        self.world.register_mr(IID, self.main, head)
        proc = self.world.run(self.world.env(self.world.mr_payload(IID, head)))
        self.assertEqual(1, proc.returncode, proc.stderr)
        found = [f for f in self.variable_findings() if f["path"] == "scripts/clone.sh"]
        self.assertEqual(1, len(found), self.variable_findings())
        self.assertIn("JIT_CHECKOUT_TOKEN", found[0]["description"])
        # The gitlab-pat rule's finding on the same text gives way to it: one thread for the line.
        doc = json.loads(self.world.reports()["jit-agent.json"])
        self.assertEqual(["ci-variable-value"], [f["rule_id"] for f in doc["findings"] if f["path"] == "scripts/clone.sh"])
        self.assertNotIn(self.world.token, self.world.everything_written(proc))


if __name__ == "__main__":
    fx.require_everything()
    util.main()
