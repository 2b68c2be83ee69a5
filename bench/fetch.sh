#!/usr/bin/env bash
# Fetch benchmark: a generated monorepo (50 folders x 1,000 files, 50k files, ~30 MB of text)
# served by the local git smart-HTTP server (nginx + git-http-backend, TLS, basic auth), then, in
# one run: our fetch + sparse checkout of one folder, cold (empty cache) and warm (one new commit,
# cached mirror), against `git clone --depth 1 --filter=blob:none --sparse` + `git sparse-checkout
# set <folder>` with the git CLI over the same server. Medians of --runs runs. Our sparse fetch
# into an empty cache is partial (filter blob:none, then the folder's blobs by id), like the CLI's.
# Usage: bash bench/fetch.sh [--files-per-folder N] [--runs N]   (JIT_AGENT_BIN=... to reuse a build)
set -euo pipefail
cd "$(dirname "$0")/.."
files_per_folder=1000
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files-per-folder) files_per_folder=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/fetch.sh [--files-per-folder N] [--runs N]" >&2; exit 2 ;;
  esac
done

if [[ -z "${JIT_AGENT_BIN:-}" ]]; then
  bash scripts/install-deps.sh --tests >/dev/null
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DJIT_BUILD_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target jit-agent >/dev/null
  JIT_AGENT_BIN=$PWD/build-bench/jit-agent
fi
export JIT_AGENT_BIN FILES_PER_FOLDER=$files_per_folder RUNS=$runs

/usr/bin/python3 - <<'PY'
import json, os, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "support"))
from git_server import GitServer, make_monorepo, git

agent = os.environ["JIT_AGENT_BIN"]
runs = int(os.environ["RUNS"])
per_folder = int(os.environ["FILES_PER_FOLDER"])
token = "glpat-bench-" + os.urandom(8).hex()
folder = "svc-007"

def timed(cmd, env, cwd=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, input="")
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return elapsed, p.stdout

def count_files(root):
    return sum(len(fs) for d, _, fs in os.walk(root) if "/.git" not in d + "/" and not d.endswith("/.git"))

with tempfile.TemporaryDirectory(prefix="jit-bench-fetch-") as tmp, GitServer(os.path.join(tmp, "srv"), token) as server:
    repo = server.create_repo("bench/mono")
    t = time.perf_counter()
    make_monorepo(repo, folders=50, files_per_folder=per_folder)
    gen = time.perf_counter() - t
    url = server.url_for("bench/mono")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(repo.bare) for f in fs)
    print(f"monorepo: {50 * per_folder} files in 50 folders, packed {size / 2**20:.1f} MiB (generated in {gen:.1f} s)")
    print(f"server: {server.url} (nginx + fcgiwrap + git-http-backend, TLS, basic auth); sparse folder: {folder}")

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "JIT_", "GIT_"))}
    ours_env = dict(base_env, JIT_CHECKOUT_TOKEN=token, CI_SERVER_TLS_CA_FILE=server.ca_file)
    git_env = dict(base_env, GIT_SSL_CAINFO=server.ca_file, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1",
                   HOME=tmp)
    auth = ["-c", f"http.extraHeader=Authorization: {server.auth_header()}"]

    def ours(cache, dest):
        shutil.rmtree(dest, ignore_errors=True)
        secs, out = timed([agent, "fetch", "--url", url, "--ref", "refs/heads/main", "--cache-dir", cache,
                           "--dest", dest, "--folder", folder], ours_env)
        return secs, json.loads(out)

    def git_cli(dest):
        shutil.rmtree(dest, ignore_errors=True)
        a, _ = timed(["git", *auth, "clone", "-q", "--depth", "1", "--filter=blob:none", "--sparse", url, dest], git_env)
        b, _ = timed(["git", *auth, "-C", dest, "sparse-checkout", "set", folder], git_env)
        return a + b

    cold_ours, cold_git, files_ours, files_git = [], [], 0, 0
    for i in range(runs):
        cache = os.path.join(tmp, f"cache{i}")
        secs, r = ours(cache, os.path.join(tmp, "ours"))
        cold_ours.append(secs)
        files_ours = count_files(os.path.join(tmp, "ours"))
        cold_git.append(git_cli(os.path.join(tmp, "gitcli")))
        files_git = count_files(os.path.join(tmp, "gitcli"))
        shutil.rmtree(cache)
    print(f"checked out: ours {files_ours} files, git CLI {files_git} files (top-level files included by cone mode)")

    # Warm: one new commit touching the folder, fetched into the kept mirror of the last cold run.
    cache = os.path.join(tmp, "cache-warm")
    ours(cache, os.path.join(tmp, "ours"))
    warm_ours, warm_objects = [], []
    for i in range(runs):
        repo.write(f"{folder}/pkg-00/file-0000.py", f"changed {i}\n")
        repo.write(f"svc-020/new-{i}.py", f"new {i}\n")
        repo.commit(f"one more {i}")
        repo.push("main")
        secs, r = ours(cache, os.path.join(tmp, f"ours-warm{i}"))
        assert r["cache"] == "warm", r
        warm_ours.append(secs)
        warm_objects.append(r["received_objects"])
    # The git CLI's incremental update of its sparse clone, for reference.
    warm_git = []
    for i in range(runs):
        repo.write(f"{folder}/pkg-00/file-0001.py", f"git {i}\n")
        repo.commit(f"git one more {i}")
        repo.push("main")
        a, _ = timed(["git", *auth, "-C", os.path.join(tmp, "gitcli"), "fetch", "-q", "--depth", "1", "origin", "main"], git_env)
        b, _ = timed(["git", *auth, "-C", os.path.join(tmp, "gitcli"), "checkout", "-q", "FETCH_HEAD"], git_env)
        warm_git.append(a + b)

    med = statistics.median
    print()
    print(f"{'':34}{'jit-agent (libgit2)':>22}{'git CLI':>12}{'ratio':>8}")
    print(f"{'cold: fetch + sparse checkout':34}{med(cold_ours):>20.2f} s{med(cold_git):>10.2f} s{med(cold_ours) / med(cold_git):>7.2f}x")
    print(f"{'warm: +1 commit, fetch + checkout':34}{med(warm_ours):>20.2f} s{med(warm_git):>10.2f} s{med(warm_ours) / med(warm_git):>7.2f}x")
    print(f"warm fetch received {med(warm_objects):.0f} objects (median); runs: {runs}")
    print(f"targets: cold within 1.5x of the git CLI -> {'met' if med(cold_ours) <= 1.5 * med(cold_git) else 'NOT met'}; "
          f"warm under 1 s -> {'met' if med(warm_ours) < 1.0 else 'NOT met'}")
PY
