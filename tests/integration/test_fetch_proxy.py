#!/usr/bin/env python3
"""`jit-agent fetch` honours HTTPS_PROXY (an HTTP CONNECT proxy started here, on loopback) and
NO_PROXY (the same fetch goes direct when the host is listed)."""
import json
import os
import select
import socket
import subprocess
import tempfile
import threading

from fetch_harness import BIN, GitServer, check, finish, run_agent, secret

TOKEN = secret("glpat-Pr0xyTestToken0003", "the checkout token")


class ConnectProxy:
    """A minimal HTTP CONNECT proxy that records the targets it tunnelled to."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.targets = []
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                return
            self.targets.append(target)
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            socks = [client, upstream]
            while True:
                ready, _, _ = select.select(socks, [], [], 30)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        except OSError:
            pass
        finally:
            client.close()

    def stop(self):
        self.stopped = True
        self.sock.close()




with tempfile.TemporaryDirectory(prefix="jit-fetch-proxy-") as tmp, GitServer(os.path.join(tmp, "srv"), TOKEN) as server:
    repo = server.create_repo("group/app")
    repo.write("a.txt", "a\n")
    head = repo.commit("a")
    repo.push("main")
    proxy = ConnectProxy()
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CI_", "JIT_", "TRIGGER_")) and k.lower() not in ("https_proxy", "no_proxy", "http_proxy")}
        env.update({"JIT_CHECKOUT_TOKEN": TOKEN, "CI_SERVER_TLS_CA_FILE": server.ca_file,
                    "HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"})
        args = ["fetch", "--url", server.url_for("group/app"), "--ref", "refs/heads/main"]
        p = run_agent(args + ["--cache-dir", os.path.join(tmp, "c1")], env, timeout=120)
        check(p.returncode == 0, f"fetch through the proxy: {p.stderr.strip()}")
        check(p.returncode != 0 or json.loads(p.stdout)["head_sha"] == head, "head through the proxy")
        check(f"localhost:{server.port}" in proxy.targets, f"the proxy tunnelled to the server: {proxy.targets}")

        proxy.targets.clear()
        env["NO_PROXY"] = "example.com,localhost"
        p = run_agent(args + ["--cache-dir", os.path.join(tmp, "c2")], env, timeout=120)
        check(p.returncode == 0, f"direct fetch with NO_PROXY: {p.stderr.strip()}")
        check(proxy.targets == [], f"NO_PROXY host bypasses the proxy: {proxy.targets}")
    finally:
        proxy.stop()

finish()
print("ok: HTTPS_PROXY tunnels the fetch, NO_PROXY bypasses it")
