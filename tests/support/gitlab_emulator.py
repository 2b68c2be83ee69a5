"""A GitLab REST API v4 emulator for the agent's tests (stdlib only, 127.0.0.1, optional TLS).

It implements exactly the endpoints jit-agent uses and validates requests the way GitLab does:

  GET  /api/v4/projects/:id/merge_requests/:iid/versions
  GET  /api/v4/projects/:id/merge_requests/:iid/discussions
  POST /api/v4/projects/:id/merge_requests/:iid/discussions
  PUT  /api/v4/projects/:id/merge_requests/:iid/discussions/:discussion_id?resolved=true
  POST /api/v4/projects/:id/merge_requests/:iid/discussions/:discussion_id/notes
  GET  /api/v4/projects/:id/merge_requests/:iid/notes
  POST /api/v4/projects/:id/merge_requests/:iid/notes
  PUT  /api/v4/projects/:id/merge_requests/:iid/notes/:note_id
  POST /api/v4/projects/:id/statuses/:sha
  GET  /api/v4/projects/:id/repository/commits/:sha/statuses   (for tests and humans)
  GET  /api/v4/projects/:id/repository/files/:file_path?ref=   (HEAD too: only the X-Gitlab-* headers)
  POST /api/v4/projects/:id/repository/commits                  (JSON or form-encoded actions)
  GET  /api/v4/projects/:id/members/all/:user_id
  POST /jit/results   (not GitLab: the optional results endpoint, bearer auth)

Validation: PRIVATE-TOKEN (or Authorization: Bearer) -> 401 {"message":"401 Unauthorized"};
missing required fields -> 400 {"error":"<field> is missing"}; status description/target_url
> 255 -> 400; a diff position outside the MR diff or with shas of no MR version -> 400 whose
message contains "line_code can't be blank"; per_page capped at 100 with X-Next-Page, X-Page,
X-Per-Page, X-Prev-Page, X-Total, X-Total-Pages and Link headers.

Repositories (per project: commits, branches, files; GitLab's messages from lib/api/files.rb,
lib/api/commits.rb, Files::MultiService and Gitaly's index errors): a file path must be URL-encoded
('/' as %2F) or the route is a 404; `ref` is required (a branch, HEAD = the default branch, or a
commit id; unknown -> 404 Commit Not Found; no file -> 404 File Not Found). A commit needs push
access (Developer or above; the emulator's own token user is a Maintainer everywhere, as the
group access token is, unless add_member says otherwise) -> 403; into an existing branch (or any
branch of an empty repository, or a new one from `start_branch`) -> 400 "You can only create or
edit files when you are on a branch"; update/move/delete whose `last_commit_id` is not the file's
last commit on the branch -> 400 "The file has changed since you started editing it: <path>";
create of an existing file -> 400 "A file with this name already exists"; update/delete/chmod of
a missing one -> 400 "A file with this name doesn't exist". Actions apply all or nothing.
Members: GET .../members/all/:user_id -> 404 {"message":"404 Not found"} for a non-member.

Every request is recorded (`requests`); faults are injected per test with add_fault().

Usage:
    emu = GitLabEmulator(token="glpat-...").start()
    emu.add_merge_request(project_id=7, iid=3, path="g/app",
                          versions=[dict(head="...", base="...", start="...")],
                          added_lines={"config.py": {4, 5}})
    emu.add_file(project_id=5, path="ignores.yml", content="ignores: []\n")     # the dedicated project
    emu.add_member(project_id=7, user_id=12, username="dev", access_level=30)
    ... run the agent with CI_API_V4_URL=emu.api_url ...
    emu.file(5, "ignores.yml")["content"], emu.commits(5)
    emu.stop()
"""
import base64
import difflib
import hashlib
import itertools
import json
import re
import socket
import ssl
import struct
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
ACTIONS = ("create", "update", "move", "delete", "chmod")
DEVELOPER, MAINTAINER = 30, 40
FILE_EXISTS = "A file with this name already exists"
FILE_MISSING = "A file with this name doesn't exist"
NOT_ON_BRANCH = "You can only create or edit files when you are on a branch"


def stale_file_message(path):
    """Files::MultiService#validate_file_status!: an update/move/delete whose last_commit_id is not
    the file's last commit on the branch."""
    return f"The file has changed since you started editing it: {path}"
LINE_CODE_ERROR = ("400 Bad request - Note {:line_code=>[\"can't be blank\", \"must be a valid line code\"], "
                   ":position=>[\"is incomplete\"]}")


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Fault:
    """Applied to the next `times` requests matching method and path regex: before any processing
    (the request has no effect), or with after=True once the request was applied (the answer is
    lost: what a client sees when GitLab did the work but the response never arrived)."""

    def __init__(self, method=None, path=None, status=None, times=1, retry_after=None, delay=0.0,
                 reset=False, body=None, after=False):
        self.method, self.path = method, re.compile(path) if path else None
        self.status, self.times, self.retry_after = status, times, retry_after
        self.delay, self.reset, self.body, self.after = delay, reset, body, after
        self.hits = 0

    def matches(self, method, path):
        return (self.hits < self.times and (self.method is None or self.method == method)
                and (self.path is None or self.path.search(path) is not None))


class ApiError(Exception):
    def __init__(self, status, payload, headers=None):
        super().__init__(status)
        self.status, self.payload, self.headers = status, payload, headers or {}


def _missing(field):
    return ApiError(400, {"error": f"{field} is missing"})


def _nest(flat):
    """Form/query keys -> nested values, as Rack builds them: position[new_line] -> a hash,
    a[]=x -> an array, actions[][action]=create&actions[][file_path]=f -> an array of hashes (a new
    hash starts when the last one already has the key)."""
    out = {}
    for key, value in flat:
        m = re.match(r"([^\[\]]+)((?:\[[^\[\]]*\])*)$", key)
        if m:
            _assign(out, [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2)), value)
    return out


def _has_path(node, parts):
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return False
        node = node[p]
    return True


def _assign(node, parts, value):
    head, rest = parts[0], parts[1:]
    if not rest:
        node[head] = value
        return
    if rest[0] == "":
        items = node.get(head)
        if not isinstance(items, list):
            items = node[head] = []
        if len(rest) == 1:
            items.append(value)
        elif items and isinstance(items[-1], dict) and not _has_path(items[-1], [p for p in rest[1:] if p]):
            _assign(items[-1], rest[1:], value)
        else:
            items.append({})
            _assign(items[-1], rest[1:], value)
        return
    child = node.get(head)
    if not isinstance(child, dict):
        child = node[head] = {}
    _assign(child, rest, value)


def _as_list(value):
    """An array parameter: a JSON array, a[]=... from a form, or a[0][k]=... (a hash of indexes)."""
    if isinstance(value, dict) and value and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def _blob_id(content):
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _gitlab_headers(data):
    """lib/api/helpers: set_http_headers -> X-Gitlab-<Capitalized-Key> for every field."""
    return {"X-Gitlab-" + "-".join(w.capitalize() for w in k.split("_")):
            (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()}


def _as_int(value):
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value):
    return value is True or str(value).lower() in ("true", "1", "yes")


class GitLabEmulator:
    def __init__(self, token, users=None, certfile=None, keyfile=None, results_token=None):
        self.tokens = {token: {"id": 99, "username": "jit-bot", "name": "Jit Bot"}}
        for t, user in (users or {}).items():
            self.tokens[t] = user
        self.certfile, self.keyfile = certfile, keyfile
        self.results_token = results_token
        self.projects = {}              # id -> {"path":..., "mrs": {iid: mr}, "statuses": [...], "shas": set|None,
        #                                        "commits": {sha: commit}, "branches": {name: sha},
        #                                        "default_branch": str|None, "members": {user_id: member}}
        self.bot_user_id = self.tokens[token]["id"]
        self.requests = []              # {"method","path","query","headers","body","status","fault"}
        self.results = []               # bodies POSTed to /jit/results
        self.faults = []
        self.lock = threading.RLock()
        self.commit_hooks = {}          # project id (str) -> callbacks run before its next commit POST
        self._ids = itertools.count(1000)
        self._server = None
        self._thread = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self):
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.certfile, self.keyfile)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        # mbedTLS/libcurl match the certificate's DNS name: use localhost with TLS.
        return f"{'https' if self.certfile else 'http'}://{'localhost' if self.certfile else '127.0.0.1'}:{self.port}"

    @property
    def api_url(self):
        return self.url + "/api/v4"

    # ---- test set-up and inspection -----------------------------------------------------------
    def add_project(self, project_id, path, shas=None):
        with self.lock:
            return self.projects.setdefault(project_id, {"id": project_id, "path": path, "mrs": {},
                                                         "statuses": [], "shas": set(shas) if shas else None,
                                                         "commits": {}, "branches": {}, "blobs": {}, "default_branch": None,
                                                         "members": {}})

    def add_merge_request(self, project_id, iid, path="group/project", versions=(), added_lines=None,
                          removed_lines=None):
        """versions: newest first, each dict(head=, base=, start=). added_lines: {path: {line,...}}
        for the newest version's diff (what a position's new_line may point at)."""
        project = self.add_project(project_id, path)
        with self.lock:
            mr = {"id": next(self._ids), "iid": iid, "versions": [], "discussions": [],
                  "added": {k: set(v) for k, v in (added_lines or {}).items()},
                  "removed": {k: set(v) for k, v in (removed_lines or {}).items()}}
            project["mrs"][iid] = mr
            for v in reversed(list(versions)):
                self.add_version(project_id, iid, v["head"], v["base"], v.get("start", v["base"]))
            return mr

    def add_version(self, project_id, iid, head, base, start, added_lines=None):
        """A new MR version (a push to the source branch); becomes the newest."""
        with self.lock:
            mr = self.projects[project_id]["mrs"][iid]
            mr["versions"].insert(0, {
                "id": next(self._ids), "head_commit_sha": head, "base_commit_sha": base,
                "start_commit_sha": start, "created_at": _now(), "merge_request_id": mr["id"],
                "state": "collected", "real_size": "1", "patch_id_sha": hashlib.sha1(head.encode()).hexdigest()})
            if added_lines is not None:
                mr["added"] = {k: set(v) for k, v in added_lines.items()}

    def add_fault(self, **kwargs):
        fault = Fault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def add_foreign_note(self, project_id, iid, body, username="alice"):
        """A note written by someone else (the agent must not edit it)."""
        user = {"id": 5, "username": username, "name": username.title()}
        with self.lock:
            return self._new_discussion(project_id, iid, body, None, user, individual=True)

    def discussions(self, project_id, iid):
        with self.lock:
            return json.loads(json.dumps(self.projects[project_id]["mrs"][iid]["discussions"]))

    def notes(self, project_id, iid):
        return [n for d in self.discussions(project_id, iid) for n in d["notes"]]

    def statuses(self, project_id, sha=None):
        with self.lock:
            return [dict(s) for s in self.projects[project_id]["statuses"] if sha is None or s["sha"] == sha]

    def writes(self):
        """Recorded requests that changed something (POST/PUT answered 2xx)."""
        with self.lock:
            return [r for r in self.requests if r["method"] in ("POST", "PUT") and 200 <= r["status"] < 300]

    def clear_requests(self):
        with self.lock:
            self.requests.clear()

    def add_file(self, project_id, path, content, branch="main", message=None, author="Administrator"):
        """Commits `content` (str or bytes) at `path` on `branch` (created when new), as someone
        else pushing; returns the commit id (the file's new last_commit_id)."""
        project = self._project_or_new(project_id)
        data = content.encode() if isinstance(content, str) else bytes(content)
        with self.lock:
            tree = dict(self._tree(project, branch)) if branch in project["branches"] else {}
            kind = "update" if path in tree else "create"
            tree[path] = self._blob(project["blobs"], data)
            return self._new_commit(project, branch, tree, message or f"{kind.title()} {path}",
                                    {"name": author, "email": f"{author.lower()}@example.com"},
                                    actions=[{"action": kind, "file_path": path}])["id"]

    def file(self, project_id, path, ref=None):
        """{"content": str (bytes when not UTF-8), "blob_id", "last_commit_id", "commit_id"} at
        `ref` (default branch when None), or None when absent."""
        with self.lock:
            project = self._project(str(project_id))
            try:
                sha = self._resolve_ref(project, ref or "HEAD")
            except ApiError:
                return None
            blob = project["commits"][sha]["tree"].get(path)
            if blob is None:
                return None
            data = project["blobs"][blob]
            try:
                content = data.decode("utf-8")
            except UnicodeDecodeError:
                content = data
            return {"content": content, "blob_id": blob, "commit_id": sha,
                    "last_commit_id": self._last_commit_for_path(project, sha, path)}

    def commits(self, project_id):
        """Commits of the project, oldest first: the API's commit fields plus "branch" and the
        "actions" as received."""
        with self.lock:
            project = self._project(str(project_id))
            return [json.loads(json.dumps({k: v for k, v in c.items() if k != "tree"}))
                    for c in project["commits"].values()]

    def add_member(self, project_id, user_id, username, access_level, name=None):
        """A (direct, inherited or invited: GitLab's members/all lists them alike) project member."""
        project = self._project_or_new(project_id)
        with self.lock:
            project["members"][user_id] = self._member(user_id, username, access_level, name)
            return dict(project["members"][user_id])

    # ---- resource builders (shapes follow the documented examples) ----------------------------
    def _member(self, user_id, username, access_level, name=None):
        creator = self._author({"id": self.bot_user_id, "username": "jit-bot", "name": "Jit Bot"})
        return {"id": user_id, "username": username, "name": name or username.title(), "state": "active",
                "avatar_url": f"https://www.gravatar.com/avatar/{user_id}?s=80&d=identicon",
                "web_url": f"http://localhost/{username}", "access_level": access_level, "created_at": _now(),
                "created_by": {k: creator[k] for k in ("id", "username", "name", "state", "avatar_url", "web_url")},
                "email": f"{username}@example.com", "expires_at": None, "group_saml_identity": None,
                "membership_state": "active"}

    def _author(self, user):
        return {"id": user["id"], "username": user["username"], "name": user["name"], "state": "active",
                "email": f"{user['username']}@example.com", "created_at": "2024-01-01T00:00:00.000Z",
                "avatar_url": f"https://www.gravatar.com/avatar/{user['id']}?s=80&d=identicon",
                "web_url": f"http://localhost/{user['username']}"}

    def _note(self, project_id, mr, body, user, individual, position=None):
        ts = _now()
        note = {"id": next(self._ids), "type": None if individual else ("DiffNote" if position else "DiscussionNote"),
                "body": body, "attachment": None, "author": self._author(user), "created_at": ts,
                "updated_at": ts, "system": False, "noteable_id": mr["id"], "noteable_type": "MergeRequest",
                "project_id": project_id, "noteable_iid": mr["iid"], "resolvable": not individual,
                "confidential": False, "internal": False, "imported": False, "imported_from": "none"}
        note.update({"resolved": False, "resolved_by": None, "resolved_at": None})
        if position:
            note["commit_id"] = position["head_sha"]
            note["position"] = position
            note["suggestions"] = []
        return note

    def _new_discussion(self, project_id, iid, body, position, user, individual=False):
        mr = self._mr(project_id, iid)
        d = {"id": hashlib.sha1(f"{next(self._ids)}".encode()).hexdigest(), "individual_note": individual,
             "notes": [self._note(project_id, mr, body, user, individual, position)]}
        mr["discussions"].append(d)
        return d

    # ---- lookups --------------------------------------------------------------------------------
    def _project(self, project_id):
        pid = unquote(project_id)
        for p in self.projects.values():
            if str(p["id"]) == pid or p["path"] == pid:
                return p
        raise ApiError(404, {"message": "404 Project Not Found"})

    def _project_or_new(self, project_id):
        with self.lock:
            if project_id in self.projects:
                return self.projects[project_id]
        return self.add_project(project_id, f"group/project-{project_id}")

    def _tree(self, project, ref):
        return project["commits"][self._resolve_ref(project, ref)]["tree"]

    def _resolve_ref(self, project, ref):
        """A branch, HEAD (the default branch) or a commit id -> commit id; 404 Commit Not Found."""
        if ref == "HEAD" and project["default_branch"]:
            ref = project["default_branch"]
        if ref in project["branches"]:
            return project["branches"][ref]
        if ref in project["commits"]:
            return ref
        raise ApiError(404, {"message": "404 Commit Not Found"})

    def _last_commit_for_path(self, project, sha, path):
        """The newest commit reachable from `sha` (first parents) that changed `path`."""
        commits = project["commits"]
        while sha:
            commit = commits[sha]
            parent = commit["parent_ids"][0] if commit["parent_ids"] else None
            if commit["tree"].get(path) != (commits[parent]["tree"].get(path) if parent else None):
                return sha
            sha = parent
        return None

    def _access_level(self, project, user):
        member = project["members"].get(user["id"])
        if member is not None:
            return member["access_level"]
        return MAINTAINER if user["id"] == self.bot_user_id else 0

    def _new_commit(self, project, branch, tree, message, author, actions, committer=None, parent=None):
        parent = parent if parent is not None else project["branches"].get(branch)
        old = project["commits"][parent]["tree"] if parent else {}
        additions = deletions = 0
        for path in set(old) | set(tree):
            if old.get(path) == tree.get(path):
                continue
            before = project["blobs"][old[path]].decode("utf-8", "replace").splitlines() if path in old else []
            after = project["blobs"][tree[path]].decode("utf-8", "replace").splitlines() if path in tree else []
            for line in difflib.ndiff(before, after):
                additions += line.startswith("+ ")
                deletions += line.startswith("- ")
        ts = _now()
        sha = hashlib.sha1(f"{parent}{message}{next(self._ids)}{ts}".encode()).hexdigest()
        committer = committer or author
        commit = {"id": sha, "short_id": sha[:11], "created_at": ts, "parent_ids": [parent] if parent else [],
                  "title": message.split("\n", 1)[0], "message": message, "author_name": author["name"],
                  "author_email": author["email"], "authored_date": ts, "committer_name": committer["name"],
                  "committer_email": committer["email"], "committed_date": ts, "trailers": {},
                  "extended_trailers": {},
                  "web_url": f"http://localhost/{project['path']}/-/commit/{sha}",
                  "stats": {"additions": additions, "deletions": deletions, "total": additions + deletions},
                  "status": None, "project_id": project["id"], "last_pipeline": None,
                  "branch": branch, "actions": actions, "tree": tree}
        project["commits"][sha] = commit
        project["branches"][branch] = sha
        if project["default_branch"] is None:
            project["default_branch"] = branch
        if project["shas"] is not None:
            project["shas"].add(sha)
        return commit

    def _mr(self, project_id, iid):
        project = self._project(str(project_id))
        mr = project["mrs"].get(int(iid))
        if mr is None:
            raise ApiError(404, {"message": "404 Not found"})
        return mr

    # ---- endpoint handlers ----------------------------------------------------------------------
    def handle(self, method, path, params, user):
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/(versions|discussions|notes)"
                         r"(?:/([^/]+))?(?:/(notes))?", path)
        if m:
            project_id, iid, kind, item, sub = m.groups()
            project = self._project(project_id)
            mr = self._mr(project["id"], iid)
            if kind == "versions" and method == "GET" and not item:
                return 200, mr["versions"]
            if kind == "discussions":
                return self._discussions(method, project, mr, item, sub, params, user)
            if kind == "notes" and not sub:
                return self._notes(method, project, mr, item, params, user)
            raise ApiError(405 if not sub else 404, {"message": "405 Method Not Allowed" if not sub else "404 Not Found"})
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/statuses/([^/]+)", path)
        if m and method == "POST":
            return self._post_status(self._project(m.group(1)), unquote(m.group(2)), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/repository/commits/([^/]+)/statuses", path)
        if m and method == "GET":
            project = self._project(m.group(1))
            return 200, [s for s in project["statuses"] if s["sha"] == m.group(2)]
        # A file path with a literal '/' matches no route: GitLab wants it URL-encoded (404 otherwise).
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/repository/files/([^/]+)", path)
        if m and method in ("GET", "HEAD"):
            return self._get_file(method, m.group(1), unquote(m.group(2)), params)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/repository/commits", path)
        if m and method == "POST":
            return self._post_commit(m.group(1), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/members/all/([^/]+)", path)
        if m and method == "GET":
            return self._get_member(m.group(1), unquote(m.group(2)))
        raise ApiError(404, {"error": "404 Not Found"})

    def _get_file(self, method, project_id, file_path, params):
        ref = params.get("ref")
        if ref is None:
            raise _missing("ref")
        if not isinstance(ref, str) or ref == "":
            raise ApiError(400, {"error": "ref is empty"})
        project = self._project(project_id)
        sha = self._resolve_ref(project, ref)
        blob = project["commits"][sha]["tree"].get(file_path)
        if blob is None:
            raise ApiError(404, {"message": "404 File Not Found"})
        data = project["blobs"][blob]
        meta = {"file_name": file_path.rsplit("/", 1)[-1], "file_path": file_path, "size": len(data),
                "encoding": "base64", "content_sha256": hashlib.sha256(data).hexdigest(), "ref": ref,
                "blob_id": blob, "commit_id": sha,
                "last_commit_id": self._last_commit_for_path(project, sha, file_path), "execute_filemode": False}
        headers = _gitlab_headers(meta)
        if method == "HEAD":
            return 200, None, headers
        return 200, dict(meta, content=base64.b64encode(data).decode()), headers

    def _get_member(self, project_id, user_id):
        if not re.fullmatch(r"-?\d+", user_id):
            raise ApiError(400, {"error": "user_id is invalid"})
        project = self._project(project_id)
        member = project["members"].get(int(user_id))
        if member is None and int(user_id) == self.bot_user_id:  # the group access token's bot
            member = self._member(self.bot_user_id, "jit-bot", MAINTAINER, name="Jit Bot")
        if member is None:
            raise ApiError(404, {"message": "404 Not found"})
        return 200, member

    @staticmethod
    def _validate_commit_params(params):
        """lib/api/commits.rb's Grape declarations: every problem, joined as Grape joins them."""
        errors = []
        if "branch" not in params:
            errors.append("branch is missing")
        elif not isinstance(params["branch"], str) or params["branch"] == "":
            errors.append("branch is empty")
        if "commit_message" not in params:
            errors.append("commit_message is missing")
        actions = _as_list(params.get("actions"))
        if "actions" not in params:
            errors.append("actions is missing")
        elif not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            errors.append("actions is invalid")
        else:
            for i, a in enumerate(actions):
                at = f"actions[{i}]"
                kind = a.get("action")
                if kind is None:
                    errors.append(f"{at}[action] is missing")
                elif kind not in ACTIONS:
                    errors.append(f"{at}[action] does not have a valid value")
                if "file_path" not in a:
                    errors.append(f"{at}[file_path] is missing")
                if kind == "move" and "previous_path" not in a:
                    errors.append(f"{at}[previous_path] is missing")
                if kind == "update" and "content" not in a:
                    errors.append(f"{at}[content] is missing")
                if kind == "chmod" and "execute_filemode" not in a:
                    errors.append(f"{at}[execute_filemode] is missing")
                if a.get("encoding", "text") not in ("text", "base64"):
                    errors.append(f"{at}[encoding] does not have a valid value")
        if "start_branch" in params and "start_sha" in params:
            errors.append("start_branch, start_sha are mutually exclusive")
        if errors:
            raise ApiError(400, {"error": ", ".join(errors)})
        return actions

    def on_next_commit(self, project_id, callback):
        """Runs `callback` (e.g. another add_file) when the next commit POST to the project arrives,
        before it is applied: a concurrent edit between the agent's read and its commit."""
        with self.lock:
            self.commit_hooks.setdefault(str(project_id), []).append(callback)

    def _post_commit(self, project_id, params, user):
        with self.lock:
            hooks = self.commit_hooks.pop(str(project_id), [])
        for hook in hooks:
            hook()
        actions = self._validate_commit_params(params)
        project = self._project(project_id)
        if self._access_level(project, user) < DEVELOPER:
            raise ApiError(403, {"message": "403 Forbidden - You are not allowed to push into this branch"})
        if "start_sha" in params or "start_project" in params:
            raise ApiError(400, {"message": "emulator: start_sha and start_project are not implemented"})
        if not actions:
            # allow_empty (18.8+) exists because an empty commit is refused; the text is not documented.
            raise ApiError(400, {"message": "emulator: a commit without actions is refused"})
        branch = params["branch"]
        start = params.get("start_branch") or branch
        empty = not project["commits"]
        if not empty:
            if start not in project["branches"]:
                raise ApiError(400, {"message": NOT_ON_BRANCH})
            if start != branch and branch in project["branches"]:
                raise ApiError(400, {"message": f"A branch called '{branch}' already exists. "
                                                "Switch to that branch in order to make changes"})
        parent = project["branches"].get(start)
        tree = dict(project["commits"][parent]["tree"]) if parent else {}
        # Files::MultiService first checks every last_commit_id against the start branch ...
        for a in actions:
            if a["action"] in ("update", "move", "delete") and a.get("last_commit_id"):
                path = a.get("previous_path") or a["file_path"]
                last = self._last_commit_for_path(project, parent, path) if parent else None
                if last is not None and last != a["last_commit_id"]:
                    raise ApiError(400, {"message": stale_file_message(path)})
        # ... then Gitaly applies the actions to an index, all or nothing.
        blobs = {}
        for a in actions:
            path = a["file_path"]
            if not path:
                raise ApiError(400, {"message": "You must provide a file path"})
            if ".." in path.split("/"):
                raise ApiError(400, {"message": "Path cannot include directory traversal"})
            content = a.get("content")
            if content is not None:
                data = str(content).encode()
                if a.get("encoding") == "base64":
                    try:
                        data = base64.b64decode(data, validate=True)
                    except ValueError:
                        raise ApiError(400, {"message": "emulator: content is not valid base64"})
            kind = a["action"]
            if kind == "create":
                if path in tree:
                    raise ApiError(400, {"message": FILE_EXISTS})
                if any(p.startswith(path + "/") for p in tree):
                    raise ApiError(400, {"message": "A directory with this name already exists"})
                tree[path] = self._blob(blobs, data if content is not None else b"")
            elif kind == "move":
                previous = a["previous_path"]
                if previous not in tree:
                    raise ApiError(400, {"message": FILE_MISSING})
                if path in tree:
                    raise ApiError(400, {"message": FILE_EXISTS})
                blob = tree.pop(previous)
                tree[path] = self._blob(blobs, data) if content is not None else blob
            elif path not in tree:
                raise ApiError(400, {"message": FILE_MISSING})
            elif kind == "update":
                tree[path] = self._blob(blobs, data)
            elif kind == "delete":
                del tree[path]
        project["blobs"].update(blobs)
        token_user = {"name": user["name"], "email": f"{user['username']}@example.com"}
        author = {"name": params.get("author_name") or token_user["name"],
                  "email": params.get("author_email") or token_user["email"]}
        commit = self._new_commit(project, branch, tree, str(params["commit_message"]), author,
                                  actions=json.loads(json.dumps(actions)), committer=token_user, parent=parent)
        out = {k: v for k, v in commit.items() if k not in ("tree", "branch", "actions")}
        if not _bool(params.get("stats", True)):
            out.pop("stats")
        return 201, out

    @staticmethod
    def _blob(blobs, data):
        blob = _blob_id(data)
        blobs[blob] = data
        return blob

    def _discussions(self, method, project, mr, item, sub, params, user):
        if not item:
            if method == "GET":
                return 200, mr["discussions"]
            if method == "POST":
                body = params.get("body")
                if not body:
                    raise _missing("body")
                position = self._validate_position(mr, params.get("position"))
                return 201, self._new_discussion(project["id"], mr["iid"], body, position, user)
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        d = next((d for d in mr["discussions"] if d["id"] == item), None)
        if d is None:
            raise ApiError(404, {"message": "404 Discussion Not Found"})
        if sub == "notes" and method == "POST":
            body = params.get("body")
            if not body:
                raise _missing("body")
            if d["individual_note"]:
                raise ApiError(400, {"message": "400 Bad request - Discussion is not resolvable"})
            d["notes"].append(self._note(project["id"], mr, body, user, False))
            return 201, d["notes"][-1]
        if not sub and method == "PUT":
            if "resolved" not in params:
                raise _missing("resolved")
            if not d["notes"][0].get("resolvable"):
                raise ApiError(403, {"message": "403 Forbidden"})
            resolved = _bool(params["resolved"])
            for n in d["notes"]:
                n["resolved"] = resolved
                n["resolved_by"] = self._author(user) if resolved else None
                n["resolved_at"] = _now() if resolved else None
            return 200, d
        raise ApiError(405, {"message": "405 Method Not Allowed"})

    def _validate_position(self, mr, pos):
        if pos is None:
            return None
        if not isinstance(pos, dict):
            raise ApiError(400, {"error": "position is invalid"})
        for field in ("base_sha", "start_sha", "head_sha", "position_type"):
            if not pos.get(field):
                raise _missing(f"position[{field}]")
        if pos["position_type"] != "text":
            raise ApiError(400, {"error": "position[position_type] does not have a valid value"})
        for field in ("new_path", "old_path"):
            if not pos.get(field):
                raise _missing(f"position[{field}]")
        new_line, old_line = _as_int(pos.get("new_line")), _as_int(pos.get("old_line"))
        versions = {(v["base_commit_sha"], v["start_commit_sha"], v["head_commit_sha"]) for v in mr["versions"]}
        latest = mr["versions"][0] if mr["versions"] else None
        in_diff = False
        if (pos["base_sha"], pos["start_sha"], pos["head_sha"]) in versions and latest \
                and pos["head_sha"] == latest["head_commit_sha"]:
            if new_line is not None and old_line is None:
                in_diff = new_line in mr["added"].get(pos["new_path"], set())
            elif old_line is not None and new_line is None:
                in_diff = old_line in mr["removed"].get(pos["old_path"], set())
        if not in_diff:
            raise ApiError(400, {"message": LINE_CODE_ERROR})
        # line_code = <sha1 of the file name>_<old line>_<new line> (discussions.md)
        code = f"{hashlib.sha1(pos['new_path'].encode()).hexdigest()}_{old_line or 0}_{new_line or 0}"
        end = {"line_code": code, "type": "new" if old_line is None else "old", "old_line": old_line,
               "new_line": new_line}
        return {"base_sha": pos["base_sha"], "start_sha": pos["start_sha"], "head_sha": pos["head_sha"],
                "old_path": pos["old_path"], "new_path": pos["new_path"], "position_type": "text",
                "old_line": old_line, "new_line": new_line, "line_range": {"start": dict(end), "end": end}}

    def _notes(self, method, project, mr, item, params, user):
        if not item:
            if method == "GET":
                notes = [n for d in mr["discussions"] for n in d["notes"]]
                order = params.get("order_by", "created_at")
                if order not in ("created_at", "updated_at"):
                    raise ApiError(400, {"error": "order_by does not have a valid value"})
                notes.sort(key=lambda n: (n[order], n["id"]), reverse=params.get("sort", "desc") != "asc")
                return 200, notes
            if method == "POST":
                body = params.get("body")
                if not body:
                    raise _missing("body")
                if len(body) > 1_000_000:
                    raise ApiError(400, {"message": {"note": ["is too long (maximum is 1000000 characters)"]}})
                d = self._new_discussion(project["id"], mr["iid"], body, None, user, individual=True)
                return 201, d["notes"][0]
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        if method != "PUT":
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        note = next((n for d in mr["discussions"] for n in d["notes"] if str(n["id"]) == item), None)
        if note is None:
            raise ApiError(404, {"message": "404 Note Not Found"})
        body = params.get("body")
        if not body:
            raise _missing("body")
        if note["author"]["id"] != user["id"]:
            raise ApiError(403, {"message": "403 Forbidden"})
        note["body"] = body
        note["updated_at"] = _now()
        return 200, note

    def _post_status(self, project, sha, params, user):
        state = params.get("state")
        if not state:
            raise _missing("state")
        if state not in STATES:
            raise ApiError(400, {"error": "state does not have a valid value"})
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha) or (project["shas"] is not None and sha not in project["shas"]):
            raise ApiError(404, {"message": "404 Commit Not Found"})
        for field in ("description", "target_url", "ref"):
            if params.get(field) is not None and len(str(params[field])) > 255:
                raise ApiError(400, {"message": {field: ["is too long (maximum is 255 characters)"]}})
        name = params.get("name") or params.get("context") or "default"
        ref = params.get("ref")
        current = next((s for s in reversed(project["statuses"]) if s["sha"] == sha and s["name"] == name
                        and s["ref"] == ref), None)
        if current and current["status"] == state:
            # GitLab refuses a transition to the state the job is already in.
            raise ApiError(400, {"message": f"Cannot transition status via :{state} from :{state}"})
        ts = _now()
        status = {"author": {k: v for k, v in self._author(user).items()
                             if k in ("web_url", "name", "avatar_url", "username", "state", "id")},
                  "name": name, "sha": sha, "status": state, "coverage": None,
                  "description": params.get("description"), "id": next(self._ids),
                  "target_url": params.get("target_url"), "ref": ref, "started_at": ts, "created_at": ts,
                  "allow_failure": False, "finished_at": ts if state in ("success", "failed", "canceled") else None}
        project["statuses"].append(status)
        return 201, status


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # injected resets and clients that hang up are expected here


def paginate(items, params, base_url):
    """GitLab offset pagination: (page_items, headers)."""
    per_page = _as_int(params.get("per_page")) or 20
    per_page = max(1, min(per_page, 100))
    page = max(1, _as_int(params.get("page")) or 1)
    total = len(items)
    pages = max(1, (total + per_page - 1) // per_page)
    chunk = items[(page - 1) * per_page: page * per_page]

    def link(p):
        q = {k: v for k, v in params.items() if k not in ("page", "per_page")}
        q.update(page=p, per_page=per_page)
        return base_url + "?" + "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in q.items())

    links = []
    if page > 1:
        links.append(f'<{link(page - 1)}>; rel="prev"')
    if page < pages:
        links.append(f'<{link(page + 1)}>; rel="next"')
    links.append(f'<{link(1)}>; rel="first"')
    links.append(f'<{link(pages)}>; rel="last"')
    headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(total),
               "X-Total-Pages": str(pages), "X-Next-Page": str(page + 1) if page < pages else "",
               "X-Prev-Page": str(page - 1) if page > 1 else "", "Link": ", ".join(links)}
    return chunk, headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emu = None  # set by GitLabEmulator.start

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def _dispatch(self, method):
        emu = self.emu
        split = urlsplit(self.path)
        path, query = split.path, parse_qsl(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = {"method": method, "path": path, "query": dict(query), "headers": dict(self.headers.items()),
                  "raw_body": raw.decode("utf-8", "replace"), "body": None, "status": 0, "fault": None}
        with emu.lock:
            emu.requests.append(record)
            fault = next((f for f in emu.faults if f.matches(method, path)), None)
            if fault:
                fault.hits += 1
        if fault:
            record["fault"] = {"status": fault.status, "delay": fault.delay, "reset": fault.reset,
                               "after": fault.after}
            if fault.delay:
                time.sleep(fault.delay)
            if not fault.after and self._fail(fault, record):
                return
        try:
            if path == "/jit/results":
                status, payload, headers = self._results(method, raw)
            else:
                user = self._authenticate()
                params = _nest(query)
                if raw:
                    ctype = self.headers.get("Content-Type", "")
                    if ctype.startswith("application/json"):
                        try:
                            body = json.loads(raw)
                        except ValueError:
                            raise ApiError(400, {"error": "invalid JSON body"})
                        if not isinstance(body, dict):
                            raise ApiError(400, {"error": "body must be a JSON object"})
                        params.update(body)
                    else:
                        params.update(_nest(parse_qsl(raw.decode(), keep_blank_values=True)))
                record["body"] = params
                with emu.lock:
                    status, payload, *extra = emu.handle(method, path, params, user)
                    payload = json.loads(json.dumps(payload))  # a snapshot, safe outside the lock
                headers = dict(extra[0]) if extra else {}
                if method == "GET" and isinstance(payload, list):
                    payload, headers = paginate(payload, dict(query), emu.url + path)
        except ApiError as e:
            status, payload, headers = e.status, e.payload, e.headers
        record["status"] = status
        if fault and fault.after and self._fail(fault, record):
            return
        self._send(status, payload, headers)

    def _fail(self, fault, record):
        """Sends the fault's answer (or resets); False when the fault only delays."""
        if fault.reset:
            self._reset()
            return True
        if fault.status:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            body = fault.body if fault.body is not None else (
                "Retry later" if fault.status == 429 else {"message": f"{fault.status} Fault injected"})
            record["status"] = fault.status
            self._send(fault.status, body, headers)
            return True
        return False

    def _authenticate(self):
        token = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization", "")
        if token is None and auth.startswith("Bearer "):
            token = auth[len("Bearer "):]
        user = self.emu.tokens.get(token) if token else None
        if user is None:
            raise ApiError(401, {"message": "401 Unauthorized"})
        return user

    def _results(self, method, raw):
        emu = self.emu
        if method != "POST":
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        if not emu.results_token or self.headers.get("Authorization") != f"Bearer {emu.results_token}":
            raise ApiError(401, {"message": "401 Unauthorized"})
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise ApiError(415, {"message": "415 Unsupported Media Type"})
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, {"error": "invalid JSON body"})
        with emu.lock:
            emu.results.append(body)
        return 202, {"accepted": True}, {}

    def _send(self, status, payload, headers):
        if self.command == "HEAD":  # the headers a GET would send, no body
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if isinstance(payload, str):
            data, ctype = payload.encode(), "text/plain"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self):
        """Closes the connection with a TCP RST (SO_LINGER 0): the client sees a reset."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            self.connection.close()


def make_self_signed(directory):
    """(certfile, keyfile) for CN=localhost, like the git server's (TEST-INFRA.md recipe)."""
    import os
    import subprocess
    cert, key = os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
                        "-days", "2"], check=True, capture_output=True)
    return cert, key
