"""The GitLab API emulator itself: its responses have the documented shapes and it validates
requests as GitLab does. (Does not need the agent binary.)"""
import base64
import hashlib
import http.client
import json
import os
import ssl
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)

from gitlab_emulator import (FILE_EXISTS, FILE_MISSING, NOT_ON_BRANCH, GitLabEmulator,  # noqa: E402
                             _nest, make_self_signed, stale_file_message)
from jit_test_util import SHARED_DATA, fake_gitlab_pat  # noqa: E402

API_EXAMPLES = os.path.join(SHARED_DATA, "gitlab", "api")
TOKEN = fake_gitlab_pat(11)
HEAD, BASE = "a" * 40, "b" * 40


def shape_mismatches(documented, ours, where="$"):
    """Keys of the documented example missing from ours, or with another JSON type (null matches any)."""
    problems = []
    if isinstance(documented, dict):
        if not isinstance(ours, dict):
            return [f"{where}: expected an object"]
        for key, value in documented.items():
            if key not in ours:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += shape_mismatches(value, ours[key], f"{where}.{key}")
    elif isinstance(documented, list):
        if not isinstance(ours, list):
            return [f"{where}: expected an array"]
        if documented and ours:
            problems += shape_mismatches(documented[0], ours[0], f"{where}[0]")
    elif documented is not None and ours is not None:
        kinds = (bool, (int, float), str)
        for kind in kinds:
            if isinstance(documented, kind) != isinstance(ours, kind):
                problems.append(f"{where}: {type(documented).__name__} documented, {type(ours).__name__} here")
                break
    return problems


class Client:
    def __init__(self, emu, token=TOKEN, context=None):
        self.emu, self.token, self.context = emu, token, context

    def call(self, method, path, body=None, headers=None, form=False):
        data = None
        hdrs = {"PRIVATE-TOKEN": self.token} if self.token else {}
        if body is not None:
            if form:
                data = body.encode()
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.emu.api_url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode()
            return e.code, payload, dict(e.headers)


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        self.emu = GitLabEmulator(token=TOKEN).start()
        self.emu.add_merge_request(7, 3, path="group/app", versions=[dict(head=HEAD, base=BASE)],
                                   added_lines={"src/config.py": {4, 5}})
        self.c = Client(self.emu)

    def tearDown(self):
        self.emu.stop()

    def position(self, line=4, path="src/config.py", head=HEAD):
        return {"position_type": "text", "base_sha": BASE, "start_sha": BASE, "head_sha": head,
                "old_path": path, "new_path": path, "new_line": line}

    def test_shapes_match_documented_examples(self):
        if not os.path.isdir(API_EXAMPLES):
            self.skipTest(f"{API_EXAMPLES} absent")

        def doc(name):
            with open(os.path.join(API_EXAMPLES, name)) as f:
                return json.load(f)

        mr = "/projects/7/merge_requests/3"
        _, versions, _ = self.c.call("GET", mr + "/versions")
        self.assertEqual([], shape_mismatches(doc("GET-projects-id-merge_requests-iid-versions.response.json"), versions))
        self.c.call("POST", mr + "/discussions", {"body": "thread"})
        self.c.call("POST", mr + "/notes", {"body": "single"})
        _, discussions, _ = self.c.call("GET", mr + "/discussions")
        documented = doc("GET-projects-id-merge_requests-iid-discussions.response.json")
        self.assertEqual([], shape_mismatches(documented[0], discussions[0]))
        self.assertEqual([], shape_mismatches(documented[1], discussions[1]))
        status, diff, _ = self.c.call("POST", mr + "/discussions", {"body": "diff", "position": self.position()})
        self.assertEqual(201, status, diff)
        self.assertEqual([], shape_mismatches(
            doc("GET-projects-id-merge_requests-iid-discussions.diffnote.response.json")[0], diff))
        _, notes, _ = self.c.call("GET", mr + "/notes")
        self.assertEqual([], shape_mismatches(doc("GET-projects-id-merge_requests-iid-notes-note_id.response.json"), notes[0]))
        self.assertEqual([], shape_mismatches(doc("GET-projects-id-issues-issue_iid-notes.response.json")[0], notes[0]))
        _, st, _ = self.c.call("POST", f"/projects/7/statuses/{HEAD}", {"state": "running", "name": "jit-security"})
        self.assertEqual([], shape_mismatches(doc("POST-projects-id-statuses-sha.response.json"), st))
        _, listed, _ = self.c.call("GET", f"/projects/7/repository/commits/{HEAD}/statuses")
        self.assertEqual([], shape_mismatches(doc("GET-projects-id-repository-commits-sha-statuses.response.json")[0], listed[0]))

    def test_shape_checker_catches_differences(self):
        self.assertTrue(shape_mismatches({"a": 1, "b": "x"}, {"a": "1"}))
        self.assertEqual([], shape_mismatches({"a": None, "b": [{"c": True}]}, {"a": 3, "b": [{"c": False}]}))

    def test_token_required(self):
        for token in (None, "wrong-token-value"):
            status, payload, _ = Client(self.emu, token=token).call("GET", "/projects/7/merge_requests/3/notes")
            self.assertEqual(401, status)
            self.assertEqual({"message": "401 Unauthorized"}, payload)
        status, _, _ = self.c.call("GET", "/projects/7/merge_requests/3/notes",
                                   headers={"PRIVATE-TOKEN": "", "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(401, status)  # an empty PRIVATE-TOKEN is a token, and a wrong one

    def test_required_fields(self):
        mr = "/projects/7/merge_requests/3"
        self.assertEqual((400, {"error": "body is missing"}), self.c.call("POST", mr + "/notes", {})[:2])
        self.assertEqual((400, {"error": "body is missing"}), self.c.call("POST", mr + "/discussions", {})[:2])
        pos = self.position()
        del pos["base_sha"]
        self.assertEqual((400, {"error": "position[base_sha] is missing"}),
                         self.c.call("POST", mr + "/discussions", {"body": "x", "position": pos})[:2])
        self.assertEqual((400, {"error": "state is missing"}), self.c.call("POST", f"/projects/7/statuses/{HEAD}", {})[:2])
        self.assertEqual(400, self.c.call("POST", f"/projects/7/statuses/{HEAD}", {"state": "done"})[0])

    def test_status_limits_and_transitions(self):
        url = f"/projects/7/statuses/{HEAD}"
        status, payload, _ = self.c.call("POST", url, {"state": "failed", "description": "x" * 256})
        self.assertEqual(400, status)
        self.assertIn("description", json.dumps(payload))
        self.assertEqual(201, self.c.call("POST", url, {"state": "running", "description": "x" * 255})[0])
        self.assertEqual(400, self.c.call("POST", url, {"state": "running"})[0])
        self.assertEqual(201, self.c.call("POST", url, {"state": "success"})[0])
        self.assertEqual(["running", "success"], [s["status"] for s in self.emu.statuses(7, HEAD)])
        self.assertEqual(404, self.c.call("POST", "/projects/7/statuses/not-a-sha", {"state": "running"})[0])

    def test_position_outside_diff_is_refused(self):
        mr = "/projects/7/merge_requests/3/discussions"
        for pos in (self.position(line=6), self.position(path="other.py"), self.position(head="c" * 40)):
            status, payload, _ = self.c.call("POST", mr, {"body": "x", "position": pos})
            self.assertEqual(400, status)
            self.assertIn("line_code", payload["message"])
            self.assertIn("can't be blank", payload["message"])
        self.assertEqual(201, self.c.call("POST", mr, {"body": "x", "position": self.position(line=5)})[0])

    def test_form_encoded_position_is_accepted(self):
        form = "&".join(f"position[{k}]={v}" for k, v in self.position().items()) + "&body=hello"
        status, d, _ = self.c.call("POST", "/projects/7/merge_requests/3/discussions", form, form=True)
        self.assertEqual(201, status, d)
        self.assertEqual(4, d["notes"][0]["position"]["new_line"])

    def test_pagination(self):
        for i in range(250):
            self.c.call("POST", "/projects/7/merge_requests/3/notes", {"body": f"n{i}"})
        status, page1, headers = self.c.call("GET", "/projects/7/merge_requests/3/notes?per_page=500&sort=asc")
        self.assertEqual(100, len(page1))
        self.assertEqual("100", headers["X-Per-Page"])
        self.assertEqual("2", headers["X-Next-Page"])
        self.assertEqual("250", headers["X-Total"])
        self.assertEqual("3", headers["X-Total-Pages"])
        self.assertIn('rel="next"', headers["Link"])
        _, page3, headers = self.c.call("GET", "/projects/7/merge_requests/3/notes?per_page=100&page=3&sort=asc")
        self.assertEqual(50, len(page3))
        self.assertEqual("", headers["X-Next-Page"])
        self.assertEqual("n249", page3[-1]["body"])
        _, default, headers = self.c.call("GET", "/projects/7/merge_requests/3/notes")
        self.assertEqual(20, len(default))
        self.assertEqual("n249", default[0]["body"])  # newest first by default

    def test_resolve_and_reply(self):
        mr = "/projects/7/merge_requests/3/discussions"
        _, d, _ = self.c.call("POST", mr, {"body": "thread"})
        self.assertEqual(201, self.c.call("POST", f"{mr}/{d['id']}/notes", {"body": "reply"})[0])
        self.assertEqual((400, {"error": "resolved is missing"}), self.c.call("PUT", f"{mr}/{d['id']}", None)[:2])
        status, resolved, _ = self.c.call("PUT", f"{mr}/{d['id']}?resolved=true", None)
        self.assertEqual(200, status)
        self.assertTrue(all(n["resolved"] for n in resolved["notes"]))
        self.assertEqual(404, self.c.call("PUT", f"{mr}/{'0' * 40}?resolved=true", None)[0])

    def test_only_the_author_edits_a_note(self):
        foreign = self.emu.add_foreign_note(7, 3, "mine")
        note_id = foreign["notes"][0]["id"]
        status, _, _ = self.c.call("PUT", f"/projects/7/merge_requests/3/notes/{note_id}", {"body": "edited"})
        self.assertEqual(403, status)
        _, own, _ = self.c.call("POST", "/projects/7/merge_requests/3/notes", {"body": "own"})
        status, edited, _ = self.c.call("PUT", f"/projects/7/merge_requests/3/notes/{own['id']}", {"body": "edited"})
        self.assertEqual((200, "edited"), (status, edited["body"]))

    def test_unknown_project_and_mr(self):
        self.assertEqual(404, self.c.call("GET", "/projects/99/merge_requests/3/notes")[0])
        self.assertEqual(404, self.c.call("GET", "/projects/7/merge_requests/99/notes")[0])
        self.assertEqual(200, self.c.call("GET", "/projects/group%2Fapp/merge_requests/3/notes")[0])

    def test_faults(self):
        url = "/projects/7/merge_requests/3/notes"
        self.emu.add_fault(method="GET", path="/notes$", status=503, times=1)
        self.assertEqual(503, self.c.call("GET", url)[0])
        self.assertEqual(200, self.c.call("GET", url)[0])
        self.emu.add_fault(path="/notes$", status=429, retry_after=7)
        status, body, headers = self.c.call("GET", url)
        self.assertEqual((429, "Retry later", "7"), (status, body, headers["Retry-After"]))
        self.emu.add_fault(path="/notes$", delay=0.2)
        started = time.monotonic()
        self.assertEqual(200, self.c.call("GET", url)[0])
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.emu.add_fault(path="/notes$", reset=True)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=5)
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected, OSError)):
            conn.request("GET", "/api/v4" + url, headers={"PRIVATE-TOKEN": TOKEN})
            conn.getresponse().read()
        conn.close()
        self.assertEqual(200, self.c.call("GET", url)[0])
        faulted = [r for r in self.emu.requests if r["fault"]]
        self.assertEqual(4, len(faulted))
        # after=True: the request is applied, then the answer is lost.
        self.emu.add_fault(method="POST", path="/notes$", status=502, after=True)
        self.assertEqual(502, self.c.call("POST", url, {"body": "applied anyway"})[0])
        self.assertIn("applied anyway", [n["body"] for n in self.emu.notes(7, 3)])
        self.emu.add_fault(method="POST", path="/notes$", status=503)
        self.assertEqual(503, self.c.call("POST", url, {"body": "never applied"})[0])
        self.assertNotIn("never applied", [n["body"] for n in self.emu.notes(7, 3)])

    def test_results_endpoint(self):
        self.emu.results_token = "results-token-xyz"
        req = urllib.request.Request(self.emu.url + "/jit/results", data=b'{"findings":[]}', method="POST",
                                     headers={"Authorization": "Bearer results-token-xyz",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            self.assertEqual(202, r.status)
        self.assertEqual([{"findings": []}], self.emu.results)


def documented(name):
    with open(os.path.join(API_EXAMPLES, name)) as f:
        return json.load(f)


class RepositoryTest(unittest.TestCase):
    """Repository files, commits and members (ignores as code in the dedicated project)."""
    CONFIG = 5
    IGNORES = "security/ignores.yml"

    def setUp(self):
        self.emu = GitLabEmulator(token=TOKEN, users={"reporter-token-value": {
            "id": 21, "username": "rita", "name": "Rita"}}).start()
        self.emu.add_project(self.CONFIG, "group/jit-config")
        self.first = self.emu.add_file(self.CONFIG, self.IGNORES, "ignores: []\n")
        self.c = Client(self.emu)
        self.files = f"/projects/{self.CONFIG}/repository/files/"
        self.commits = f"/projects/{self.CONFIG}/repository/commits"

    def tearDown(self):
        self.emu.stop()

    def commit(self, *actions, branch="main", **extra):
        body = {"branch": branch, "commit_message": "jit: ignore", "actions": list(actions), **extra}
        return self.c.call("POST", self.commits, body)

    def head(self, path):
        req = urllib.request.Request(self.emu.api_url + path, method="HEAD", headers={"PRIVATE-TOKEN": TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def test_shapes_match_documented_examples(self):
        if not os.path.isdir(API_EXAMPLES):
            self.skipTest(f"{API_EXAMPLES} absent")
        status, got, headers = self.c.call("GET", self.files + "security%2Fignores.yml?ref=main")
        self.assertEqual(200, status, got)
        self.assertEqual([], shape_mismatches(documented("GET-projects-id-repository-files-file_path.response.json"), got))
        self.assertEqual(("ignores.yml", "main", "base64"), (got["file_name"], got["ref"], got["encoding"]))
        self.assertEqual(b"ignores: []\n", base64.b64decode(got["content"]))
        self.assertEqual(hashlib.sha256(b"ignores: []\n").hexdigest(), got["content_sha256"])
        self.assertEqual(hashlib.sha1(b"blob 12\0ignores: []\n").hexdigest(), got["blob_id"])  # git's blob id
        self.assertEqual(self.first, got["last_commit_id"])
        with open(os.path.join(API_EXAMPLES, "HEAD-projects-id-repository-files-file_path.response-headers.txt")) as f:
            lines = f.read().splitlines()
        self.assertEqual("HTTP/1.1 200 OK", lines[0])
        doc_headers = dict(line.split(": ", 1) for line in lines[1:] if line)
        status, body, head_headers = self.head(self.files + "security%2Fignores.yml?ref=main")
        self.assertEqual((200, b""), (status, body))
        for name, example in doc_headers.items():
            self.assertIn(name, head_headers)
            self.assertIn(name, headers)  # GET sets them too
            self.assertEqual(example.isdigit(), head_headers[name].isdigit(), name)
        self.assertEqual(got["last_commit_id"], head_headers["X-Gitlab-Last-Commit-Id"])
        self.assertEqual("12", head_headers["X-Gitlab-Size"])
        self.assertEqual("false", head_headers["X-Gitlab-Execute-Filemode"])

        # The documented request, JSON then form-encoded, against files it needs.
        for path in ("foo/bar2", "foo/bar4", "foo/bar5"):
            self.emu.add_file(self.CONFIG, path, f"{path}\n")
        status, made, _ = self.c.call("POST", self.commits,
                                      documented("POST-projects-id-repository-commits.request.json"))
        self.assertEqual(201, status, made)
        self.assertEqual([], shape_mismatches(documented("POST-projects-id-repository-commits.response.json"), made))
        self.assertEqual(("some commit message", "some commit message"), (made["title"], made["message"]))
        self.assertEqual("some content", self.emu.file(self.CONFIG, "foo/bar")["content"])
        self.assertEqual("some content", self.emu.file(self.CONFIG, "foo/bar3")["content"])
        self.assertEqual("new content", self.emu.file(self.CONFIG, "foo/bar5")["content"])
        for gone in ("foo/bar2", "foo/bar4"):
            self.assertIsNone(self.emu.file(self.CONFIG, gone))
        self.assertEqual(made["id"], self.emu.commits(self.CONFIG)[-1]["id"])
        self.assertEqual(made["id"], self.emu.file(self.CONFIG, "foo/bar")["last_commit_id"])
        self.assertEqual(self.first, self.emu.file(self.CONFIG, self.IGNORES)["last_commit_id"])  # untouched

        for path in ("foo/bar", "foo/bar3"):
            self.commit({"action": "delete", "file_path": path})
        for path in ("foo/bar2", "foo/bar4"):
            self.emu.add_file(self.CONFIG, path, "x\n")
        with open(os.path.join(API_EXAMPLES, "POST-projects-id-repository-commits.request.form.txt")) as f:
            fields = [line.split("=", 1) for line in f.read().splitlines() if line and not line.startswith("#")]
        form = "&".join(f"{quote(k, safe='[]')}={quote('file content' if v.startswith('<') else v)}"
                        for k, v in fields)
        status, made, _ = self.c.call("POST", self.commits, form, form=True)
        self.assertEqual(201, status, made)
        self.assertEqual("file content", self.emu.file(self.CONFIG, "foo/bar")["content"])
        self.assertEqual("file content", self.emu.file(self.CONFIG, "foo/bar5")["content"])
        self.assertEqual(["create", "delete", "move", "update", "chmod"],
                         [a["action"] for a in self.emu.commits(self.CONFIG)[-1]["actions"]])

        self.emu.add_member(self.CONFIG, 1, "raymond_smith", 30, name="Raymond Smith")
        status, member, _ = self.c.call("GET", f"/projects/{self.CONFIG}/members/all/1")
        self.assertEqual(200, status, member)
        self.assertEqual([], shape_mismatches(documented("GET-projects-id-members-all-user_id.response.json"), member))
        self.assertEqual((1, "raymond_smith", 30), (member["id"], member["username"], member["access_level"]))

    def test_file_lookups_refused_as_gitlab_refuses_them(self):
        self.assertEqual((400, {"error": "ref is missing"}), self.c.call("GET", self.files + "security%2Fignores.yml")[:2])
        self.assertEqual((400, {"error": "ref is empty"}), self.c.call("GET", self.files + "security%2Fignores.yml?ref=")[:2])
        self.assertEqual((404, {"message": "404 Commit Not Found"}),
                         self.c.call("GET", self.files + "security%2Fignores.yml?ref=nope")[:2])
        self.assertEqual((404, {"message": "404 File Not Found"}),
                         self.c.call("GET", self.files + "security%2Fother.yml?ref=main")[:2])
        self.assertEqual(404, self.c.call("GET", self.files + "security/ignores.yml?ref=main")[0])  # '/' not encoded
        self.assertEqual(404, self.c.call("GET", "/projects/404/repository/files/a.yml?ref=main")[0])
        self.assertEqual((404, b""), self.head(self.files + "security%2Fother.yml?ref=main")[:2])
        # HEAD is the default branch; a commit id reads the file as it was then.
        self.assertEqual(200, self.c.call("GET", self.files + "security%2Fignores.yml?ref=HEAD")[0])
        self.emu.add_file(self.CONFIG, self.IGNORES, "ignores:\n  - rule: x\n")
        _, old, _ = self.c.call("GET", self.files + f"security%2Fignores.yml?ref={self.first}")
        self.assertEqual(b"ignores: []\n", base64.b64decode(old["content"]))
        self.assertEqual(self.first, old["last_commit_id"])
        self.assertEqual(401, Client(self.emu, token=None).call("GET", self.files + "security%2Fignores.yml?ref=main")[0])

    def test_commit_required_fields_and_actions(self):
        self.assertEqual((400, {"error": "branch is missing, commit_message is missing, actions is missing"}),
                         self.c.call("POST", self.commits, {})[:2])
        self.assertEqual((400, {"error": "branch is empty"}),
                         self.commit({"action": "create", "file_path": "a", "content": "x"}, branch="")[:2])
        self.assertEqual((400, {"error": "actions[0][action] does not have a valid value"}),
                         self.commit({"action": "overwrite", "file_path": "a", "content": "x"})[:2])
        self.assertEqual((400, {"error": "actions[0][file_path] is missing"}),
                         self.commit({"action": "create", "content": "x"})[:2])
        self.assertEqual((400, {"error": "actions[0][content] is missing"}),
                         self.commit({"action": "update", "file_path": self.IGNORES})[:2])
        self.assertEqual((400, {"error": "actions[1][encoding] does not have a valid value"}),
                         self.commit({"action": "create", "file_path": "a", "content": "x"},
                                     {"action": "create", "file_path": "b", "content": "x", "encoding": "hex"})[:2])
        self.assertEqual([self.first], [c["id"] for c in self.emu.commits(self.CONFIG)])

    def test_commit_refusals_change_nothing(self):
        update = {"action": "update", "file_path": self.IGNORES, "content": "ignores:\n  - rule: x\n"}
        self.assertEqual((400, {"message": FILE_EXISTS}),
                         self.commit({"action": "create", "file_path": self.IGNORES, "content": "x"})[:2])
        for kind in ("update", "delete"):
            self.assertEqual((400, {"message": FILE_MISSING}),
                             self.commit({"action": kind, "file_path": "security/other.yml", "content": "x"})[:2])
        # all or nothing: the good first action is not applied when the second fails
        self.assertEqual((400, {"message": FILE_MISSING}),
                         self.commit(update, {"action": "delete", "file_path": "missing.yml"})[:2])
        self.assertEqual((400, {"message": NOT_ON_BRANCH}), self.commit(update, branch="feature")[:2])
        rita = Client(self.emu, token="reporter-token-value")
        body = {"branch": "main", "commit_message": "m", "actions": [update]}
        self.assertEqual(403, rita.call("POST", self.commits, body)[0])  # not a member
        self.emu.add_member(self.CONFIG, 21, "rita", 20)
        self.assertEqual(403, rita.call("POST", self.commits, body)[0])  # Reporter cannot push
        self.assertEqual("ignores: []\n", self.emu.file(self.CONFIG, self.IGNORES)["content"])
        self.assertEqual(1, len(self.emu.commits(self.CONFIG)))
        self.emu.add_member(self.CONFIG, 21, "rita", 30)
        status, made, _ = rita.call("POST", self.commits, dict(body, author_name="Dev", author_email="dev@example.com"))
        self.assertEqual(201, status, made)
        self.assertEqual(("Dev", "dev@example.com", "Rita"), (made["author_name"], made["author_email"],
                                                              made["committer_name"]))
        # a new branch from start_branch; base64 content
        status, _, _ = self.commit({"action": "create", "file_path": "b.bin", "content": "AP8C", "encoding": "base64"},
                                   branch="feature", start_branch="main")
        self.assertEqual(201, status)
        self.assertEqual(b"\x00\xff\x02", self.emu.file(self.CONFIG, "b.bin", ref="feature")["content"])
        self.assertIsNone(self.emu.file(self.CONFIG, "b.bin"))

    def test_stale_last_commit_id_is_refused(self):
        _, read, _ = self.c.call("GET", self.files + "security%2Fignores.yml?ref=main")
        concurrent = self.emu.add_file(self.CONFIG, self.IGNORES, "ignores:\n  - rule: someone-else\n")
        mine = {"action": "update", "file_path": self.IGNORES, "content": "ignores:\n  - rule: mine\n",
                "last_commit_id": read["last_commit_id"]}
        status, payload, _ = self.commit(mine)
        self.assertEqual((400, {"message": stale_file_message(self.IGNORES)}), (status, payload))
        self.assertEqual("The file has changed since you started editing it: security/ignores.yml", payload["message"])
        self.assertIn("someone-else", self.emu.file(self.CONFIG, self.IGNORES)["content"])
        self.assertEqual((400, {"message": stale_file_message(self.IGNORES)}),
                         self.commit({"action": "delete", "file_path": self.IGNORES,
                                      "last_commit_id": read["last_commit_id"]})[:2])
        # re-read and re-apply: accepted
        _, reread, _ = self.c.call("GET", self.files + "security%2Fignores.yml?ref=main")
        self.assertEqual(concurrent, reread["last_commit_id"])
        status, made, _ = self.commit(dict(mine, last_commit_id=reread["last_commit_id"]))
        self.assertEqual(201, status, made)
        # a commit touching another file leaves this file's last_commit_id as it was
        self.emu.add_file(self.CONFIG, "security/jit.yml", "controls: {}\n")
        self.assertEqual(made["id"], self.emu.file(self.CONFIG, self.IGNORES)["last_commit_id"])
        self.assertEqual(201, self.commit({"action": "delete", "file_path": self.IGNORES,
                                           "last_commit_id": made["id"]})[0])
        self.assertIsNone(self.emu.file(self.CONFIG, self.IGNORES))

    def test_members(self):
        url = f"/projects/{self.CONFIG}/members/all/"
        self.assertEqual((404, {"message": "404 Not found"}), self.c.call("GET", url + "7")[:2])
        self.emu.add_member(self.CONFIG, 7, "dev", 30)
        self.assertEqual(30, self.c.call("GET", url + "7")[1]["access_level"])
        self.emu.add_member(self.CONFIG, 7, "dev", 10)  # demoted
        self.assertEqual(10, self.c.call("GET", url + "7")[1]["access_level"])
        self.assertEqual(40, self.c.call("GET", url + "99")[1]["access_level"])  # the token's bot: Maintainer
        self.assertEqual((400, {"error": "user_id is invalid"}), self.c.call("GET", url + "dev")[:2])
        self.assertEqual(404, self.c.call("GET", "/projects/404/members/all/7")[0])

    def test_form_arrays_nest_as_rack_does(self):
        flat = [("actions[][action]", "create"), ("actions[][file_path]", "a"), ("actions[][action]", "delete"),
                ("actions[][file_path]", "b"), ("labels[]", "x"), ("labels[]", "y"), ("position[new_line]", "4")]
        self.assertEqual({"actions": [{"action": "create", "file_path": "a"}, {"action": "delete", "file_path": "b"}],
                          "labels": ["x", "y"], "position": {"new_line": "4"}}, _nest(flat))
        form = ("branch=main&commit_message=m&actions[0][action]=create&actions[0][file_path]=a.yml"
                "&actions[0][content]=x&actions[1][action]=create&actions[1][file_path]=b.yml")
        self.assertEqual(201, self.c.call("POST", self.commits, form, form=True)[0])
        self.assertEqual(("x", ""), (self.emu.file(self.CONFIG, "a.yml")["content"],
                                     self.emu.file(self.CONFIG, "b.yml")["content"]))


def field_mismatches(documented, ours):
    """The documented example's keys, in its order, against ours; JSON types per key (null matches any)."""
    problems = []
    if list(documented) != list(ours):
        problems.append(f"keys: documented {list(documented)}, here {list(ours)}")
    return problems + shape_mismatches(documented, ours)


class VariablesTest(unittest.TestCase):
    """Groups and CI/CD variables (issue 12): GET /projects/:id, /projects/:id/variables, /groups/:id/variables."""
    GROUP, SUBGROUP, PROJECT = 3, 4, 7

    def setUp(self):
        self.emu = GitLabEmulator(token=TOKEN, users={"dev-token-value": {
            "id": 21, "username": "rita", "name": "Rita"}}).start()
        self.emu.add_group(self.GROUP, "acme")
        self.emu.add_group(self.SUBGROUP, "acme/platform")
        self.emu.add_project(self.PROJECT, "acme/platform/web")
        self.c = Client(self.emu)
        self.rita = Client(self.emu, token="dev-token-value")

    def tearDown(self):
        self.emu.stop()

    def owner(self):
        self.emu.add_group_member(self.GROUP, self.emu.bot_user_id, 50)

    def test_shapes_match_documented_examples(self):
        if not os.path.isdir(API_EXAMPLES):
            self.skipTest(f"{API_EXAMPLES} absent")
        self.owner()
        # The documented values, except that GitLab refuses to mask "TEST_1" (6 characters,
        # Ci::Maskable needs 8): the project's masked TEST_VARIABLE_1 gets a maskable value here.
        self.emu.add_variable(("project", self.PROJECT), "TEST_VARIABLE_1", "TEST_1_maskable", masked=True)
        self.emu.add_variable(("project", self.PROJECT), "TEST_VARIABLE_2", "TEST_2")
        for key, value in (("TEST_VARIABLE_1", "TEST_1"), ("TEST_VARIABLE_2", "TEST_2")):
            self.emu.add_variable(("group", self.GROUP), key, value)
        status, listed, _ = self.c.call("GET", f"/projects/{self.PROJECT}/variables")
        self.assertEqual(200, status, listed)
        doc = documented("GET-projects-id-variables.response.json")
        self.assertEqual(2, len(listed))
        for d, ours in zip(doc, listed):
            self.assertEqual([], field_mismatches(d, ours))
        self.assertEqual(dict(doc[0], value="TEST_1_maskable"), listed[0])
        self.assertEqual(doc[1], listed[1])
        status, one, _ = self.c.call("GET", f"/projects/{self.PROJECT}/variables/TEST_VARIABLE_1")
        doc = documented("GET-projects-id-variables-key.response.json")
        self.assertEqual((200, []), (status, field_mismatches(doc, one)))
        self.assertEqual(dict(doc, value="TEST_1_maskable"), one)
        status, listed, _ = self.c.call("GET", f"/groups/{self.GROUP}/variables")
        doc = documented("GET-groups-id-variables.response.json")
        self.assertEqual(200, status, listed)
        self.assertEqual([[], []], [field_mismatches(d, o) for d, o in zip(doc, listed)])
        self.assertEqual(doc, listed)
        status, one, _ = self.c.call("GET", f"/groups/{self.GROUP}/variables/TEST_VARIABLE_1")
        doc = documented("GET-groups-id-variables-key.response.json")
        self.assertEqual((200, []), (status, field_mismatches(doc, one)))
        self.assertEqual(doc, one)

    def test_project_shape_and_namespace(self):
        if not os.path.isdir(API_EXAMPLES):
            self.skipTest(f"{API_EXAMPLES} absent")
        doc = documented("GET-projects-id.response.json")
        self.emu.add_file(self.PROJECT, "LICENSE", "MIT License\n")
        # permissions: a direct project membership and a group one (null when there is none)
        self.emu.add_member(self.PROJECT, self.emu.bot_user_id, "jit-bot", 40)
        self.emu.add_group_member(self.SUBGROUP, self.emu.bot_user_id, 40)
        status, project, _ = self.c.call("GET", f"/projects/{self.PROJECT}?license=true&statistics=true")
        self.assertEqual(200, status, project)
        # Entities::Project: `owner` only for a project in a user's namespace (this one is in a group);
        # `spp_repository_pipeline_access` only where security policies are available.
        conditional = ("owner", "spp_repository_pipeline_access")
        self.assertEqual([k for k in doc if k not in conditional], list(project))
        self.assertEqual([], shape_mismatches({k: v for k, v in doc.items() if k not in conditional}, project))
        self.assertEqual({"id": self.SUBGROUP, "name": "platform", "path": "platform", "kind": "group",
                          "full_path": "acme/platform", "parent_id": self.GROUP},
                         {k: project["namespace"][k] for k in ("id", "name", "path", "kind", "full_path", "parent_id")})
        self.assertEqual((self.PROJECT, "acme/platform/web", "web"),
                         (project["id"], project["path_with_namespace"], project["path"]))
        self.assertEqual({"project_access": {"access_level": 40, "notification_level": 3},
                          "group_access": {"access_level": 40, "notification_level": 3}}, project["permissions"])
        self.assertEqual(1, project["statistics"]["commit_count"])
        _, plain, _ = self.c.call("GET", "/projects/acme%2Fplatform%2Fweb")
        for key in ("license", "license_url", "statistics", "owner"):
            self.assertNotIn(key, plain)
        self.assertEqual(self.PROJECT, plain["id"])
        # the bot's default Maintainer role (no membership anywhere) shows as a group one
        self.emu.add_project(9, "other/api")
        self.assertEqual({"project_access": None, "group_access": {"access_level": 40, "notification_level": 3}},
                         self.c.call("GET", "/projects/9")[1]["permissions"])
        self.assertEqual((404, {"message": "404 Project Not Found"}),
                         Client(self.emu, token="dev-token-value").call("GET", "/projects/9")[:2])  # no member

    def test_project_in_a_user_namespace(self):
        self.emu.add_project(8, "solo/app")  # no group "solo" added: a user's namespace
        status, project, _ = self.c.call("GET", "/projects/8")
        self.assertEqual(200, status, project)
        self.assertEqual(("user", "solo", None), tuple(project["namespace"][k] for k in ("kind", "full_path", "parent_id")))
        self.assertEqual("solo", project["owner"]["username"])  # exposed unless the project is in a group
        self.assertEqual((404, {"message": "404 Group Not Found"}), self.c.call("GET", "/groups/solo/variables")[:2])
        self.assertEqual(404, self.c.call("GET", f"/groups/{project['namespace']['id']}/variables")[0])
        self.assertEqual(200, self.c.call("GET", "/projects/8/variables")[0])

    def test_not_found(self):
        self.owner()
        self.assertEqual((404, {"message": "404 Project Not Found"}), self.c.call("GET", "/projects/99/variables")[:2])
        self.assertEqual((404, {"message": "404 Group Not Found"}), self.c.call("GET", "/groups/99/variables")[:2])
        self.assertEqual((404, {"message": "404 Project Not Found"}), self.c.call("GET", "/projects/99")[:2])
        self.assertEqual(404, self.c.call("GET", "/groups/acme/platform/variables")[0])  # '/' not encoded
        self.assertEqual(200, self.c.call("GET", "/groups/acme%2Fplatform/variables")[0])
        self.assertEqual(200, self.c.call("GET", "/projects/acme%2Fplatform%2Fweb/variables")[0])
        self.assertEqual((404, {"message": "404 Variable Not Found"}),
                         self.c.call("GET", f"/projects/{self.PROJECT}/variables/NOPE")[:2])
        self.assertEqual((404, {"message": "404 Variable Not Found"}),
                         self.c.call("GET", f"/groups/{self.GROUP}/variables/NOPE")[:2])
        # one key in two environment scopes: filter[environment_scope] picks one
        self.emu.add_variable(("project", self.PROJECT), "DB_PASSWORD", "staging-pass-1", environment_scope="staging")
        self.emu.add_variable(("project", self.PROJECT), "DB_PASSWORD", "production-pass-1",
                              environment_scope="production")
        status, payload, _ = self.c.call("GET", f"/projects/{self.PROJECT}/variables/DB_PASSWORD")
        self.assertEqual((409, {"message": "There are multiple variables with provided parameters. "
                                           "Please use 'filter[environment_scope]'"}), (status, payload))
        status, one, _ = self.c.call("GET", f"/projects/{self.PROJECT}/variables/DB_PASSWORD"
                                            "?filter%5Benvironment_scope%5D=production")
        self.assertEqual((200, "production-pass-1"), (status, one["value"]))

    def test_roles(self):
        self.emu.add_variable(("project", self.PROJECT), "DEPLOY_TOKEN", "deploy-token-1", masked=True)
        self.emu.add_variable(("group", self.GROUP), "GROUP_TOKEN", "group-token-1", masked=True)
        project_vars, group_vars = f"/projects/{self.PROJECT}/variables", f"/groups/{self.GROUP}/variables"
        # the bot: Maintainer by default, enough for a project, not for a group (Owner)
        self.assertEqual(200, self.c.call("GET", project_vars)[0])
        self.assertEqual((403, {"message": "403 Forbidden"}), self.c.call("GET", group_vars)[:2])
        self.assertEqual(403, self.c.call("GET", group_vars + "/GROUP_TOKEN")[0])
        self.assertEqual(403, self.c.call("GET", f"/groups/{self.SUBGROUP}/variables")[0])
        # a Developer on the project: 403
        self.emu.add_member(self.PROJECT, self.emu.bot_user_id, "jit-bot", 30)
        self.assertEqual((403, {"message": "403 Forbidden"}), self.c.call("GET", project_vars)[:2])
        self.assertEqual(403, self.c.call("GET", project_vars + "/DEPLOY_TOKEN")[0])
        # Owner of the top group: owner of its subgroup, and above Developer in its projects
        self.owner()
        self.assertEqual([["GROUP_TOKEN"], [], ["DEPLOY_TOKEN"]],
                         [[v["key"] for v in self.c.call("GET", url)[1]]
                          for url in (group_vars, f"/groups/{self.SUBGROUP}/variables", project_vars)])
        # another user: a non-member sees neither (404), a Reporter of the group is refused (403)
        self.assertEqual((404, {"message": "404 Project Not Found"}), self.rita.call("GET", project_vars)[:2])
        self.assertEqual((404, {"message": "404 Group Not Found"}), self.rita.call("GET", group_vars)[:2])
        self.emu.add_group_member(self.GROUP, 21, 20)
        self.assertEqual(403, self.rita.call("GET", project_vars)[0])
        self.assertEqual(403, self.rita.call("GET", group_vars)[0])
        self.emu.add_group_member(self.SUBGROUP, 21, 40)  # Maintainer of the subgroup: its projects' variables
        self.assertEqual(200, self.rita.call("GET", project_vars)[0])
        self.assertEqual(403, self.rita.call("GET", f"/groups/{self.SUBGROUP}/variables")[0])

    def test_pagination(self):
        self.owner()
        keys = [f"VAR_{i:03d}" for i in range(45)]
        for key in keys:
            self.emu.add_variable(("group", self.GROUP), key, f"value-{key}")
        url = f"/groups/{self.GROUP}/variables"
        status, page1, headers = self.c.call("GET", url)
        self.assertEqual((200, 20), (status, len(page1)))
        self.assertEqual(("45", "3", "2", "20"), (headers["X-Total"], headers["X-Total-Pages"],
                                                  headers["X-Next-Page"], headers["X-Per-Page"]))
        _, page3, headers = self.c.call("GET", url + "?page=3")
        self.assertEqual((5, ""), (len(page3), headers["X-Next-Page"]))
        self.assertEqual(45, len(self.c.call("GET", url + "?per_page=500")[1]))  # capped at 100
        seen, next_url = [], self.emu.api_url + url + "?per_page=10"
        while next_url:
            status, page, headers = self.c.call("GET", next_url[len(self.emu.api_url):])
            self.assertEqual(200, status)
            seen += [v["key"] for v in page]
            links = dict((rel.split('"')[1], u.strip()[1:-1]) for u, rel in
                         (part.split(";") for part in headers["Link"].split(",")))
            next_url = links.get("next")
        self.assertEqual(keys, seen)

    def test_hidden_value_is_null_and_refused_variables(self):
        self.owner()
        self.emu.add_variable(("group", self.GROUP), "CHECKOUT_TOKEN", "hidden-token-value-1", masked=True,
                              hidden=True)
        self.emu.add_variable(("group", self.GROUP), "DB_PASSWORD", "masked-password-1", masked=True,
                              protected=True)
        self.emu.add_variable(("group", self.GROUP), "KUBECONFIG", "apiVersion: v1\n", variable_type="file",
                              raw=True, description="cluster")
        _, listed, _ = self.c.call("GET", f"/groups/{self.GROUP}/variables")
        by_key = {v["key"]: v for v in listed}
        self.assertIsNone(by_key["CHECKOUT_TOKEN"]["value"])
        self.assertEqual((True, True), (by_key["CHECKOUT_TOKEN"]["hidden"], by_key["CHECKOUT_TOKEN"]["masked"]))
        self.assertIsNone(self.c.call("GET", f"/groups/{self.GROUP}/variables/CHECKOUT_TOKEN")[1]["value"])
        self.assertNotIn("hidden-token-value-1", json.dumps(listed))
        self.assertEqual(("masked-password-1", True, True, False),
                         tuple(by_key["DB_PASSWORD"][k] for k in ("value", "masked", "protected", "hidden")))
        self.assertEqual(("file", "apiVersion: v1\n", True, "cluster"),
                         tuple(by_key["KUBECONFIG"][k] for k in ("variable_type", "value", "raw", "description")))
        refused = [dict(key="SHORT", value="short", masked=True),           # < 8 characters
                   dict(key="SPACES", value="has spaces in it", masked=True),
                   dict(key="HIDDEN", value="hidden-but-not-masked", hidden=True),
                   dict(key="DB_PASSWORD", value="same-key-same-scope"),
                   dict(key="BAD", value="x", variable_type="yaml")]
        for kwargs in refused:
            with self.assertRaises(ValueError, msg=kwargs):
                self.emu.add_variable(("group", self.GROUP), **kwargs)
        with self.assertRaises(ValueError):
            self.emu.add_variable(("group", 404), "KEY", "value")


class OnboardingTest(unittest.TestCase):
    """The endpoints of `jit-agent setup` and `doctor` (issue 15): projects, triggers, group hooks (Premium),
    group access tokens, project variables, pipeline schedules: required parameters, roles, shapes."""
    GROUP = 3
    # doc/api/group_access_tokens.md, "List group access tokens" (one element of the documented list).
    GROUP_TOKEN_EXAMPLE = {"user_id": 141, "scopes": ["api"], "name": "token", "expires_at": "2021-01-31", "id": 42,
                           "active": True, "created_at": "2021-01-20T22:11:48.151Z", "revoked": False,
                           "last_used_at": None, "access_level": 40}

    # doc/api/group_webhooks.md, "List group hooks" (the fields of the documented element).
    GROUP_HOOK_EXAMPLE = {"id": 1, "url": "http://example.com/hook", "name": "Test group hook",
                          "description": "This is a test group hook.", "created_at": "2024-09-01T09:10:54.854Z",
                          "push_events": True, "tag_push_events": False, "merge_requests_events": False,
                          "repository_update_events": False, "enable_ssl_verification": True,
                          "alert_status": "executable", "disabled_until": None, "url_variables": [],
                          "push_events_branch_filter": None, "branch_filter_strategy": "all_branches",
                          "custom_webhook_template": "", "custom_headers": [], "group_id": 99,
                          "issues_events": False, "confidential_issues_events": False, "note_events": False,
                          "confidential_note_events": False, "pipeline_events": False, "wiki_page_events": False,
                          "job_events": False, "deployment_events": False, "feature_flag_events": False,
                          "releases_events": False}

    def setUp(self):
        self.emu = GitLabEmulator(token=TOKEN, users={"dev-token-value": {
            "id": 21, "username": "rita", "name": "Rita"}}).start()
        self.emu.add_group(self.GROUP, "acme")
        self.emu.add_group_member(self.GROUP, self.emu.bot_user_id, 50)
        self.emu.add_group_member(self.GROUP, 21, 40)
        self.c = Client(self.emu)
        self.rita = Client(self.emu, token="dev-token-value")

    def tearDown(self):
        self.emu.stop()

    def new_project(self):
        status, project, _ = self.c.call("POST", "/projects", {"name": "jit-security", "namespace_id": self.GROUP})
        self.assertEqual(201, status, project)
        return project

    def test_projects(self):
        self.assertEqual((400, {"error": "name, path are missing, at least one parameter must be provided"}),
                         self.c.call("POST", "/projects", {"namespace_id": self.GROUP})[:2])
        project = self.new_project()
        self.assertEqual(("acme/jit-security", True), (project["path_with_namespace"], project["empty_repo"]))
        if os.path.isdir(API_EXAMPLES):
            # As GET /projects/:id without license=/statistics= (those fields come with them only), for a
            # creator who is a member of the group, not of the project (permissions.project_access null);
            # owner: user namespaces only; spp_repository_pipeline_access: where security policies exist.
            optional = ("$.owner", "$.license", "$.statistics", "$.spp_repository_pipeline_access",
                        "$.permissions.project_access")
            self.assertEqual([], [p for p in shape_mismatches(documented("GET-projects-id.response.json"), project)
                                  if not p.startswith(optional)])
        status, taken, _ = self.c.call("POST", "/projects", {"path": "jit-security", "namespace_id": "acme"})
        self.assertEqual(400, status)
        self.assertEqual(["has already been taken"], taken["message"]["path"])
        path = f"/projects/{project['id']}"
        self.assertEqual(400, self.c.call("PUT", path, {"ci_pipeline_variables_minimum_override_role": "everyone"})[0])
        status, edited, _ = self.c.call("PUT", path, {"ci_pipeline_variables_minimum_override_role": "maintainer"})
        self.assertEqual((200, "maintainer"), (status, edited["ci_pipeline_variables_minimum_override_role"]))
        self.assertEqual("maintainer", self.c.call("GET", path)[1]["ci_pipeline_variables_minimum_override_role"])
        self.emu.add_group_member(self.GROUP, 21, 30)  # a Developer may not create projects in the group
        self.assertEqual((403, {"message": "403 Forbidden"}),
                         self.rita.call("POST", "/projects", {"name": "x", "namespace_id": self.GROUP})[:2])

    def test_triggers(self):
        pid = self.new_project()["id"]
        self.assertEqual((400, {"error": "description is missing"}), self.c.call("POST", f"/projects/{pid}/triggers", {})[:2])
        status, trigger, _ = self.c.call("POST", f"/projects/{pid}/triggers", {"description": "hook"})
        self.assertEqual(201, status)
        self.assertTrue(trigger["token"].startswith("glptt-") and len(trigger["token"]) > 20)
        for key in ("id", "description", "created_at", "updated_at", "last_used", "owner", "expires_at"):
            self.assertIn(key, trigger)
        self.assertEqual(trigger["token"], self.c.call("GET", f"/projects/{pid}/triggers")[1][0]["token"])
        self.assertEqual(trigger["token"][:4], self.rita.call("GET", f"/projects/{pid}/triggers")[1][0]["token"])

    def test_group_hooks(self):
        hooks = f"/groups/{self.GROUP}/hooks"
        self.assertEqual((403, {"message": "403 Forbidden"}), self.rita.call("GET", hooks)[:2])  # Owner only
        self.assertEqual((400, {"error": "url is missing"}), self.c.call("POST", hooks, {"push_events": True})[:2])
        self.assertEqual(422, self.c.call("POST", hooks, {"url": "not a url"})[0])
        body = {"url": "https://gitlab.example.com/api/v4/projects/5/ref/main/trigger/pipeline?token={t}",
                "url_variables": [{"key": "t", "value": "glptt-secret-123"}], "token": "hook-secret-1",
                "note_events": True}
        status, hook, _ = self.c.call("POST", hooks, body)
        self.assertEqual(201, status, hook)
        self.assertNotIn("token", hook)  # never shown again
        self.assertEqual([{"key": "t"}], hook["url_variables"])
        self.assertEqual(body["url"], hook["url"])
        self.assertEqual((True, True, False, True), (hook["push_events"], hook["note_events"],
                                                    hook["merge_requests_events"], hook["enable_ssl_verification"]))
        self.assertEqual([], shape_mismatches(self.GROUP_HOOK_EXAMPLE, hook))
        self.assertEqual("all_branches", hook["branch_filter_strategy"])
        status, edited, _ = self.c.call("PUT", f"{hooks}/{hook['id']}", {"merge_requests_events": True})
        self.assertEqual((200, True), (status, edited["merge_requests_events"]))
        self.c.call("POST", hooks, {"url": "https://hooks.example.com/b"})
        status, page, headers = self.c.call("GET", hooks + "?per_page=1")
        self.assertEqual((200, 1, "2", "2"), (status, len(page), headers["X-Total"], headers["X-Next-Page"]))
        self.assertEqual((404, {"message": "404 Not found"}), self.c.call("GET", f"{hooks}/999")[:2])

    def test_group_hooks_need_premium(self):
        self.emu.premium = False
        for method, body in (("GET", None), ("POST", {"url": "https://hooks.example.com/a"})):
            self.assertEqual((404, {"message": "404 Not Found"}),
                             self.c.call(method, f"/groups/{self.GROUP}/hooks", body)[:2])

    def test_group_access_tokens(self):
        path = f"/groups/{self.GROUP}/access_tokens"
        soon = (datetime.now(timezone.utc).date() + timedelta(days=30)).isoformat()
        self.assertEqual(403, self.rita.call("POST", path, {"name": "t", "scopes": ["api"], "expires_at": soon})[0])
        self.assertEqual((400, {"error": "name is missing, scopes is missing"}), self.c.call("POST", path, {})[:2])
        self.assertEqual((400, {"error": "expires_at is missing"}),
                         self.c.call("POST", path, {"name": "t", "scopes": ["api"]})[:2])
        far = (datetime.now(timezone.utc).date() + timedelta(days=400)).isoformat()
        self.assertEqual((400, {"message": "400 Bad request - Expires at must expire in 365 days"}),
                         self.c.call("POST", path, {"name": "t", "scopes": ["api"], "expires_at": far})[:2])
        status, token, _ = self.c.call("POST", path, {"name": "jit", "scopes": ["api", "write_repository"],
                                                       "access_level": 40, "expires_at": soon})
        self.assertEqual(201, status, token)
        self.assertEqual([], shape_mismatches(self.GROUP_TOKEN_EXAMPLE, token))
        self.assertEqual((soon, 40), (token["expires_at"], token["access_level"]))
        status, listed, _ = self.c.call("GET", path)
        self.assertEqual([], shape_mismatches([self.GROUP_TOKEN_EXAMPLE], listed))
        self.assertNotIn("token", listed[0])
        status, me, _ = Client(self.emu, token=token["token"]).call("GET", "/personal_access_tokens/self")
        self.assertEqual((200, ["api", "write_repository"]), (status, me["scopes"]))
        # Rotation: a new token with the same name, scopes and role; the old one is revoked (then 401).
        status, rotated, _ = self.c.call("POST", f"{path}/{token['id']}/rotate", {"expires_at": soon})
        self.assertEqual((200, "jit", 40, soon), (status, rotated["name"], rotated["access_level"], rotated["expires_at"]))
        self.assertNotEqual(token["token"], rotated["token"])
        self.assertEqual(401, Client(self.emu, token=token["token"]).call("GET", "/personal_access_tokens/self")[0])
        self.assertEqual((400, {"message": "400 Bad request - Token already revoked"}),
                         self.c.call("POST", f"{path}/{token['id']}/rotate", {})[:2])
        self.assertEqual(403, self.rita.call("POST", f"{path}/{rotated['id']}/rotate", {})[0])

    def test_project_variables_written(self):
        pid = self.new_project()["id"]
        path = f"/projects/{pid}/variables"
        self.assertEqual((400, {"error": "key is missing, value is missing"}), self.c.call("POST", path, {})[:2])
        self.assertEqual((400, {"message": {"value": ["is invalid"]}}),
                         self.c.call("POST", path, {"key": "K", "value": "short", "masked": True})[:2])
        status, v, _ = self.c.call("POST", path, {"key": "JIT_CHECKOUT_TOKEN", "value": "glpat-abcdefghij0123",
                                                   "masked_and_hidden": True, "protected": True})
        self.assertEqual(201, status)
        self.assertEqual((None, True, True, True), (v["value"], v["masked"], v["hidden"], v["protected"]))
        if os.path.isdir(API_EXAMPLES):
            self.assertEqual([], shape_mismatches(documented("GET-projects-id-variables-key.response.json"), v))
        self.assertEqual((400, {"message": {"key": ["(JIT_CHECKOUT_TOKEN) has already been taken"]}}),
                         self.c.call("POST", path, {"key": "JIT_CHECKOUT_TOKEN", "value": "x" * 10})[:2])
        status, v, _ = self.c.call("PUT", f"{path}/JIT_CHECKOUT_TOKEN", {"protected": False, "masked": False})
        self.assertEqual((200, False, True), (status, v["protected"], v["masked"]))  # hidden stays masked
        self.emu.add_group_member(self.GROUP, 21, 30)  # variables need Maintainer
        self.assertEqual((403, {"message": "403 Forbidden"}), self.rita.call("POST", path, {"key": "A", "value": "b"})[:2])

    def test_pipeline_schedules(self):
        pid = self.new_project()["id"]
        path = f"/projects/{pid}/pipeline_schedules"
        self.assertEqual((400, {"error": "description is missing, ref is missing, cron is missing"}),
                         self.c.call("POST", path, {})[:2])
        self.assertEqual((400, {"message": {"cron": ["is invalid syntax"]}}),
                         self.c.call("POST", path, {"description": "d", "ref": "main", "cron": "nightly"})[:2])
        status, s, _ = self.c.call("POST", path, {"description": "d", "ref": "main", "cron": "23 2 * * *"})
        self.assertEqual((201, "UTC", True), (status, s["cron_timezone"], s["active"]))
        self.assertEqual(1, len(self.c.call("GET", path)[1]))
        self.assertNotIn("last_pipeline", self.c.call("GET", path)[1][0])  # the list omits it
        self.emu.set_schedule_last_pipeline(pid, "failed")
        status, one, _ = self.c.call("GET", f"{path}/{s['id']}")
        self.assertEqual((200, "failed", []), (status, one["last_pipeline"]["status"], one["variables"]))
        self.assertEqual((404, {"message": "404 Pipeline Schedule Not Found"}), self.c.call("GET", f"{path}/999")[:2])



class TokensTest(unittest.TestCase):
    """Token self-inspection (issue 12): /personal_access_tokens/self, /user, /runners/verify, /job."""
    ALICE = {"id": 31, "username": "alice", "name": "Alice"}

    def setUp(self):
        self.emu = GitLabEmulator(token=TOKEN).start()
        self.emu.add_merge_request(7, 3, path="group/app", versions=[dict(head=HEAD, base=BASE)])
        self.active = fake_gitlab_pat(31)
        self.emu.add_access_token(self.active, self.ALICE, scopes=("api", "read_repository"), name="laptop",
                                  description="alice's laptop", expires_at="2999-01-01")

    def tearDown(self):
        self.emu.stop()

    def test_self_shape_matches_documented_example(self):
        status, me, _ = Client(self.emu, token=self.active).call("GET", "/personal_access_tokens/self")
        self.assertEqual(200, status, me)
        if os.path.isdir(API_EXAMPLES):
            self.assertEqual([], field_mismatches(documented("GET-personal_access_tokens-self.response.json"), me))
        else:
            print(f"({API_EXAMPLES} absent: documented shape not compared)")
        self.assertEqual(("laptop", "alice's laptop", ["api", "read_repository"], 31, False, True, "2999-01-01"),
                         (me["name"], me["description"], me["scopes"], me["user_id"], me["revoked"], me["active"],
                          me["expires_at"]))
        self.assertIsNotNone(me["last_used_at"])
        # Bearer too; the bot's own token is a group access token with api and write_repository
        status, bot, _ = Client(self.emu, token=None).call("GET", "/personal_access_tokens/self",
                                                           headers={"Authorization": f"Bearer {TOKEN}"})
        self.assertEqual((200, ["api", "write_repository"], 99), (status, bot["scopes"], bot["user_id"]))

    def test_revoked_and_expired_tokens_are_401(self):
        revoked, expired, today = fake_gitlab_pat(32), fake_gitlab_pat(33), fake_gitlab_pat(34)
        self.emu.add_access_token(revoked, self.ALICE, revoked=True)
        self.emu.add_access_token(expired, self.ALICE, expires_at="2020-01-01")
        self.emu.add_access_token(today, self.ALICE, expires_at=time.strftime("%Y-%m-%d", time.gmtime()))
        for token in (revoked, expired, today, "glpat-unknownunknown00"):
            c = Client(self.emu, token=token)
            for path in ("/personal_access_tokens/self", "/user", "/projects/7/merge_requests/3/notes"):
                self.assertEqual((401, {"message": "401 Unauthorized"}), c.call("GET", path)[:2], (token, path))
        _, record, _ = Client(self.emu).call("GET", "/personal_access_tokens/self")
        self.assertTrue(record["active"])

    def test_delete_self_revokes(self):
        c = Client(self.emu, token=self.active)
        status, body, headers = c.call("DELETE", "/personal_access_tokens/self")
        self.assertEqual((204, None), (status, body))
        self.assertNotIn("Content-Type", headers)
        self.assertEqual("0", headers.get("Content-Length", "0"))
        self.assertEqual((401, {"message": "401 Unauthorized"}), c.call("GET", "/personal_access_tokens/self")[:2])
        self.assertEqual(401, c.call("DELETE", "/personal_access_tokens/self")[0])
        self.assertEqual(401, c.call("GET", "/projects/7/merge_requests/3/notes")[0])
        self.assertEqual((True, False), (self.emu.access_token(self.active)["revoked"],
                                         self.emu.access_token(self.active)["active"]))
        self.assertEqual(200, Client(self.emu).call("GET", "/projects/7/merge_requests/3/notes")[0])  # others unaffected
        logged = [(r["method"], r["path"], r["status"]) for r in self.emu.requests]
        self.assertEqual([("DELETE", "/api/v4/personal_access_tokens/self", 204),
                          ("GET", "/api/v4/personal_access_tokens/self", 401),
                          ("DELETE", "/api/v4/personal_access_tokens/self", 401)], logged[:3])

    def test_any_scope_reads_self(self):
        narrow = fake_gitlab_pat(35)
        self.emu.add_access_token(narrow, self.ALICE, scopes=("read_repository",))
        status, me, _ = Client(self.emu, token=narrow).call("GET", "/personal_access_tokens/self")
        self.assertEqual((200, ["read_repository"]), (status, me["scopes"]))

    def test_user_and_insufficient_scope(self):
        status, me, _ = Client(self.emu, token=self.active).call("GET", "/user")
        self.assertEqual(200, status, me)
        self.assertEqual((31, "alice", "Alice", "active", False),
                         (me["id"], me["username"], me["name"], me["state"], me["bot"]))
        self.assertTrue(me["web_url"].endswith("/alice"))
        _, bot, _ = Client(self.emu).call("GET", "/user")
        self.assertEqual((99, "jit-bot", True), (bot["id"], bot["username"], bot["bot"]))
        for scopes in (("read_user",), ("read_api",)):
            token = fake_gitlab_pat(len(scopes[0]) + 40)
            self.emu.add_access_token(token, self.ALICE, scopes=scopes)
            self.assertEqual(200, Client(self.emu, token=token).call("GET", "/user")[0], scopes)
        repo_only = fake_gitlab_pat(36)
        self.emu.add_access_token(repo_only, self.ALICE, scopes=("read_repository", "write_repository"))
        c = Client(self.emu, token=repo_only)
        description = "The request requires higher privileges than provided by the access token."
        self.assertEqual((403, {"error": "insufficient_scope", "error_description": description,
                                "scope": "read_user api read_api"}), c.call("GET", "/user")[:2])
        self.assertEqual((403, {"error": "insufficient_scope", "error_description": description,
                                "scope": "api read_api"}), c.call("GET", "/projects/7/merge_requests/3/notes")[:2])
        # read_api reads, never writes; the refusal lists every scope registered for the route
        read_api = fake_gitlab_pat(37)
        self.emu.add_access_token(read_api, self.ALICE, scopes=("read_api",))
        c = Client(self.emu, token=read_api)
        self.assertEqual(200, c.call("GET", "/projects/7/merge_requests/3/notes")[0])
        self.assertEqual((403, {"error": "insufficient_scope", "error_description": description,
                                "scope": "api read_api"}),
                         c.call("POST", "/projects/7/merge_requests/3/notes", {"body": "x"})[:2])
        self.assertEqual([], self.emu.notes(7, 3))

    def test_runners_verify(self):
        runner, old = "glrt-" + fake_gitlab_pat(38)[6:], "glrt-" + fake_gitlab_pat(39)[6:]
        self.emu.add_runner_token(runner, runner_id=12345)
        self.emu.add_runner_token(old, runner_id=12346, expires_at="2020-01-01T00:00:00.000Z")
        anonymous = Client(self.emu, token=None)  # no PRIVATE-TOKEN: the runner token is the credential
        status, body, _ = anonymous.call("POST", "/runners/verify", f"token={quote(runner)}&system_id=s_0123456789ab",
                                         form=True)
        self.assertEqual((200, {"id": 12345, "token": runner, "token_expires_at": None}), (status, body))
        self.assertEqual(["id", "token", "token_expires_at"], list(body))
        self.assertEqual(200, anonymous.call("POST", "/runners/verify", {"token": runner})[0])
        for token in (old, "glrt-unknownunknownunkn"):
            self.assertEqual((403, {"message": "403 Forbidden"}),
                             anonymous.call("POST", "/runners/verify", {"token": token})[:2])
        self.assertEqual((400, {"error": "token is missing"}), anonymous.call("POST", "/runners/verify", {})[:2])
        self.assertEqual(403, Client(self.emu).call("POST", "/runners/verify", {"token": self.active})[0])
        self.assertEqual(["/api/v4/runners/verify"] * 6, [r["path"] for r in self.emu.requests])

    def test_job_token(self):
        job_token = "glcbt-" + fake_gitlab_pat(40)[6:]
        self.emu.add_job_token(job_token, job_id=81, project_id=7)
        anonymous = Client(self.emu, token=None)
        for headers, query in (({"JOB-TOKEN": job_token}, ""), ({}, f"?job_token={quote(job_token)}"),
                               ({"Authorization": f"Bearer {job_token}"}, "")):
            status, job, _ = anonymous.call("GET", "/job" + query, headers=headers)
            self.assertEqual(200, status, job)
            self.assertEqual((81, "running", 7), (job["id"], job["status"], job["pipeline"]["project_id"]))
        for key in ("commit", "coverage", "allow_failure", "created_at", "started_at", "finished_at", "duration",
                    "queued_duration", "artifacts_expire_at", "id", "name", "pipeline", "ref", "artifacts",
                    "runner", "stage", "status", "failure_reason", "tag", "web_url", "project", "user"):
            self.assertIn(key, job)  # doc/api/jobs.md "Get job token's job"
        self.assertEqual((401, {"message": "401 Unauthorized"}),
                         anonymous.call("GET", "/job", headers={"JOB-TOKEN": "glcbt-unknown"})[:2])
        self.assertEqual(401, Client(self.emu).call("GET", "/job")[0])  # a PRIVATE-TOKEN is no job token
        self.assertEqual(401, anonymous.call("GET", "/projects/7/merge_requests/3/notes",
                                             headers={"JOB-TOKEN": job_token})[0])
        self.emu.finish_job(job_token)
        self.assertEqual(401, anonymous.call("GET", "/job", headers={"JOB-TOKEN": job_token})[0])
        self.assertEqual([200, 200, 200, 401, 401, 401, 401], [r["status"] for r in self.emu.requests])


class TlsTest(unittest.TestCase):
    def test_tls_with_self_signed_certificate(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = make_self_signed(tmp)
            with GitLabEmulator(token=TOKEN, certfile=cert, keyfile=key) as emu:
                emu.add_merge_request(7, 3, versions=[dict(head=HEAD, base=BASE)])
                self.assertTrue(emu.api_url.startswith("https://localhost:"))
                ctx = ssl.create_default_context(cafile=cert)
                status, versions, _ = Client(emu, context=ctx).call("GET", "/projects/7/merge_requests/3/versions")
                self.assertEqual((200, HEAD), (status, versions[0]["head_commit_sha"]))
                with self.assertRaises(urllib.error.URLError):
                    Client(emu, context=ssl.create_default_context()).call("GET", "/projects/7/merge_requests/3/versions")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed - len(result.skipped)} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(1 if failed else 0)
