"""Ignores as code from the merge request, end to end: a developer replies `#jit_ignore_fp` in a
thread the agent opened; `jit-agent ci` on that note webhook checks the author's access (members
API), commits the entry to ignores.yml in the dedicated project through the commits API with the
note author as commit author, replies, resolves the thread, and scans the MR again so the commit
status turns green when that finding was the only blocker. A replayed webhook changes nothing; an
author below Developer gets a polite reply and nothing is committed; `#jit_undo_ignore` removes
the entry and reopens the thread; an expired entry no longer applies (warned); a stale
last_commit_id makes the agent re-read the file and apply its change again."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 44
DEDICATED_ID = 900
DEDICATED_PATH = "security/jit-scans"
DEV = {"id": 321, "username": "dev.one", "name": "Dev One", "email": "[REDACTED]"}
GUEST = {"id": 654, "username": "visitor", "name": "Visitor", "email": "[REDACTED]"}
HEADER = "# Ignores of the acme group, reviewed in merge requests to this project.\nignores: []\n"


class IgnoreCommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fx.require_everything()

    def setUp(self):
        self.world = fx.World().__enter__()
        w = self.world
        r = w.repo
        r.write("README.md", "# app\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        self.secret = util.fake_github_pat(44)
        r.write("app/settings.py", f'GITHUB_TOKEN = "{self.secret}"\n')
        self.head = r.commit("configure")
        r.push("feature")
        r.merge_request(IID, "feature")
        w.register_mr(IID, self.main, self.head)
        w.api.add_project(DEDICATED_ID, DEDICATED_PATH)
        w.api.add_file(DEDICATED_ID, "ignores.yml", HEADER)
        w.api.add_member(fx.PROJECT_ID, DEV["id"], DEV["username"], 30, name=DEV["name"])
        w.api.add_member(fx.PROJECT_ID, GUEST["id"], GUEST["username"], 10, name=GUEST["name"])
        self.note_id = 5000

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def env(self, payload):
        return self.world.env(payload, CI_PROJECT_ID=str(DEDICATED_ID), CI_DEFAULT_BRANCH="main")

    def open_mr(self):
        p = self.world.run(self.env(self.world.mr_payload(IID, self.head)))
        self.assertEqual(1, p.returncode, p.stderr[-3000:])
        threads = self.threads()
        self.assertEqual(1, len(threads))
        return threads[0]

    def threads(self):
        return [d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if not d["individual_note"]]

    def thread(self, discussion_id):
        return next(d for d in self.world.api.discussions(fx.PROJECT_ID, IID) if d["id"] == discussion_id)

    def reply(self, discussion_id, body, user=DEV, note_id=None):
        """The note webhook GitLab sends for a reply in the thread."""
        payload_path = self.world.note_payload(IID, self.head, body)
        with open(payload_path) as f:
            p = json.load(f)
        self.note_id = note_id or self.note_id + 1
        p["object_attributes"].update(id=self.note_id, discussion_id=discussion_id)
        p["user"] = dict(p["user"], **user)
        p["merge_request"]["state"] = "opened"
        with open(payload_path, "w") as f:
            json.dump(p, f)
        return self.world.run(self.env(payload_path))

    def ignores(self):
        return self.world.api.file(DEDICATED_ID, "ignores.yml")["content"]

    def last_status(self):
        statuses = [r for r in self.world.api.requests if "/statuses/" in r["path"] and r["method"] == "POST"]
        return statuses[-1]["body"]["state"]

    def test_ignore_replay_and_undo(self):
        thread = self.open_mr()
        fingerprint = thread["notes"][0]["body"].split("fingerprint=")[1].split(" ")[0]
        self.assertEqual("failed", self.last_status())

        p = self.reply(thread["id"], "#jit_ignore_fp  this is the test fixture's revoked key")
        self.assertEqual(0, p.returncode, p.stderr[-3000:])
        text = self.ignores()
        self.assertTrue(text.startswith(HEADER.split("ignores:")[0] + "ignores:"), text)  # header comment kept
        self.assertIn(f'fingerprint: "{fingerprint}"', text)
        self.assertIn("reason: false_positive", text)
        self.assertIn("revoked key", text)
        self.assertIn(f'project: "{fx.PROJECT_PATH}"', text)
        commits = self.world.api.commits(DEDICATED_ID)
        last = commits[-1]
        self.assertEqual(2, len(commits))
        self.assertIn(f"in {fx.PROJECT_PATH}!{IID} (false positive) by @{DEV['username']}", last["message"])
        self.assertEqual(DEV["name"], last["author_name"])
        t = self.thread(thread["id"])
        self.assertTrue(t["notes"][0]["resolved"], t)
        self.assertIn("Ignored as **false positive**", t["notes"][-1]["body"])
        self.assertIn("#jit_undo_ignore", t["notes"][-1]["body"])
        self.assertEqual("success", self.last_status())  # the rescan: the only blocker is ignored
        self.assertNotIn(self.secret, self.world.everything_written(p))
        self.assertNotIn(self.world.token, self.world.everything_written(p))

        # The same webhook delivered again: nothing committed, nothing replied.
        writes = len(self.world.api_writes())
        p = self.reply(thread["id"], "#jit_ignore_fp  this is the test fixture's revoked key", note_id=self.note_id)
        self.assertEqual(0, p.returncode, p.stderr[-3000:])
        self.assertEqual(2, len(self.world.api.commits(DEDICATED_ID)))
        self.assertEqual(writes, len(self.world.api_writes()))

        # A new pipeline of the MR no longer reports it: the dedicated project's pipeline checks out
        # its repository, with the committed ignores.yml, into CI_PROJECT_DIR.
        with open(os.path.join(self.world.out, "ignores.yml"), "w") as f:
            f.write(self.ignores())
        p = self.world.run(self.env(self.world.mr_payload(IID, self.head, action="reopen")))
        self.assertEqual(0, p.returncode, p.stderr[-3000:])

        # Undo: the entry goes, the thread reopens, the finding fails the MR again (the rescan uses
        # the file as committed, not the older checkout).
        p = self.reply(thread["id"], "#jit_undo_ignore")
        self.assertEqual(1, p.returncode, p.stderr[-3000:])
        self.assertNotIn(fingerprint, self.ignores())
        self.assertTrue(self.ignores().startswith("# Ignores of the acme group"))
        self.assertEqual(3, len(self.world.api.commits(DEDICATED_ID)))
        self.assertFalse(self.thread(thread["id"])["notes"][0]["resolved"])
        self.assertEqual("failed", self.last_status())

    def test_unauthorised_author_gets_a_reply_and_nothing_is_committed(self):
        thread = self.open_mr()
        for user in (GUEST, {"id": 999, "username": "stranger", "name": "S", "email": "s@example.com"}):
            p = self.reply(thread["id"], "#jit_ignore_accept", user=user)
            self.assertEqual(0, p.returncode, p.stderr[-3000:])
            self.assertEqual(1, len(self.world.api.commits(DEDICATED_ID)))
            body = self.thread(thread["id"])["notes"][-1]["body"]
            self.assertIn("Only members with at least the Developer role", body)
        self.assertFalse(self.thread(thread["id"])["notes"][0]["resolved"])

    def test_a_concurrent_edit_is_reread_not_overwritten(self):
        thread = self.open_mr()
        # Someone else commits to ignores.yml between the agent's read and its commit.
        other = "# Ignores of the acme group, reviewed in merge requests to this project.\nignores:\n" \
                "  - rule: generic-password\n    path: \"**/fixtures/**\"\n    reason: accepted_risk\n"
        self.world.api.on_next_commit(DEDICATED_ID, lambda: self.world.api.add_file(DEDICATED_ID, "ignores.yml", other))
        p = self.reply(thread["id"], "#jit_ignore_accept rotated already")
        self.assertEqual(0, p.returncode, p.stderr[-3000:])
        text = self.ignores()
        self.assertIn("generic-password", text)       # the other edit survives
        self.assertIn("reason: accepted_risk\n    comment: \"rotated already", text)

    def test_expired_entry_no_longer_applies(self):
        fingerprint = None
        thread = self.open_mr()
        fingerprint = thread["notes"][0]["body"].split("fingerprint=")[1].split(" ")[0]
        with open(os.path.join(self.world.out, "ignores.yml"), "w") as f:
            f.write(f"ignores:\n  - fingerprint: {fingerprint}\n    reason: accepted_risk\n    expires: 2020-01-01\n")
        p = self.world.run(self.env(self.world.mr_payload(IID, self.head, action="reopen")))
        self.assertEqual(1, p.returncode, p.stderr[-3000:])
        self.assertIn("expired on 2020-01-01", p.stderr)
        with open(os.path.join(self.world.out, "ignores.yml"), "w") as f:
            f.write(f"ignores:\n  - fingerprint: {fingerprint}\n    reason: accepted_risk\n    expires: 2999-01-01\n")
        p = self.world.run(self.env(self.world.mr_payload(IID, self.head, action="reopen")))
        self.assertEqual(0, p.returncode, p.stderr[-3000:])
        with open(os.path.join(self.world.out, "jit-agent.sarif")) as f:
            sarif = json.load(f)
        suppressed = [r for run in sarif["runs"] for r in run.get("results", []) if r.get("suppressions")]
        self.assertEqual(1, len(suppressed))


if __name__ == "__main__":
    unittest.main()
