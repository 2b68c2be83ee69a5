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
  GET  /api/v4/projects/:id                                     (namespace with parent_id: the groups added)
  GET  /api/v4/projects/:id/variables[/:key]                    (Maintainer or above)
  GET  /api/v4/groups/:id/variables[/:key]                      (Owner)
  GET  /api/v4/personal_access_tokens/self                      (any scope)
  DELETE /api/v4/personal_access_tokens/self                    (204, the token is revoked)
  GET  /api/v4/user                                             (scope read_user, read_api or api)
  POST /api/v4/runners/verify   token=                          (no PRIVATE-TOKEN: the runner token)
  GET  /api/v4/job              JOB-TOKEN: / job_token= / Bearer (the job token's running job)
  GET  /api/v4/groups/:id                                       (any member)
  POST /api/v4/projects                                         (name|path, namespace_id; Maintainer of the group)
  PUT  /api/v4/projects/:id    ci_pipeline_variables_minimum_override_role (Maintainer; owner needs Owner)
  GET|POST /api/v4/projects/:id/triggers                        (Maintainer; a token in full only for its owner)
  GET|POST /api/v4/groups/:id/hooks, GET|PUT|DELETE .../hooks/:hook_id   (Owner; Premium: 404 when premium=False)
  GET|POST /api/v4/groups/:id/access_tokens                     (Owner; expires_at required, <= 365 days)
  POST /api/v4/groups/:id/access_tokens/:token_id/rotate        (Owner; the old token is revoked)
  POST /api/v4/projects/:id/variables, PUT .../variables/:key   (Maintainer; masked_and_hidden)
  GET|POST /api/v4/projects/:id/pipeline_schedules, GET|PUT .../:schedule_id, POST .../:schedule_id/variables
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

Groups and CI/CD variables: add_group(group_id, full_path, parent_id=None) (a project is in the group
whose full_path is its path's namespace; one whose namespace is no added group is in a user's namespace:
GET /projects/:id shows namespace kind "user" and an `owner`, /groups/<it>/... is a 404); a member of a group is one of its subgroups and projects, at
the highest level of the chain; the bot is a Maintainer (40) wherever no membership says otherwise.
:id is numeric or the URL-encoded full path ('/' as %2F); unknown -> 404 {"message":"404 Project Not
Found"} / {"message":"404 Group Not Found"}, and so is an owner the user is no member of (private).
Variables need admin_cicd_variables: Maintainer on a project, Owner on a group, lower -> 403
{"message":"403 Forbidden"}. Lists are offset-paginated (20 by default, 100 at most); fields and key
order as in the documented examples; a hidden variable's value is null (Ci::VariableValue: GitLab never
shows it again). /variables/:key: unknown -> 404 {"message":"404 Variable Not Found"}, a key in several
environment scopes without filter[environment_scope] -> 409 "There are multiple variables ...".

Tokens: `tokens` (constructor) authenticate as api-scoped tokens; add_access_token() registers an
access token with scopes, revoked and expires_at (the constructor's tokens are registered too: the bot's
as a group access token with api + write_repository). A revoked or expired token -> 401
{"message":"401 Unauthorized"} everywhere (the documented body; GitLab's own is rack-oauth2's
{"error":"invalid_token","error_description":"Token was revoked. ..."}, observed, not documented). A
scope the route does not accept -> 403 {"error":"insufficient_scope","error_description":"The request
requires higher privileges than provided by the access token.","scope":"api read_api"} (accepted: api;
read_api for GET/HEAD; /user also read_user, listed "read_user api read_api"; .../self: any scope).
DELETE .../self answers 204 with no body and revokes the token (then 401). POST /runners/verify:
no token -> 400 {"error":"token is missing"}, unknown or expired -> 403 {"message":"403 Forbidden"},
else 200 {"id","token","token_expires_at"} (GitLab also records a runner contact: not read-only).
GET /job: a job token whose job is not running, or none -> 401.

Every request is recorded (`requests`); faults are injected per test with add_fault().

Usage:
    emu = GitLabEmulator(token="glpat-...").start()
    emu.add_merge_request(project_id=7, iid=3, path="g/app",
                          versions=[dict(head="...", base="...", start="...")],
                          added_lines={"config.py": {4, 5}})
    emu.add_file(project_id=5, path="ignores.yml", content="ignores: []\n")     # the dedicated project
    emu.add_member(project_id=7, user_id=12, username="dev", access_level=30)
    emu.add_group(3, "acme"); emu.add_group(4, "acme/apps")                      # project "acme/apps/web"
    emu.add_group_member(3, emu.bot_user_id, 50)                                 # Owner of acme and acme/apps
    emu.add_variable(("group", 3), "PROD_DB_PASSWORD", "s3cr3t-value-1", masked=True, protected=True)
    emu.add_variable(("project", 7), "DEPLOY_KEY", "k3y-value-22", protected=True, variable_type="file")
    emu.add_access_token("glpat-...", {"id": 5, "username": "alice", "name": "Alice"}, scopes=("read_api",))
    emu.add_access_token("glpat-...", {"id": 6, "username": "bob", "name": "Bob"}, revoked=True)
    emu.add_runner_token("glrt-...", runner_id=12); emu.add_job_token("glcbt-...", job_id=81, project_id=7)
    ... run the agent with CI_API_V4_URL=emu.api_url ...
    emu.file(5, "ignores.yml")["content"], emu.commits(5)
    emu.access_token("glpat-...")["revoked"]     # True after the agent's DELETE .../self
    emu.finish_job("glcbt-...")                   # its GET /job answers 401 from now on
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
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
ACTIONS = ("create", "update", "move", "delete", "chmod")
GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
TOKEN_KINDS = ("personal", "impersonation", "project", "group")  # all PersonalAccessToken records in GitLab
VARIABLE_TYPES = ("env_var", "file")
# Ci::Maskable::REGEX: one line, >= 8 characters of the Base64 alphabet plus '@', ':', '.', '~'.
MASKABLE = re.compile(r"[a-zA-Z0-9_+=/@:.~-]{8,}")
# lib/api/api_guard.rb -> rack-oauth2 Bearer::Forbidden(:insufficient_scope, DEFAULT_DESCRIPTION, scope:)
INSUFFICIENT_SCOPE = "The request requires higher privileges than provided by the access token."
UNAUTHORIZED = {"message": "401 Unauthorized"}
FORBIDDEN = {"message": "403 Forbidden"}
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


def _insufficient_scope(scopes):
    return ApiError(403, {"error": "insufficient_scope", "error_description": INSUFFICIENT_SCOPE,
                          "scope": " ".join(scopes)})


def _date_str(value):
    """A token's expires_at as GitLab shows it: a date (YYYY-MM-DD), or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def _expired(expires_at):
    """PersonalAccessToken#expired?: expires_at (a date, i.e. midnight UTC starting that day) <= now."""
    if expires_at is None:
        return False
    if isinstance(expires_at, str):
        when = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    elif isinstance(expires_at, datetime):
        when = expires_at
    else:
        when = datetime(expires_at.year, expires_at.month, expires_at.day)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when <= datetime.now(timezone.utc)


def _timestamp(value):
    """A runner token's token_expires_at: an ISO 8601 time with milliseconds and Z, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class GitLabEmulator:
    def __init__(self, token, users=None, certfile=None, keyfile=None, results_token=None, premium=True):
        self.tokens = {token: {"id": 99, "username": "jit-bot", "name": "Jit Bot"}}
        for t, user in (users or {}).items():
            self.tokens[t] = user
        self.certfile, self.keyfile = certfile, keyfile
        self.results_token = results_token
        self.projects = {}              # id -> {"path":..., "mrs": {iid: mr}, "statuses": [...], "shas": set|None,
        #                                        "commits": {sha: commit}, "branches": {name: sha},
        #                                        "default_branch": str|None, "members": {user_id: member}}
        self.bot_user_id = self.tokens[token]["id"]
        self.premium = premium          # False: a Free instance (group webhooks answer 404)
        self.trigger_tokens = {}        # pipeline trigger token -> project id
        self.created_tokens = []        # group access tokens POST .../access_tokens made (for the leak audit)
        self._bot_token = token
        self.requests = []              # {"method","path","query","headers","body","status","fault","time"}
        self.results = []               # bodies POSTed to /jit/results
        self.faults = []
        self.lock = threading.RLock()
        self.commit_hooks = {}          # project id (str) -> callbacks run before its next commit POST
        self._ids = itertools.count(1000)
        self.groups = {}                # id -> {"id","name","path","full_path","parent_id","members": {user_id: level},
        #                                        "variables": [...]}
        self.access_tokens = {}         # token -> the PersonalAccessToken record (+ "kind", "user")
        self.runner_tokens = {}         # token -> {"id": runner id, "token", "token_expires_at"}
        self.job_tokens = {}            # token -> {"job_id", "project_id", "status", ...}
        self._user_namespaces = {}      # path of a project's namespace that is no added group -> its id
        # The constructor's tokens are access tokens too (so /personal_access_tokens/self answers for
        # them): the bot's is a group access token with the scopes Jit documents (api, write_repository).
        self.add_access_token(token, self.tokens[token], scopes=("api", "write_repository"), name="jit",
                              kind="group")
        for t, user in (users or {}).items():
            self.add_access_token(t, user, name=f"{user['username']}-token")
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

    # ---- groups, CI/CD variables, tokens ---------------------------------------------------------
    def add_group(self, group_id, full_path, parent_id=None, name=None):
        """A group. Its parent is `parent_id`, or the group whose full_path is full_path's prefix
        (created, with a new id, when missing). Projects whose path starts with "<full_path>/" are in it."""
        with self.lock:
            full_path = full_path.strip("/")
            prefix, _, path = full_path.rpartition("/")
            if parent_id is not None:
                parent = self.groups.get(parent_id)
                if parent is None:
                    raise ValueError(f"add_group: no parent group {parent_id}")
                if parent["full_path"] != prefix:
                    raise ValueError(f"add_group: {full_path} is not a child of {parent['full_path']}")
            elif prefix:
                parent_id = self._group_for_path(prefix)["id"]
            group = self.groups.get(group_id)
            if group is None:
                group = self.groups[group_id] = {"id": group_id, "members": {}, "variables": []}
            group.update(name=name or path, path=path, full_path=full_path, parent_id=parent_id)
            return group

    def _group_for_path(self, full_path):
        """The group with this full path, created (with its missing ancestors) when absent."""
        for g in self.groups.values():
            if g["full_path"] == full_path:
                return g
        gid = next(self._ids)
        while gid in self.groups:
            gid = next(self._ids)
        return self.add_group(gid, full_path)

    def add_group_member(self, group_id, user_id, access_level, username=None):
        """A direct member of the group; members of a group are members of its subgroups and projects
        (the effective level is the highest of the chain). The bot (the constructor's token) is a
        Maintainer (40) everywhere it is not a member explicitly: add_group_member(g, emu.bot_user_id, 50)
        makes it an Owner of g (GET /groups/:id/variables needs Owner)."""
        with self.lock:
            group = self.groups[group_id]
            group["members"][user_id] = access_level
            return {"group_id": group_id, "user_id": user_id, "access_level": access_level, "username": username}

    def add_variable(self, owner, key, value, masked=False, protected=False, hidden=False, raw=False,
                     variable_type="env_var", environment_scope="*", description=None):
        """A CI/CD variable of ("project", id) or ("group", id). Refused as GitLab refuses it (ValueError):
        a masked value that is not one line of >= 8 characters of [a-zA-Z0-9_+=/@:.~-], hidden without
        masked (hidden is "masked and hidden"), an unknown variable_type, a key+environment_scope taken."""
        kind, oid = owner
        if kind not in ("project", "group"):
            raise ValueError("add_variable: owner is ('project', id) or ('group', id)")
        if not re.fullmatch(r"[a-zA-Z0-9_]{1,255}", key):
            raise ValueError(f"add_variable: invalid key {key!r}")
        if variable_type not in VARIABLE_TYPES:
            raise ValueError(f"add_variable: variable_type is one of {VARIABLE_TYPES}")
        if masked and not MASKABLE.fullmatch(value):
            raise ValueError("add_variable: GitLab refuses to mask this value (Ci::Maskable::REGEX)")
        if hidden and not masked:
            raise ValueError("add_variable: a hidden variable is masked too")
        with self.lock:
            target = self._project_or_new(oid) if kind == "project" else self.groups.get(oid)
            if target is None:
                raise ValueError(f"add_variable: add_group({oid}, ...) first")
            variables = target.setdefault("variables", [])
            if any(v["key"] == key and v["environment_scope"] == environment_scope for v in variables):
                raise ValueError(f"add_variable: (key, environment_scope) ({key}, {environment_scope}) "
                                 "has already been taken")
            variable = {"key": key, "variable_type": variable_type, "value": value, "protected": bool(protected),
                        "masked": bool(masked), "hidden": bool(hidden), "raw": bool(raw),
                        "environment_scope": environment_scope, "description": description}
            variables.append(variable)
            return dict(variable)

    def add_access_token(self, token, user, scopes=("api",), name="token", revoked=False, expires_at=None,
                         kind="personal", description=None, token_id=None):
        """A personal (or impersonation, project or group) access token of `user` ({id, username, name},
        optionally "bot": True). expires_at: a date, datetime or "YYYY-MM-DD"; the token is expired from
        the start (UTC) of that day. Only an active one (not revoked, not expired) authenticates; the
        others get 401. Returns the record GET /personal_access_tokens/self shows (plus kind and user)."""
        if kind not in TOKEN_KINDS:
            raise ValueError(f"add_access_token: kind is one of {TOKEN_KINDS}")
        with self.lock:
            record = {"id": token_id if token_id is not None else next(self._ids), "name": name,
                      "revoked": bool(revoked), "created_at": _now(), "description": description,
                      "scopes": list(scopes), "user_id": user["id"], "last_used_at": None, "active": True,
                      "expires_at": _date_str(expires_at), "kind": kind, "user": dict(user)}
            self.access_tokens[token] = record
            return record

    def access_token(self, token):
        """The access token's record as it is now (revoked after a DELETE .../self), or None."""
        with self.lock:
            record = self.access_tokens.get(token)
            return json.loads(json.dumps(self._token_json(record))) if record else None

    def add_runner_token(self, token, runner_id, expires_at=None):
        """A runner authentication token (glrt-...); POST /runners/verify answers 200 for it until
        expires_at (a datetime, date or ISO string), 403 after."""
        with self.lock:
            self.runner_tokens[token] = {"id": runner_id, "token": token, "token_expires_at": _timestamp(expires_at)}
            return dict(self.runner_tokens[token])

    def add_job_token(self, token, job_id, project_id, status="running", name="jit-scan", stage="test",
                      ref="main", user=None):
        """A CI/CD job token (CI_JOB_TOKEN, glcbt-...): GET /job answers while `status` is running.
        finish_job(token) (or add_job_token(..., status="success")) ends it."""
        with self.lock:
            self.job_tokens[token] = {"job_id": job_id, "project_id": project_id, "status": status, "name": name,
                                      "stage": stage, "ref": ref, "created_at": _now(), "started_at": _now(),
                                      "user": dict(user) if user else dict(self.tokens[self._bot_token])}
            return dict(self.job_tokens[token])

    def finish_job(self, token, status="success"):
        with self.lock:
            self.job_tokens[token]["status"] = status

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
        """The user's effective level in the project: the highest of its project membership and its
        memberships of the project's namespace and that namespace's ancestors; the bot is a Maintainer
        where it is a member of none of them."""
        levels = self._chain_levels(self._namespace_group(project), user)
        member = project["members"].get(user["id"])
        if member is not None:
            levels.append(member["access_level"])
        if levels:
            return max(levels)
        return MAINTAINER if user["id"] == self.bot_user_id else 0

    def _group_access_level(self, group, user):
        levels = self._chain_levels(group, user)
        if levels:
            return max(levels)
        return MAINTAINER if user["id"] == self.bot_user_id else 0

    def _chain_levels(self, group, user):
        levels = []
        while group is not None:
            if user["id"] in group["members"]:
                levels.append(group["members"][user["id"]])
            group = self.groups.get(group["parent_id"]) if group["parent_id"] is not None else None
        return levels

    def _namespace_group(self, project):
        """The added group a project is in, found by its path's namespace ("a/b" for "a/b/app"), or None
        (then the project is in a user's namespace)."""
        namespace = project["path"].rpartition("/")[0]
        return next((g for g in self.groups.values() if g["full_path"] == namespace), None) if namespace else None

    def _group(self, group_id):
        gid = unquote(group_id)
        for g in self.groups.values():
            if str(g["id"]) == gid or g["full_path"] == gid:
                return g
        raise ApiError(404, {"message": "404 Group Not Found"})

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
    def handle(self, method, path, params, user, access=None):
        """`access`: the access-token record that authenticated the request (None for a plain token)."""
        admin = self.handle_admin(method, path, params, user)
        if admin is not None:
            return admin
        m = re.fullmatch(r"/api/v4/(projects|groups)/([^/]+)/variables(?:/([^/]+))?", path)
        if m and method == "GET":
            return self._get_variables(m.group(1), m.group(2), m.group(3), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)", path)
        if m and method == "GET":
            return self._get_project(m.group(1), params, user)
        if path == "/api/v4/personal_access_tokens/self" and method in ("GET", "DELETE"):
            return self._token_self(method, params, user, access)
        if path == "/api/v4/user" and method == "GET":
            return 200, self._current_user(user)
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

    # ---- onboarding: projects, triggers, group hooks, group access tokens, schedules (issue 15) -------
    # GitLab's documented contracts (doc/api/projects.md, pipeline_triggers.md, group_webhooks.md,
    # group_access_tokens.md, pipeline_schedules.md, project_level_variables.md). Roles: creating a
    # project in a group needs Maintainer there (the default "roles allowed to create projects"); a
    # trigger, a project variable and the project settings need Maintainer; a schedule Developer; group
    # hooks and group access tokens need Owner. Group webhooks are a Premium feature: with
    # premium=False (a Free instance) every /groups/:id/hooks route answers 404 {"message":"404 Not
    # Found"}, the answer of an unlicensed feature's route (not_found!), whatever the caller's role.
    def _require(self, level, needed):
        if level < needed:
            raise ApiError(403, dict(FORBIDDEN))

    def _get_group(self, group_id, user):
        group = self._group(group_id)
        if self._group_access_level(group, user) <= 0:
            raise ApiError(404, {"message": "404 Group Not Found"})
        return 200, {"id": group["id"], "web_url": f"{self.url}/groups/{group['full_path']}", "name": group["name"],
                     "path": group["path"], "description": "", "visibility": "private",
                     "share_with_group_lock": False, "require_two_factor_authentication": False,
                     "two_factor_grace_period": 48, "project_creation_level": "maintainer",
                     "auto_devops_enabled": None, "subgroup_creation_level": "owner", "emails_disabled": None,
                     "emails_enabled": None, "mentions_disabled": None, "lfs_enabled": True,
                     "default_branch_protection": 2, "avatar_url": None, "request_access_enabled": False,
                     "full_name": " / ".join(p for p in group["full_path"].split("/")),
                     "full_path": group["full_path"], "created_at": "2024-01-01T00:00:00.000Z",
                     "parent_id": group["parent_id"], "shared_runners_setting": "enabled"}

    def _create_project(self, params, user):
        """POST /projects: name or path required; namespace_id (a group id or path) else the user's."""
        name, path = params.get("name"), params.get("path")
        if not name and not path:
            raise ApiError(400, {"error": "name, path are missing, at least one parameter must be provided"})
        path = path or re.sub(r"[^a-zA-Z0-9_.-]+", "-", str(name)).strip("-").lower()
        name = name or path
        ns = params.get("namespace_id")
        if ns is None:
            raise ApiError(400, {"message": {"namespace": ["is not valid"]}})  # the emulator has no user namespace
        group = self._group(str(ns))
        if self._group_access_level(group, user) <= 0:
            raise ApiError(404, {"message": "404 Namespace Not Found"})
        self._require(self._group_access_level(group, user), MAINTAINER)
        full = f"{group['full_path']}/{path}"
        if any(p["path"] == full for p in self.projects.values()):
            raise ApiError(400, {"message": {"project_namespace.name": ["has already been taken"],
                                             "name": ["has already been taken"],
                                             "path": ["has already been taken"]}})
        pid = next(self._ids)
        while pid in self.projects:
            pid = next(self._ids)
        project = self.add_project(pid, full)
        project["name"] = name
        for key in ("ci_pipeline_variables_minimum_override_role",):
            if key in params:
                project.setdefault("settings", {})[key] = params[key]
        return (201,) + self._get_project(str(pid), {}, user)[1:]

    PIPELINE_VARIABLE_ROLES = ("no_one_allowed", "developer", "maintainer", "owner")

    def _edit_project(self, project_id, params, user):
        project = self._project(project_id)
        level = self._access_level(project, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Project Not Found"})
        self._require(level, MAINTAINER)
        role = params.get("ci_pipeline_variables_minimum_override_role")
        if role is not None:
            if role not in self.PIPELINE_VARIABLE_ROLES:
                raise ApiError(400, {"error": "ci_pipeline_variables_minimum_override_role does not have a valid value"})
            if role == "owner" and level < OWNER:  # ProjectPolicy: only an Owner may set owner
                raise ApiError(403, dict(FORBIDDEN))
            project.setdefault("settings", {})["ci_pipeline_variables_minimum_override_role"] = role
        return self._get_project(project_id, {}, user)

    def _project_for(self, project_id, user, needed):
        project = self._project(project_id)
        level = self._access_level(project, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Project Not Found"})
        self._require(level, needed)
        return project

    def _trigger_json(self, trigger, user):
        """Entities::Trigger: the token in full for its owner only, else its first 4 characters."""
        out = dict(trigger)
        if trigger["owner"]["id"] != user["id"]:
            out["token"] = trigger["token"][:4]
        return out

    def _triggers(self, method, project_id, params, user):
        project = self._project_for(project_id, user, MAINTAINER)
        triggers = project.setdefault("triggers", [])
        if method == "GET":
            return 200, [self._trigger_json(t, user) for t in triggers]
        if method != "POST":
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        if "description" not in params:
            raise _missing("description")
        ts = _now()
        token = "glptt-" + hashlib.sha1(f"trigger{next(self._ids)}{ts}".encode()).hexdigest()[:40]
        owner = {k: v for k, v in self._author(user).items() if k in ("id", "name", "username", "state",
                                                                      "avatar_url", "web_url")}
        trigger = {"id": next(self._ids), "token": token, "description": params["description"],
                   "created_at": ts, "updated_at": ts, "last_used": None, "owner": owner, "expires_at": None}
        triggers.append(trigger)
        self.trigger_tokens[token] = project["id"]
        return 201, self._trigger_json(trigger, user)

    HOOK_EVENTS = ("push_events", "issues_events", "confidential_issues_events", "merge_requests_events",
                   "tag_push_events", "note_events", "confidential_note_events", "job_events",
                   "pipeline_events", "wiki_page_events", "deployment_events", "feature_flag_events",
                   "releases_events", "subgroup_events", "member_events", "emoji_events",
                   "resource_access_token_events", "repository_update_events")

    def _hook_json(self, hook):
        """Entities::GroupHook: never the secret token; url_variables by key only."""
        out = {k: hook[k] for k in ("id", "url", "name", "description", "created_at", "group_id")}
        for e in self.HOOK_EVENTS:
            out[e] = hook[e]
        out.update({"push_events_branch_filter": hook["push_events_branch_filter"],
                    "branch_filter_strategy": "wildcard" if hook["push_events_branch_filter"] else "all_branches",
                    "enable_ssl_verification": hook["enable_ssl_verification"],
                    "alert_status": hook["alert_status"], "disabled_until": hook["disabled_until"],
                    "url_variables": [{"key": k} for k in hook["url_variables"]],
                    "custom_webhook_template": "", "custom_headers": []})
        return out

    def _apply_hook_params(self, hook, params, creating):
        url = params.get("url")
        if creating and url is None:
            raise _missing("url")
        url_variables = _as_list(params.get("url_variables"))
        if url_variables is not None:
            if not isinstance(url_variables, list) or not all(isinstance(v, dict) and "key" in v and "value" in v
                                                              for v in url_variables):
                raise ApiError(400, {"error": "url_variables is invalid"})
            hook["url_variables"] = {v["key"]: str(v["value"]) for v in url_variables}
        if url is not None:
            expanded = str(url)
            for k, v in hook.get("url_variables", {}).items():
                expanded = expanded.replace("{" + k + "}", v)
            if not re.fullmatch(r"https?://[^\s/{}]+(/[^\s{}]*)?", expanded):
                raise ApiError(422, {"error": "Invalid url given"})
            hook["url"] = str(url)
        for e in self.HOOK_EVENTS:
            if e in params:
                hook[e] = _bool(params[e])
        for k in ("name", "description", "push_events_branch_filter"):
            if k in params:
                hook[k] = params[k]
        if "enable_ssl_verification" in params:
            hook["enable_ssl_verification"] = _bool(params["enable_ssl_verification"])
        if "token" in params:
            hook["token"] = params["token"]

    def _group_hooks(self, method, group_id, hook_id, params, user):
        if not self.premium:
            raise ApiError(404, {"message": "404 Not Found"})
        group = self._group(group_id)
        level = self._group_access_level(group, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Group Not Found"})
        self._require(level, OWNER)
        hooks = group.setdefault("hooks", [])
        if hook_id is None:
            if method == "GET":
                return 200, [self._hook_json(h) for h in hooks]
            if method != "POST":
                raise ApiError(405, {"message": "405 Method Not Allowed"})
            hook = {"id": next(self._ids), "url": None, "name": None, "description": None, "created_at": _now(),
                    "group_id": group["id"], "push_events_branch_filter": None, "enable_ssl_verification": True,
                    "alert_status": "executable", "disabled_until": None, "url_variables": {}, "token": None}
            for e in self.HOOK_EVENTS:
                hook[e] = e == "push_events"  # GitLab's defaults: push events on, the rest off
            self._apply_hook_params(hook, params, creating=True)
            hooks.append(hook)
            return 201, self._hook_json(hook)
        hook = next((h for h in hooks if str(h["id"]) == hook_id), None)
        if hook is None:
            raise ApiError(404, {"message": "404 Not found"})
        if method == "GET":
            return 200, self._hook_json(hook)
        if method == "PUT":
            self._apply_hook_params(hook, params, creating=False)
            return 200, self._hook_json(hook)
        if method == "DELETE":
            hooks.remove(hook)
            return 204, None
        raise ApiError(405, {"message": "405 Method Not Allowed"})

    def hooks(self, group_id):
        """The group's hooks with their secret token and url variables (for tests)."""
        with self.lock:
            return json.loads(json.dumps(self.groups[group_id].get("hooks", [])))

    def set_hook_alert(self, group_id, alert_status, disabled_until=None):
        """What GitLab shows after failed deliveries: temporarily_disabled (with disabled_until) or disabled."""
        with self.lock:
            for h in self.groups[group_id].get("hooks", []):
                h["alert_status"], h["disabled_until"] = alert_status, disabled_until

    ACCESS_LEVELS = (GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER)
    TOKEN_SCOPES = ("api", "read_api", "read_registry", "write_registry", "read_repository", "write_repository",
                    "create_runner", "manage_runner", "ai_features", "k8s_proxy", "read_observability",
                    "write_observability", "self_rotate")

    def _group_token_json(self, token, record, with_token=False):
        out = self._token_json(record)
        out["access_level"] = record["access_level"]
        out.pop("description", None)
        if with_token:
            out["token"] = token
        return out

    def _group_access_tokens(self, method, group_id, params, user):
        group = self._group(group_id)
        level = self._group_access_level(group, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Group Not Found"})
        self._require(level, OWNER)
        if method == "GET":
            return 200, [self._group_token_json(t, r) for t, r in self.access_tokens.items()
                         if r["kind"] == "group" and r.get("group_id") == group["id"]]
        if method != "POST":
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        errors = [f"{k} is missing" for k in ("name", "scopes") if k not in params]
        if errors:
            raise ApiError(400, {"error": ", ".join(errors)})
        scopes = _as_list(params["scopes"])
        if isinstance(scopes, str):
            scopes = [scopes]
        if not isinstance(scopes, list) or not scopes or any(s not in self.TOKEN_SCOPES for s in scopes):
            raise ApiError(400, {"error": "scopes does not have a valid value"})
        access_level = _as_int(params.get("access_level", MAINTAINER))
        if access_level not in self.ACCESS_LEVELS:
            raise ApiError(400, {"error": "access_level does not have a valid value"})
        if access_level > level:  # ResourceAccessTokens::CreateService: not above the creator's own role
            raise ApiError(400, {"message": "Access level of the token can't be greater the access level of the user who created the token"})
        # expires_at is required (GitLab 16.0+: "expires_at is missing") and at most 365 days away
        # (the message GitLab sends, grammar and all).
        expires_at = params.get("expires_at")
        if expires_at is None:
            raise _missing("expires_at")
        try:
            day = datetime.strptime(str(expires_at), "%Y-%m-%d").date()
        except ValueError:
            raise ApiError(400, {"error": "expires_at is invalid"})
        if (day - datetime.now(timezone.utc).date()).days > 365:
            raise ApiError(400, {"message": "400 Bad request - Expires at must expire in 365 days"})
        bot_id = next(self._ids)
        bot = {"id": bot_id, "username": f"group_{group['id']}_bot_{bot_id}", "name": str(params["name"]), "bot": True}
        token = "glpat-" + hashlib.sha1(f"gat{bot_id}{_now()}".encode()).hexdigest()[:20]
        record = self.add_access_token(token, bot, scopes=scopes, name=str(params["name"]), expires_at=expires_at,
                                       kind="group", description=params.get("description"))
        record["access_level"], record["group_id"] = access_level, group["id"]
        group["members"][bot_id] = access_level
        self.created_tokens.append(token)
        return 201, self._group_token_json(token, record, with_token=True)

    def _rotate_group_access_token(self, group_id, token_id, params, user):
        """POST /groups/:id/access_tokens/:token_id/rotate (Owner): the token is revoked and a new one
        with the same name, scopes and role is returned (expires_at: given, else in a week, as GitLab
        does); an inactive token -> 400 {"message":"400 Bad request - Token already revoked"}."""
        group = self._group(group_id)
        level = self._group_access_level(group, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Group Not Found"})
        self._require(level, OWNER)
        old = next(((t, r) for t, r in self.access_tokens.items() if r["kind"] == "group"
                    and r.get("group_id") == group["id"] and str(r["id"]) == token_id), None)
        if old is None:
            raise ApiError(404, {"message": "404 Not Found"})
        token, record = old
        if record["revoked"] or _expired(record["expires_at"]):
            raise ApiError(400, {"message": "400 Bad request - Token already revoked"})
        expires_at = params.get("expires_at") or (datetime.now(timezone.utc).date() + timedelta(days=7)).isoformat()
        record["revoked"] = True
        new = "glpat-" + hashlib.sha1(f"rotated{token}{_now()}".encode()).hexdigest()[:20]
        rotated = self.add_access_token(new, record["user"], scopes=record["scopes"], name=record["name"],
                                        expires_at=expires_at, kind="group", description=record["description"])
        rotated["access_level"], rotated["group_id"] = record["access_level"], group["id"]
        self.created_tokens.append(new)
        return 200, self._group_token_json(new, rotated, with_token=True)

    def _project_variable_write(self, method, project_id, key, params, user):
        """POST /projects/:id/variables (key, value required; masked, masked_and_hidden, protected) and
        PUT /projects/:id/variables/:key. A hidden variable stays hidden (GitLab cannot unhide it)."""
        project = self._project_for(project_id, user, MAINTAINER)
        variables = project.setdefault("variables", [])
        if method == "POST":
            errors = [f"{k} is missing" for k in ("key", "value") if k not in params]
            if errors:
                raise ApiError(400, {"error": ", ".join(errors)})
            key, value = str(params["key"]), str(params["value"])
            scope = params.get("environment_scope", "*")
            if any(v["key"] == key and v["environment_scope"] == scope for v in variables):
                raise ApiError(400, {"message": {"key": [f"({key}) has already been taken"]}})
            hidden = _bool(params.get("masked_and_hidden", False))
            masked = hidden or _bool(params.get("masked", False))
            if masked and not MASKABLE.fullmatch(value):
                raise ApiError(400, {"message": {"value": ["is invalid"]}})
            variable = {"key": key, "variable_type": params.get("variable_type", "env_var"), "value": value,
                        "protected": _bool(params.get("protected", False)), "masked": masked, "hidden": hidden,
                        "raw": _bool(params.get("raw", False)), "environment_scope": scope,
                        "description": params.get("description")}
            variables.append(variable)
            return 201, self._variable_json(variable)
        found = [v for v in variables if v["key"] == unquote(key)]
        if not found:
            raise ApiError(404, {"message": "404 Variable Not Found"})
        variable = found[0]
        if "value" in params:
            if variable["masked"] and not MASKABLE.fullmatch(str(params["value"])):
                raise ApiError(400, {"message": {"value": ["is invalid"]}})
            variable["value"] = str(params["value"])
        for k in ("protected", "masked", "raw"):
            if k in params:
                variable[k] = _bool(params[k]) or (k == "masked" and variable["hidden"])
        return 200, self._variable_json(variable)

    CRON = re.compile(r"(\S+\s+){4}\S+|@(yearly|annually|monthly|weekly|daily|midnight|hourly)")

    def _schedule_json(self, schedule, full=False):
        out = {k: schedule[k] for k in ("id", "description", "ref", "cron", "cron_timezone", "next_run_at",
                                        "active", "created_at", "updated_at", "owner")}
        if full:
            out["last_pipeline"] = schedule["last_pipeline"]
            out["variables"] = [dict(v) for v in schedule["variables"]]
        return out

    def _schedules(self, method, project_id, schedule_id, sub, params, user):
        project = self._project_for(project_id, user, DEVELOPER)
        schedules = project.setdefault("schedules", [])
        if schedule_id is None:
            if method == "GET":
                return 200, [self._schedule_json(s) for s in schedules]
            if method != "POST":
                raise ApiError(405, {"message": "405 Method Not Allowed"})
            errors = [f"{k} is missing" for k in ("description", "ref", "cron") if k not in params]
            if errors:
                raise ApiError(400, {"error": ", ".join(errors)})
            if not self.CRON.fullmatch(str(params["cron"]).strip()):
                raise ApiError(400, {"message": {"cron": ["is invalid syntax"]}})
            ts = _now()
            owner = {k: v for k, v in self._author(user).items() if k in ("id", "name", "username", "state",
                                                                          "avatar_url", "web_url")}
            schedule = {"id": next(self._ids), "description": params["description"], "ref": params["ref"],
                        "cron": params["cron"], "cron_timezone": params.get("cron_timezone", "UTC"),
                        "next_run_at": ts, "active": _bool(params.get("active", True)), "created_at": ts,
                        "updated_at": ts, "owner": owner, "last_pipeline": None, "variables": []}
            schedules.append(schedule)
            return 201, self._schedule_json(schedule, full=True)
        schedule = next((s for s in schedules if str(s["id"]) == schedule_id), None)
        if schedule is None:
            raise ApiError(404, {"message": "404 Pipeline Schedule Not Found"})
        if sub == "variables":
            if method != "POST":
                raise ApiError(405, {"message": "405 Method Not Allowed"})
            errors = [f"{k} is missing" for k in ("key", "value") if k not in params]
            if errors:
                raise ApiError(400, {"error": ", ".join(errors)})
            if any(v["key"] == params["key"] for v in schedule["variables"]):
                raise ApiError(400, {"message": {"key": ["has already been taken"]}})
            variable = {"key": params["key"], "variable_type": params.get("variable_type", "env_var"),
                        "value": str(params["value"])}
            schedule["variables"].append(variable)
            return 201, dict(variable)
        if method == "GET":
            return 200, self._schedule_json(schedule, full=True)
        if method == "PUT":
            for k in ("description", "ref", "cron", "cron_timezone"):
                if k in params:
                    schedule[k] = params[k]
            if "active" in params:
                schedule["active"] = _bool(params["active"])
            return 200, self._schedule_json(schedule, full=True)
        raise ApiError(405, {"message": "405 Method Not Allowed"})

    def set_schedule_last_pipeline(self, project_id, status):
        """Records a run of every schedule of the project (status: success, failed, ...)."""
        with self.lock:
            for s in self.projects[project_id].get("schedules", []):
                pid = next(self._ids)
                s["last_pipeline"] = {"id": pid, "sha": hashlib.sha1(str(pid).encode()).hexdigest(),
                                      "ref": s["ref"], "status": status}

    def project_by_path(self, path):
        with self.lock:
            return next((p for p in self.projects.values() if p["path"] == path), None)

    def handle_admin(self, method, path, params, user):
        """The onboarding routes; None when `path` is none of them."""
        m = re.fullmatch(r"/api/v4/groups/([^/]+)", path)
        if m and method == "GET":
            return self._get_group(m.group(1), user)
        if path == "/api/v4/projects" and method == "POST":
            return self._create_project(params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)", path)
        if m and method == "PUT":
            return self._edit_project(m.group(1), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/triggers", path)
        if m:
            return self._triggers(method, m.group(1), params, user)
        m = re.fullmatch(r"/api/v4/groups/([^/]+)/hooks(?:/([^/]+))?", path)
        if m:
            return self._group_hooks(method, m.group(1), m.group(2), params, user)
        m = re.fullmatch(r"/api/v4/groups/([^/]+)/access_tokens", path)
        if m:
            return self._group_access_tokens(method, m.group(1), params, user)
        m = re.fullmatch(r"/api/v4/groups/([^/]+)/access_tokens/([^/]+)/rotate", path)
        if m and method == "POST":
            return self._rotate_group_access_token(m.group(1), m.group(2), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/variables(?:/([^/]+))?", path)
        if m and method in ("POST", "PUT"):
            if (method == "POST") != (m.group(2) is None):
                raise ApiError(405 if method == "POST" else 404, {"message": "405 Method Not Allowed"}
                               if method == "POST" else {"error": "404 Not Found"})
            return self._project_variable_write(method, m.group(1), m.group(2), params, user)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/pipeline_schedules(?:/([^/]+))?(?:/(variables))?", path)
        if m:
            return self._schedules(method, m.group(1), m.group(2), m.group(3), params, user)
        return None

    # ---- authentication (called by the request handler, under the lock) -----------------------
    def authenticate(self, token, method, path):
        """(user, access-token record or None) for PRIVATE-TOKEN / Bearer `token`. GitLab's order
        (AccessTokenValidationService#validate): expired, then revoked -> 401; then the scopes the route
        allows -> 403 insufficient_scope; a token of the constructor's `tokens` map only is an api one."""
        record = self.access_tokens.get(token) if token else None
        if record is not None:
            if _expired(record["expires_at"]) or record["revoked"]:
                raise ApiError(401, dict(UNAUTHORIZED))
            scopes = self._route_scopes(method, path)
            if scopes is not None and not set(record["scopes"]) & {s for s, ok in scopes if ok}:
                raise _insufficient_scope([s for s, _ in scopes])
            record["last_used_at"] = _now()
            return record["user"], record
        user = self.tokens.get(token) if token else None
        if user is None:
            raise ApiError(401, dict(UNAUTHORIZED))
        return user, None

    @staticmethod
    def _route_scopes(method, path):
        """[(scope, accepted for this method)] registered for the route, in the order GitLab lists them
        in an insufficient_scope answer: the endpoint class's (API::Users: read_user if GET/HEAD), then
        API::API's (api; read_api if GET/HEAD). The answer names them all, conditions aside (a POST with
        a read_api token: "scope":"api read_api"). None: any scope (API::PersonalAccessTokens::
        SelfInformation allows every scope)."""
        if path.startswith("/api/v4/personal_access_tokens/self"):
            return None
        read = method in ("GET", "HEAD")
        scopes = [("api", True), ("read_api", read)]
        if path == "/api/v4/user" or path.startswith("/api/v4/users/"):
            scopes.insert(0, ("read_user", read))
        return scopes

    def verify_runner(self, method, params):
        """POST /runners/verify (lib/api/ci/runner.rb): authenticates with the runner token alone."""
        if method != "POST":
            raise ApiError(404, {"error": "404 Not Found"})
        token = params.get("token")
        if token is None:
            raise _missing("token")
        runner = self.runner_tokens.get(str(token))
        if runner is None or _expired(runner["token_expires_at"]):
            raise ApiError(403, dict(FORBIDDEN))
        return 200, dict(runner)

    def current_job(self, method, token):
        """GET /job with a job token (JOB-TOKEN header, job_token= or Bearer): the token's job while
        it runs; 401 otherwise (Ci::AuthJobFinder refuses the token of a job that is not running)."""
        if method != "GET":
            raise ApiError(404, {"error": "404 Not Found"})
        job = self.job_tokens.get(token) if token else None
        if job is None or job["status"] != "running":
            raise ApiError(401, dict(UNAUTHORIZED))
        return 200, self._job_json(job)

    # ---- groups, variables, tokens: handlers ----------------------------------------------------
    def _get_variables(self, kind, owner_id, key, params, user):
        """GET /projects/:id/variables[/:key] needs admin_cicd_variables: Maintainer on a project,
        Owner on a group. An owner the user cannot see at all is a 404 (private)."""
        if kind == "projects":
            owner = self._project(owner_id)
            level, needed, missing = self._access_level(owner, user), MAINTAINER, "404 Project Not Found"
        else:
            owner = self._group(owner_id)
            level, needed, missing = self._group_access_level(owner, user), OWNER, "404 Group Not Found"
        if level <= 0:
            raise ApiError(404, {"message": missing})
        if level < needed:
            raise ApiError(403, dict(FORBIDDEN))
        variables = owner.get("variables", [])
        if key is None:
            return 200, [self._variable_json(v, list_order=kind == "projects") for v in variables]
        key = unquote(key)
        scope = params.get("filter", {}).get("environment_scope") if isinstance(params.get("filter"), dict) else None
        found = [v for v in variables if v["key"] == key and (scope is None or v["environment_scope"] == scope)]
        if not found:
            raise ApiError(404, {"message": "404 Variable Not Found"})
        if len(found) > 1:  # lib/api/helpers/variables_helpers.rb: conflict!
            raise ApiError(409, {"message": "There are multiple variables with provided parameters. "
                                            "Please use 'filter[environment_scope]'"})
        return 200, self._variable_json(found[0])

    @staticmethod
    def _variable_json(v, list_order=False):
        """Entities::Ci::Variable; a hidden variable's value is null (Ci::VariableValue#evaluate).
        Key order as documented: the project list example puts variable_type first, the others key."""
        first = ("variable_type", "key") if list_order else ("key", "variable_type")
        out = {k: v[k] for k in first}
        out["value"] = None if v["hidden"] else v["value"]
        for k in ("protected", "masked", "hidden", "raw", "environment_scope", "description"):
            out[k] = v[k]
        return out

    def _token_self(self, method, params, user, access):
        if access is None:  # a token of the constructor's map added later by hand: make it a record
            token = next((t for t, u in self.tokens.items() if u is user), None)
            access = self.add_access_token(token, user)
        if method == "GET":
            return 200, self._token_json(access)
        # DELETE: PersonalAccessTokens::RevokeService, then no_content!
        access["revoked"] = True
        return 204, None

    @staticmethod
    def _token_json(record):
        """Entities::PersonalAccessToken, in the documented example's order."""
        out = {k: record[k] for k in ("id", "name", "revoked", "created_at", "description", "scopes",
                                      "user_id", "last_used_at")}
        out["active"] = not record["revoked"] and not _expired(record["expires_at"])
        out["expires_at"] = record["expires_at"]
        return out

    def _current_user(self, user):
        """GET /user for a non-administrator (doc/api/users.md "List current user"), a subset."""
        username = user["username"]
        return {"id": user["id"], "username": username, "email": f"{username}@example.com", "name": user["name"],
                "state": "active", "locked": False,
                "avatar_url": f"https://www.gravatar.com/avatar/{user['id']}?s=80&d=identicon",
                "web_url": f"{self.url}/{username}", "created_at": "2024-01-01T00:00:00.000Z", "bio": "",
                "location": "", "public_email": None, "linkedin": "", "twitter": "", "discord": "",
                "website_url": "", "organization": "", "job_title": "", "pronouns": None,
                "bot": bool(user.get("bot", user["id"] == self.bot_user_id)), "work_information": None,
                "followers": 0, "following": 0, "local_time": None, "last_sign_in_at": None,
                "confirmed_at": "2024-01-01T00:00:00.000Z", "last_activity_on": _now()[:10],
                "theme_id": 1, "color_scheme_id": 1, "projects_limit": 100000, "current_sign_in_at": None,
                "identities": [], "can_create_group": True, "can_create_project": True,
                "two_factor_enabled": False, "external": False, "private_profile": False,
                "commit_email": f"{username}@example.com"}

    def _job_json(self, job):
        """Entities::Ci::Job, shaped like doc/api/jobs.md "Get job token's job"."""
        project = self.projects.get(job["project_id"])
        path = project["path"] if project else f"group/project-{job['project_id']}"
        sha = (project["branches"].get(job["ref"]) if project else None) or hashlib.sha1(
            f"{job['job_id']}".encode()).hexdigest()
        user = job["user"]
        return {"commit": {"author_email": "admin@example.com", "author_name": "Administrator",
                           "created_at": job["created_at"], "id": sha, "message": "Commit", "short_id": sha[:8],
                           "title": "Commit"},
                "coverage": None, "allow_failure": False, "created_at": job["created_at"],
                "started_at": job["started_at"], "finished_at": None, "duration": None, "queued_duration": 0.1,
                "artifacts_expire_at": None, "id": job["job_id"], "name": job["name"],
                "pipeline": {"id": job["job_id"] + 100000, "project_id": job["project_id"], "ref": job["ref"],
                             "sha": sha, "status": job["status"]},
                "ref": job["ref"], "artifacts": [], "runner": None, "stage": job["stage"], "status": job["status"],
                "failure_reason": None, "tag": False, "web_url": f"{self.url}/{path}/-/jobs/{job['job_id']}",
                "project": {"ci_job_token_scope_enabled": False},
                "user": {"id": user["id"], "name": user["name"], "username": user["username"], "state": "active",
                         "avatar_url": f"https://www.gravatar.com/avatar/{user['id']}?s=80&d=identicon",
                         "web_url": f"{self.url}/{user['username']}", "created_at": "2024-01-01T00:00:00.000Z",
                         "bio": None, "location": None, "public_email": "", "skype": "", "linkedin": "",
                         "twitter": "", "website_url": "", "organization": ""}}

    def _user_namespace_json(self, project_path):
        """A project outside the added groups is in a user's namespace (GitLab: /groups/:that/... 404)."""
        namespace = project_path.rpartition("/")[0]
        if namespace not in self._user_namespaces:
            self._user_namespaces[namespace] = next(self._ids)
        return {"id": self._user_namespaces[namespace], "name": namespace.title(), "path": namespace, "kind": "user",
                "full_path": namespace, "parent_id": None, "avatar_url": None, "web_url": f"{self.url}/{namespace}"}

    def _namespace_json(self, group):
        return {"id": group["id"], "name": group["name"], "path": group["path"], "kind": "group",
                "full_path": group["full_path"], "parent_id": group["parent_id"], "avatar_url": None,
                "web_url": f"{self.url}/groups/{group['full_path']}"}

    def _get_project(self, project_id, params, user):
        """GET /projects/:id (Entities::ProjectWithAccess): `owner` only for a project in a user's
        namespace (these are all in groups), `license`/`license_url` with license=true, `statistics`
        with statistics=true; `permissions` are the caller's project and group membership levels."""
        project = self._project(project_id)
        level = self._access_level(project, user)
        if level <= 0:
            raise ApiError(404, {"message": "404 Project Not Found"})
        group = self._namespace_group(project)
        pid, path = project["id"], project["path"]
        name = project.get("name") or path.rsplit("/", 1)[-1]
        web = f"{self.url}/{path}"
        ts = "2024-01-01T00:00:00.000Z"
        member = project["members"].get(user["id"])
        group_levels = self._chain_levels(group, user)
        default = MAINTAINER if user["id"] == self.bot_user_id and member is None else None
        group_level = max(group_levels) if group_levels else default
        out = {"id": pid, "description": "", "description_html": "", "default_branch": project["default_branch"] or "main",
               "visibility": "private", "ssh_url_to_repo": f"git@localhost:{path}.git",
               "http_url_to_repo": f"{web}.git", "web_url": web, "readme_url": None, "tag_list": [], "topics": []}
        if group is None:
            owner = path.rpartition("/")[0] or "root"
            out["owner"] = {"id": self._user_namespace_json(path)["id"], "username": owner, "name": owner.title(),
                            "state": "active", "web_url": f"{self.url}/{owner}", "created_at": ts}
        out.update({
               "name": name, "name_with_namespace": " / ".join(path.split("/")), "path": path.rsplit("/", 1)[-1],
               "path_with_namespace": path, "issues_enabled": True, "open_issues_count": 0,
               "merge_requests_enabled": True, "jobs_enabled": True, "wiki_enabled": True, "snippets_enabled": True,
               "can_create_merge_request_in": level >= DEVELOPER, "resolve_outdated_diff_discussions": False,
               "container_registry_enabled": False, "container_registry_access_level": "disabled",
               "security_and_compliance_access_level": "private",
               "container_expiration_policy": {"cadence": "1d", "enabled": False, "keep_n": 10,
                                               "older_than": "90d", "name_regex": ".*", "name_regex_delete": None,
                                               "name_regex_keep": None, "next_run_at": ts},
               "created_at": ts, "updated_at": ts, "last_activity_at": ts, "creator_id": self.bot_user_id,
               "namespace": self._namespace_json(group) if group else self._user_namespace_json(path),
               "import_url": None, "import_type": None, "import_status": "none", "import_error": None,
               "permissions": {"project_access": {"access_level": member["access_level"], "notification_level": 3}
                               if member else None,
                               "group_access": {"access_level": group_level, "notification_level": 3}
                               if group_level else None},
               "archived": False, "avatar_url": None})
        if _bool(params.get("license", False)):  # null without a license file on the default branch
            branch = project["default_branch"]
            tree = self._tree(project, branch) if branch else {}
            found = next((f for f in ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING") if f in tree), None)
            url = f"{web}/-/blob/{branch}/{found}" if found else None
            out["license_url"] = url
            out["license"] = {"key": "other", "name": "Other", "nickname": None, "html_url": url,
                              "source_url": None} if found else None
        out.update({"shared_runners_enabled": True, "group_runners_enabled": True, "forks_count": 0, "star_count": 0,
                    "runners_token": None, "ci_default_git_depth": 20, "ci_forward_deployment_enabled": True,
                    "ci_forward_deployment_rollback_allowed": True,
                    "ci_allow_fork_pipelines_to_run_in_parent_project": True,
                    "ci_id_token_sub_claim_components": ["project_path", "ref_type", "ref"],
                    "ci_separated_caches": True, "ci_restrict_pipeline_cancellation_role": "developer",
                    "ci_pipeline_variables_minimum_override_role":
                        project.get("settings", {}).get("ci_pipeline_variables_minimum_override_role", "developer"),
                    "ci_push_repository_for_job_token_allowed": False, "ci_display_pipeline_variables": False,
                    "protect_merge_request_pipelines": True, "public_jobs": True, "shared_with_groups": [],
                    "repository_storage": "default", "only_allow_merge_if_pipeline_succeeds": False,
                    "allow_merge_on_skipped_pipeline": None, "allow_pipeline_trigger_approve_deployment": False,
                    "restrict_user_defined_variables": True,
                    "only_allow_merge_if_all_discussions_are_resolved": False,
                    "remove_source_branch_after_merge": True, "printing_merge_requests_link_enabled": True,
                    "request_access_enabled": True, "merge_method": "merge", "squash_option": "default_off",
                    "auto_devops_enabled": False, "auto_devops_deploy_strategy": "continuous",
                    "approvals_before_merge": 0, "mirror": False, "mirror_user_id": None,
                    "mirror_trigger_builds": False, "only_mirror_protected_branches": None,
                    "mirror_overwrites_diverged_branches": None,
                    "external_authorization_classification_label": None, "packages_enabled": True,
                    "empty_repo": not project["commits"], "service_desk_enabled": False,
                    "service_desk_address": None, "autoclose_referenced_issues": True,
                    "suggestion_commit_message": None, "enforce_auth_checks_on_uploads": True,
                    "merge_commit_template": None, "squash_commit_template": None,
                    "issue_branch_template": None, "marked_for_deletion_at": None,
                    "marked_for_deletion_on": None, "compliance_frameworks": [],
                    "warn_about_potentially_unwanted_characters": True, "secret_push_protection_enabled": False})
        if _bool(params.get("statistics", False)):
            out["statistics"] = {k: 0 for k in ("commit_count", "storage_size", "repository_size", "wiki_size",
                                                "lfs_objects_size", "job_artifacts_size", "pipeline_artifacts_size",
                                                "packages_size", "snippets_size", "uploads_size",
                                                "container_registry_size")}
            out["statistics"]["commit_count"] = len(project["commits"])
        out["container_registry_image_prefix"] = f"localhost:5050/{path}"
        api = f"{self.api_url}/projects/{pid}"
        out["_links"] = {"self": api, "issues": f"{api}/issues", "merge_requests": f"{api}/merge_requests",
                         "repo_branches": f"{api}/repository/branches", "labels": f"{api}/labels",
                         "events": f"{api}/events", "members": f"{api}/members",
                         "cluster_agents": f"{api}/cluster_agents"}
        return 200, out

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
                  "raw_body": raw.decode("utf-8", "replace"), "body": None, "status": 0, "fault": None,
                  "time": time.monotonic()}  # when it arrived
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
                # /runners/verify authenticates with the runner token in its body, /job with a job
                # token; every other route with PRIVATE-TOKEN or Authorization: Bearer.
                special = path in ("/api/v4/runners/verify", "/api/v4/job")
                user, access = (None, None) if special else self._authenticate(method, path)
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
                    if path == "/api/v4/runners/verify":
                        status, payload, *extra = emu.verify_runner(method, params)
                    elif path == "/api/v4/job":
                        status, payload, *extra = emu.current_job(method, self._job_token(query))
                    else:
                        status, payload, *extra = emu.handle(method, path, params, user, access)
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

    def _authenticate(self, method, path):
        """(user, access-token record or None); 401 for a missing, unknown, revoked or expired token,
        403 insufficient_scope for a token whose scopes the route does not accept."""
        token = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization", "")
        if token is None and auth.startswith("Bearer "):
            token = auth[len("Bearer "):]
        with self.emu.lock:
            return self.emu.authenticate(token, method, path)

    def _job_token(self, query):
        """Gitlab::Auth::AuthFinders: the job_token parameter, the JOB-TOKEN header, or a Bearer token."""
        token = dict(query).get("job_token") or self.headers.get("JOB-TOKEN")
        auth = self.headers.get("Authorization", "")
        if not token and auth.startswith("Bearer "):
            token = auth[len("Bearer "):]
        return token or None

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
        if status == 204:  # No Content: no body, no Content-Type
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
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
