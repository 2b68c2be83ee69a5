"""`jit-agent ci` on pushes: the default branch is scanned in full (secrets anywhere in the tree,
vulnerable dependencies), another branch by what the push adds; only the commit status is posted."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

ZEROS = "0" * 40


class PushTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.old_secret = util.fake_github_pat(31)
        self.vendored = util.fake_github_pat(32)
        r = self.world.repo
        r.write("app/settings.py", f'TOKEN = "{self.old_secret}"\n')
        r.write("vendor/lib.py", f'KEY = "{self.vendored}"\n')
        r.write("requirements.txt", "requests==2.2.0\n")
        self.first = r.commit("initial")
        r.write("README.md", "# app\n")
        self.second = r.commit("readme")
        r.push("main")
        self.config = os.path.join(self.world.root, "jit.yml")
        with open(self.config, "w") as f:
            f.write("exclude: ['vendor/**']\n")

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def test_default_branch_push_scans_the_full_tree(self):
        payload = self.world.push_payload(self.first, self.second)
        proc = self.world.run(self.world.env(payload, JIT_DB_DIR=self.world.osv_db("PYSEC-2014-13", "PYSEC-2014-14")), "--config", self.config)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("scan (full tree", proc.stderr)
        report = json.loads(self.world.reports()["jit-agent.json"])
        text = json.dumps(report)
        self.assertIn("app/settings.py", text)       # untouched by the push, found by the full scan
        self.assertNotIn("vendor/lib.py", text)      # excluded by jit.yml
        self.assertIn("PYSEC-2014-13", text)         # requests 2.2.0 from requirements.txt
        statuses = self.world.api.statuses(fx.PROJECT_ID, self.second)
        self.assertEqual(["running", "failed"], [s["status"] for s in statuses])
        self.assertEqual("main", statuses[-1]["ref"])
        # A push posts nothing but the commit status; it only reads the CI/CD variables (whose
        # values the secrets scan looks for) and the checkout token's own expiry (the doctor's
        # checks at the start of every job, issue 15).
        others = [(r["method"], r["path"]) for r in self.world.api.requests if "/statuses/" not in r["path"]]
        self.assertTrue(all(m == "GET" and (p.endswith("/variables") or p == "/api/v4/personal_access_tokens/self")
                            for m, p in others), others)
        for secret in (self.old_secret, self.vendored):
            self.assertNotIn(secret, proc.stderr)
        self.assertNotIn(self.world.token, self.world.everything_written(proc))
        with open(os.path.join(self.world.out, "gl-dependency-scanning-report.json")) as f:
            self.assertIn("requests", f.read())
        # GitLab's cyclonedx report: one SBOM per lockfile of the head, with its vulnerabilities.
        with open(os.path.join(self.world.out, "gl-sbom-requirements.txt.cdx.json")) as f:
            sbom = json.load(f)
        self.assertEqual(("CycloneDX", "1.5"), (sbom["bomFormat"], sbom["specVersion"]))
        self.assertIn("pkg:pypi/requests@2.2.0", [c.get("purl") for c in sbom["components"]])
        self.assertTrue(any(v["id"] == "PYSEC-2014-13" for v in sbom.get("vulnerabilities", [])))

    def test_other_branch_push_scans_what_it_adds(self):
        r = self.world.repo
        r.branch("topic")
        new_secret = util.fake_github_pat(33)
        r.write("app/client.py", f'CLIENT_TOKEN = "{new_secret}"\n')
        head = r.commit("client")
        r.push("topic")
        payload = self.world.push_payload(self.second, head, ref="refs/heads/topic")
        proc = self.world.run(self.world.env(payload), "--config", self.config)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("scan (added lines", proc.stderr)
        text = self.world.reports()["jit-agent.json"]
        self.assertIn("app/client.py", text)
        self.assertNotIn("app/settings.py", text)    # already on main: not what this push adds
        self.assertEqual("topic", self.world.api.statuses(fx.PROJECT_ID, head)[-1]["ref"])

    def test_clean_push_succeeds(self):
        r = self.world.repo
        r.remove("app/settings.py")
        r.remove("requirements.txt")
        clean = r.commit("remove the token")
        r.push("main")
        proc = self.world.run(self.world.env(self.world.push_payload(self.second, clean)), "--config", self.config)
        self.assertEqual(0, proc.returncode, proc.stderr)
        statuses = self.world.api.statuses(fx.PROJECT_ID, clean)
        self.assertEqual(("success", "jit-agent: no findings"), (statuses[-1]["status"], statuses[-1]["description"]))


if __name__ == "__main__":
    fx.require_everything()
    util.main()
