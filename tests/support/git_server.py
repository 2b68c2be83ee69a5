#!/usr/bin/env python3
"""A real git smart-HTTP server for tests: nginx (TLS, basic auth) + fcgiwrap + git-http-backend.

    with GitServer(tmpdir, token) as server:
        repo = server.create_repo("group/project")
        repo.write("svc-a/app.py", "print(1)\\n"); main = repo.commit("first")
        repo.push("main")
        repo.merge_request(1, "feature")          # refs/merge-requests/1/head
        url = server.url_for("group/project")     # https://localhost:<port>/group/project.git
        ca = server.ca_file                       # trust this (CI_SERVER_TLS_CA_FILE)

Loopback only, a free port per run, a self-signed certificate generated per run (CN and SAN
localhost, 127.0.0.1), repositories served from <tmpdir>/repos. Served repositories allow any sha
in `want` like GitLab does (uploadpack.allowAnySHA1InWant). Needs nginx, fcgiwrap, openssl and git;
`GitServer.available()` says whether they are installed (tests exit 77 otherwise).

Run directly to serve a folder until interrupted (for benchmarks):
    git_server.py serve <dir> <token>   -> prints one JSON line {"url", "ca_file", "repos"}
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FCGIWRAP = shutil.which("fcgiwrap") or "/usr/sbin/fcgiwrap"

# Deterministic commits: same content -> same shas across runs.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
}


_HOME = []


def _git_home():
    """An empty HOME for git (no user config); removed when the process exits."""
    if not _HOME:
        import atexit
        _HOME.append(tempfile.mkdtemp(prefix="jit-git-home-"))
        atexit.register(shutil.rmtree, _HOME[0], True)
    return _HOME[0]


def git(*args, cwd=None, env=None, input=None):
    """Runs git, returns stdout (str); raises with stderr on failure."""
    full_env = dict(os.environ)
    full_env.update(GIT_ENV)
    full_env["HOME"] = full_env.get("JIT_TEST_GIT_HOME") or _git_home()
    if env:
        full_env.update(env)
    # Never the caller's stdin (a script fed to python on stdin would be read by git), and an
    # empty pipe rather than /dev/null, which some sandboxes replace with a regular file.
    p = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True,
                       input=input if input is not None else "", text=not isinstance(input, bytes))
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {p.stderr}")
    return p.stdout if isinstance(p.stdout, str) else p.stdout.decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Repo:
    """A working repository whose pushes go to a bare repository served by the server."""

    def __init__(self, server, path):
        self.server = server
        self.path = path
        self.bare = server.repo_path(path)
        self.work = os.path.join(server.root, "work", path)
        os.makedirs(self.bare, exist_ok=True)
        git("init", "-q", "--bare", "-b", "main", self.bare)
        # As GitLab (gitaly) serves repositories: any sha in `want`, partial-clone filters.
        git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=self.bare)
        git("config", "uploadpack.allowFilter", "true", cwd=self.bare)
        git("config", "http.receivepack", "false", cwd=self.bare)
        os.makedirs(self.work, exist_ok=True)
        git("init", "-q", "-b", "main", self.work)
        git("remote", "add", "origin", self.bare, cwd=self.work)
        self._tick = 0

    def write(self, relpath, content):
        full = os.path.join(self.work, relpath)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(full, mode) as f:
            f.write(content)

    def remove(self, relpath):
        git("rm", "-q", "-r", relpath, cwd=self.work)

    def commit(self, message):
        """Commits everything in the working tree; returns the new sha."""
        self._tick += 1
        # Distinct timestamps keep the commit order stable for revwalks sorted by time.
        date = f"2024-01-01T00:{self._tick // 60:02d}:{self._tick % 60:02d}Z"
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work,
            env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        return self.head()

    def head(self):
        return git("rev-parse", "HEAD", cwd=self.work).strip()

    def branch(self, name, start=None):
        """Creates (or resets) and switches to branch `name`."""
        git("checkout", "-q", "-B", name, *([start] if start else []), cwd=self.work)

    def switch(self, name):
        git("checkout", "-q", name, cwd=self.work)

    def push(self, *branches):
        """Force-pushes branches (default: the current one) to the served bare repository."""
        refs = [f"+refs/heads/{b}:refs/heads/{b}" for b in branches] or ["+HEAD:refs/heads/main"]
        git("push", "-q", "origin", *refs, cwd=self.work)

    def set_ref(self, ref, sha):
        git("update-ref", ref, sha, cwd=self.bare)

    def merge_request(self, iid, branch):
        """Makes refs/merge-requests/<iid>/head point at `branch`'s tip, as GitLab does."""
        sha = git("rev-parse", f"refs/heads/{branch}", cwd=self.work).strip()
        self.set_ref(f"refs/merge-requests/{iid}/head", sha)
        return sha

    def gc(self):
        """Packs the served repository (as a long-lived GitLab repository would be)."""
        git("gc", "-q", cwd=self.bare)


class GitServer:
    def __init__(self, root, token, user="oauth2"):
        self.root = os.path.abspath(root)
        self.token = token
        self.user = user
        self.port = None
        self.url = None
        self.repos = os.path.join(self.root, "repos")
        self.ca_file = os.path.join(self.root, "tls", "server.crt")
        self._nginx = None
        self._fcgi = None

    @staticmethod
    def available():
        return all(os.path.exists(p) for p in (NGINX, FCGIWRAP, GIT_HTTP_BACKEND)) and \
            shutil.which("openssl") is not None and shutil.which("git") is not None

    def repo_path(self, path):
        return os.path.join(self.repos, path + ".git")

    def url_for(self, path):
        return f"{self.url}/{path}.git"

    def create_repo(self, path):
        return Repo(self, path)

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        os.makedirs(self.repos, exist_ok=True)
        tls = os.path.join(self.root, "tls")
        run = os.path.join(self.root, "run")
        for d in (tls, run, os.path.join(run, "tmp")):
            os.makedirs(d, exist_ok=True)
        key = os.path.join(tls, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                        "-out", self.ca_file, "-days", "2"], check=True, capture_output=True)
        hashed = subprocess.run(["openssl", "passwd", "-apr1", self.token], check=True, capture_output=True,
                                text=True).stdout.strip()
        htpasswd = os.path.join(run, "htpasswd")
        with open(htpasswd, "w") as f:
            f.write(f"{self.user}:{hashed}\n")
        sock = os.path.join(run, "fcgiwrap.sock")
        # Without -c: a single process, so stopping it leaves no pre-forked worker behind.
        self._fcgi = subprocess.Popen([FCGIWRAP, "-s", f"unix:{sock}"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(run, "fcgiwrap.log"), "w"))
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        os.chmod(sock, 0o666)  # nginx workers run as nobody when the master runs as root
        last_error = ""
        for _attempt in range(5):
            self.port = free_port()
            conf = self._write_nginx_conf(run, tls, htpasswd, sock)
            self._nginx = subprocess.Popen([NGINX, "-p", run, "-c", conf, "-e", os.path.join(run, "error.log"),
                                            "-g", "daemon off;"], stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._wait_listening():
                self.url = f"https://localhost:{self.port}"
                return
            self._nginx.kill()
            last_error = self._nginx.communicate()[1].decode(errors="replace")
            self._nginx = None
        self.stop()
        raise RuntimeError(f"nginx did not start: {last_error}")

    def _wait_listening(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self._nginx.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def _write_nginx_conf(self, run, tls, htpasswd, sock):
        tmp = os.path.join(run, "tmp")
        user_line = "user root;" if os.geteuid() == 0 else ""
        conf = f"""
{user_line}
worker_processes 1;
pid {run}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  access_log {run}/access.log;
  client_body_temp_path {tmp}/body;
  fastcgi_temp_path {tmp}/fastcgi;
  proxy_temp_path {tmp}/proxy;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{self.port} ssl;
    server_name localhost;
    ssl_certificate {tls}/server.crt;
    ssl_certificate_key {tls}/server.key;
    location ~ ^/(.+\\.git)/(info/refs|git-upload-pack|HEAD|objects/.*)$ {{
      auth_basic "git";
      auth_basic_user_file {htpasswd};
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME {GIT_HTTP_BACKEND};
      fastcgi_param GIT_PROJECT_ROOT {self.repos};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $uri;
      fastcgi_param REMOTE_USER $remote_user;
      fastcgi_param GIT_PROTOCOL $http_git_protocol;
      fastcgi_buffering off;
      fastcgi_read_timeout 300s;
      fastcgi_pass unix:{sock};
    }}
  }}
}}
"""
        path = os.path.join(run, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        return path

    def stop(self):
        if self._nginx and self._nginx.poll() is None:
            self._nginx.send_signal(signal.SIGQUIT)
            try:
                self._nginx.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait()
        self._nginx = None
        if self._fcgi and self._fcgi.poll() is None:
            self._fcgi.terminate()
            try:
                self._fcgi.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._fcgi.kill()
                self._fcgi.wait()
        self._fcgi = None

    def access_log(self):
        """The nginx access log lines so far (method, path and status of every request)."""
        path = os.path.join(self.root, "run", "access.log")
        return open(path).read().splitlines() if os.path.exists(path) else []

    def auth_header(self):
        raw = f"{self.user}:{self.token}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def make_monorepo(repo, folders=50, files_per_folder=1000, file_bytes=600, seed=1):
    """Fills `repo`'s bare repository with one commit of folders*files_per_folder text files via
    git fast-import (seconds, not minutes) and points refs/heads/main at it; returns the sha.
    The working copy is reset to it so later commits build on top."""
    import random
    rnd = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "config", "service", "handler", "value", "request",
             "response", "client", "server", "import", "return", "def", "class", "self", "data"]
    chunks = []
    chunks.append(b"commit refs/heads/main\nmark :1\n")
    chunks.append(b"author Test Author <author@example.com> 1704067200 +0000\n")
    chunks.append(b"committer Test Author <author@example.com> 1704067200 +0000\n")
    msg = b"generated monorepo"
    chunks.append(b"data %d\n%s\n" % (len(msg), msg))
    for f in range(folders):
        for i in range(files_per_folder):
            lines = []
            size = 0
            while size < file_bytes:
                line = " ".join(rnd.choice(words) for _ in range(8)) + f" {f}.{i}.{size}\n"
                lines.append(line)
                size += len(line)
            data = "".join(lines).encode()
            path = f"svc-{f:03d}/pkg-{i // 100:02d}/file-{i:04d}.py".encode()
            chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path, len(data), data))
    p = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo.bare, input=b"".join(chunks),
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode())
    # Delta-compress like a gc'ed GitLab repository. pack-objects directly, with revisions on an
    # empty stdin: `git repack` hands its child /dev/null, which is not always a device here.
    pack_dir = os.path.join(repo.bare, "objects", "pack")
    before = set(os.listdir(pack_dir))
    name = git("pack-objects", "--revs", "--all", "--delta-base-offset", "-q", os.path.join(pack_dir, "pack"),
               cwd=repo.bare).strip()
    for f in before:
        if name not in f:
            os.remove(os.path.join(pack_dir, f))
    sha = git("rev-parse", "refs/heads/main", cwd=repo.bare).strip()
    git("fetch", "-q", "origin", "main", cwd=repo.work)
    git("reset", "-q", "--hard", "FETCH_HEAD", cwd=repo.work)
    return sha


def _serve(root, token):
    server = GitServer(root, token)
    server.start()
    print(json.dumps({"url": server.url, "ca_file": server.ca_file, "repos": server.repos}), flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(0.2)
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        _serve(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
