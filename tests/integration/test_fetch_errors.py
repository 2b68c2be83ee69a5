#!/usr/bin/env python3
"""`jit-agent fetch` failures and the mirror cache's self-repair, against the real git server:
wrong token, untrusted TLS, unknown project -> exit 3 with one line naming the URL and never the
token; a corrupt or stale cache (truncated or altered pack, missing objects, bad ref, corrupt loose
object, another remote's mirror, junk) is detected and rebuilt, and the fetch still succeeds."""
import json
import os
import shutil
import subprocess
import tempfile

from fetch_harness import BIN, GitServer, check, finish, run_agent, secret, git

TOKEN = secret("glpat-Qw3TestTokenErrors0002", "the checkout token")



def fetch(server, *args, token=TOKEN, ca=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "JIT_", "TRIGGER_"))}
    env["JIT_CHECKOUT_TOKEN"] = token
    if ca:
        env["CI_SERVER_TLS_CA_FILE"] = server.ca_file
    p = run_agent(["fetch", *args], env)
    for secret in {TOKEN, token} - {""}:
        check(secret not in p.stdout + p.stderr, f"token {secret[:8]}... leaked in output of fetch {args[:2]}")
    return p


def expect_error(p, *fragments):
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 3, f"exit code {p.returncode} (want 3): {p.stderr.strip()}")
    check(len(lines) == 1, f"one error line, got {len(lines)}: {p.stderr.strip()}")
    for f in fragments:
        check(f in p.stderr, f"error mentions {f!r}: {p.stderr.strip()}")


def ok(p):
    check(p.returncode == 0, f"fetch failed: {p.stderr.strip()}")
    return json.loads(p.stdout) if p.returncode == 0 else {}


with tempfile.TemporaryDirectory(prefix="jit-fetch-errors-") as tmp, GitServer(os.path.join(tmp, "srv"), TOKEN) as server:
    repo = server.create_repo("group/app")
    for i in range(5):
        repo.write(f"src/f{i}.txt", f"{i}\n" * 50)
        repo.commit(f"c{i}")
    head = repo.head()
    repo.push("main")
    other = server.create_repo("group/other")
    other.write("x.txt", "x\n")
    other.commit("x")
    other.push("main")
    url = server.url_for("group/app")
    cache = os.path.join(tmp, "cache")
    bad_cache = os.path.join(tmp, "cache-errors")  # failed fetches leave an empty mirror behind

    # Wrong token: one line with the URL, the credentials asked for at most twice.
    before = len(server.access_log())
    p = fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", bad_cache, token="glpat-WrongToken000000")
    expect_error(p, "authentication failed (HTTP 401)", url)
    unauthorized = [line for line in server.access_log()[before:] if '" 401 ' in line]
    check(len(unauthorized) <= 3, f"gave up after a refused token ({len(unauthorized)} 401 responses)")
    # Credentials in the URL are never printed either.
    p = fetch(server, "--url", url.replace("https://", "https://oauth2:glpat-InUrlSecret123@"), "--ref",
              "refs/heads/main", "--cache-dir", bad_cache, token="")
    check("glpat-InUrlSecret123" not in p.stdout + p.stderr, "credentials in the URL leaked")
    expect_error(p, "authentication failed (HTTP 401)", url)
    config = open(os.path.join(bad_cache, "group_app.git", "config")).read()
    check("glpat-InUrlSecret123" not in config, "credentials in the URL stored in the mirror config")
    # No token at all.
    expect_error(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", bad_cache, token=""),
                 "JIT_CHECKOUT_TOKEN is not set")
    # TLS: the self-signed server is not trusted without CI_SERVER_TLS_CA_FILE.
    expect_error(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", bad_cache, ca=False),
                 "TLS failure", "CI_SERVER_TLS_CA_FILE", url)
    # Unknown project.
    expect_error(fetch(server, "--url", server.url_for("group/missing"), "--ref", "refs/heads/main",
                       "--cache-dir", bad_cache), "project not found (HTTP 404)", "group/missing")
    # Nothing listening.
    expect_error(fetch(server, "--url", "https://localhost:1/group/app.git", "--ref", "refs/heads/main",
                       "--cache-dir", bad_cache, "--cache-key", "nothing-listens"), "localhost:1/group/app.git")

    # A good mirror first, then break it in every way and watch it being rebuilt.
    r = ok(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", cache))
    mirror = r.get("git_dir", "")
    check(r.get("cache") == "cold", "first good fetch is cold")
    r = ok(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", cache))
    check(r.get("cache") == "warm" and r.get("received_objects") == 0, "unchanged warm mirror fetches nothing")

    def pack_files():
        d = os.path.join(mirror, "objects", "pack")
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".pack"))

    def truncate_pack():
        p = pack_files()[0]
        with open(p, "r+b") as f:
            f.truncate(os.path.getsize(p) - 7)

    def flip_byte():
        p = pack_files()[0]
        with open(p, "r+b") as f:
            f.seek(os.path.getsize(p) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0xFF]))

    def delete_packs():
        for p in pack_files():
            os.remove(p)
            os.remove(p[:-5] + ".idx")

    def bad_ref():
        refs = os.path.join(mirror, "refs", "heads")
        os.makedirs(refs, exist_ok=True)
        with open(os.path.join(refs, "main"), "w") as f:
            f.write("1234567890123456789012345678901234567890\n")
        packed = os.path.join(mirror, "packed-refs")
        if os.path.exists(packed):
            os.remove(packed)

    def corrupt_loose():
        d = os.path.join(mirror, "objects", "ab")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "c" * 38), "wb") as f:
            f.write(b"this is not zlib data")

    def junk():
        shutil.rmtree(mirror)
        os.makedirs(mirror)
        with open(os.path.join(mirror, "README"), "w") as f:
            f.write("not a repository\n")

    def foreign_marker():
        git("config", "--unset", "jit.mirror", cwd=mirror)

    cases = [(truncate_pack, "pack"), (flip_byte, "pack checksum mismatch"), (delete_packs, "missing"),
             (bad_ref, "refs/heads/main"), (corrupt_loose, "corrupt loose object"), (junk, "not a git repository"),
             (foreign_marker, "format marker")]
    for breaker, reason in cases:
        ok(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", cache))  # healthy again
        breaker()
        p = fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", cache,
                  "--dest", os.path.join(tmp, "wd-" + breaker.__name__))
        r = ok(p)
        check(r.get("cache") == "rebuilt", f"{breaker.__name__}: cache rebuilt (got {r.get('cache')})")
        check(reason in r.get("rebuild_reason", ""), f"{breaker.__name__}: reason {r.get('rebuild_reason')!r} mentions {reason!r}")
        check("was rebuilt" in p.stderr, f"{breaker.__name__}: a warning is logged")
        check(r.get("head_sha") == head, f"{breaker.__name__}: correct head after rebuild")
        check(os.path.exists(os.path.join(tmp, "wd-" + breaker.__name__, "src", "f4.txt")),
              f"{breaker.__name__}: checkout works after rebuild")

    # The same cache key used for another remote: stale, rebuilt.
    r = ok(fetch(server, "--url", server.url_for("group/other"), "--ref", "refs/heads/main",
                 "--cache-dir", cache, "--cache-key", "group/app"))
    check(r.get("cache") == "rebuilt" and "another remote" in r.get("rebuild_reason", ""),
          f"mirror of another remote rebuilt: {r.get('rebuild_reason')}")

    # A long-lived mirror does not pile up packs: past 16 it is compacted, and stays sound.
    compact_cache = os.path.join(tmp, "cache-compact")
    for i in range(18):
        repo.write(f"src/more{i}.txt", f"{i}\n")
        repo.commit(f"more {i}")
        repo.push("main")
        r = ok(fetch(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", compact_cache))
    packs = [f for f in os.listdir(os.path.join(r["git_dir"], "objects", "pack")) if f.endswith(".pack")]
    check(len(packs) <= 3, f"mirror compacted ({len(packs)} packs after 18 fetches)")
    fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=r["git_dir"], capture_output=True, text=True, input="")
    check(fsck.returncode == 0, f"compacted mirror passes git fsck: {fsck.stderr[-300:]}")
    check(r["head_sha"] == repo.head(), "compacted mirror has the newest head")

finish()
print("ok: auth, TLS, 404, network errors are one redacted line; 8 kinds of broken cache rebuilt; packs compacted")
