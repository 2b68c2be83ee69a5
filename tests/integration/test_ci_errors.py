"""Failures of the fetch: a wrong token or an untrusted certificate give one clear error line,
exit 3 and a `failed` status when the API is reachable; no token appears in any log or report."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 4


class FetchErrorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = fx.World().__enter__()
        r = cls.world.repo
        r.write("app.py", "print('hello')\n")
        cls.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        r.write("app.py", f"print('hello')\nTOKEN = '{util.fake_github_pat(41)}'\n")
        cls.head = r.commit("token")
        r.push("feature")
        r.merge_request(IID, "feature")
        cls.world.register_mr(IID, cls.main, cls.head)
        cls.payload = cls.world.mr_payload(IID, cls.head)

    @classmethod
    def tearDownClass(cls):
        cls.world.__exit__(None, None, None)

    def setUp(self):
        self.world.api.clear_requests()
        with self.world.api.lock:
            self.world.api.projects[fx.PROJECT_ID]["statuses"].clear()

    def error_lines(self, proc):
        return [line for line in proc.stderr.splitlines() if "error" in line.lower()]

    def assert_nothing_leaks(self, proc, *tokens):
        text = self.world.everything_written(proc)
        for token in tokens:
            self.assertNotIn(token, text)
        # The cache and every file the run left behind are checked too.
        for folder, _, files in os.walk(self.world.root):
            if "/git/" in folder + "/" and "/cache/" not in folder + "/":
                continue  # the test's own git server (it holds the real token's hash)
            for name in files:
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                for token in tokens:
                    self.assertNotIn(token.encode(), data, path)

    def test_wrong_checkout_token(self):
        wrong = util.fake_gitlab_pat(777)
        env = self.world.env(self.payload, JIT_CHECKOUT_TOKEN=wrong, JIT_API_TOKEN=self.world.token)
        proc = self.world.run(env)
        self.assertEqual(3, proc.returncode, proc.stderr)
        errors = self.error_lines(proc)
        self.assertEqual(1, len(errors), proc.stderr)
        self.assertIn(self.world.git.url_for(fx.PROJECT_PATH), errors[0])
        statuses = self.world.api.statuses(fx.PROJECT_ID, self.head)
        self.assertEqual(["running", "failed"], [s["status"] for s in statuses])
        self.assertIn("could not fetch", statuses[-1]["description"])
        self.assertEqual({}, self.world.reports())
        self.assert_nothing_leaks(proc, wrong, self.world.token)

    def test_wrong_token_everywhere(self):
        wrong = util.fake_gitlab_pat(778)
        proc = self.world.run(self.world.env(self.payload, JIT_CHECKOUT_TOKEN=wrong))
        self.assertEqual(3, proc.returncode, proc.stderr)
        self.assertEqual(1, len([l for l in proc.stderr.splitlines() if l.startswith("jit-agent: error:")]))
        self.assertIn("401 Unauthorized", proc.stderr)  # the status could not be set: said as a warning
        self.assertEqual([], self.world.api.statuses(fx.PROJECT_ID))
        self.assert_nothing_leaks(proc, wrong)

    def test_untrusted_certificate(self):
        proc = self.world.run(self.world.env(self.payload, CI_SERVER_TLS_CA_FILE=None))
        self.assertEqual(3, proc.returncode, proc.stderr)
        self.assertEqual(1, len([l for l in proc.stderr.splitlines() if l.startswith("jit-agent: error:")]))
        self.assertIn("certificate", proc.stderr.lower())
        self.assertEqual([], self.world.api.requests)  # TLS refused before any HTTP request
        self.assert_nothing_leaks(proc, self.world.token)

    def test_project_not_found(self):
        env = self.world.env(self.world.mr_payload(IID, self.head), CI_SERVER_URL=self.world.git.url + "/missing")
        proc = self.world.run(env)
        self.assertEqual(3, proc.returncode, proc.stderr)
        self.assertEqual(["running", "failed"], [s["status"] for s in self.world.api.statuses(fx.PROJECT_ID, self.head)])
        self.assert_nothing_leaks(proc, self.world.token)


if __name__ == "__main__":
    fx.require_everything()
    util.main()
