#!/usr/bin/env python3
"""`jit-agent fetch` against a real git smart-HTTP server (nginx + git-http-backend, TLS, basic
auth): MR refs, shallow fetch deepened to the merge base, sparse folders, the per-commit added
lines, a warm mirror fetching only new objects (also through the shallow-history mask), a commit
fetched by id, the event-driven request (TRIGGER_PAYLOAD)."""
import json
import os
import shutil
import subprocess
import tempfile

from fetch_harness import BIN, GitServer, check, finish, run_agent, secret, git

TOKEN = secret("glpat-Zx9TestTokenFetch0001", "the checkout token")



def run(server, *args, env_extra=None, expect=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "JIT_", "TRIGGER_"))}
    env.update({"JIT_CHECKOUT_TOKEN": TOKEN, "CI_SERVER_TLS_CA_FILE": server.ca_file})
    env.update(env_extra or {})
    p = run_agent(["fetch", *args], env)
    if p.returncode != expect:
        print(p.stdout, p.stderr)
    check(p.returncode == expect, f"exit {p.returncode} != {expect} for fetch {' '.join(args)}")
    check(TOKEN not in p.stdout + p.stderr, "token printed")
    return json.loads(p.stdout) if p.returncode == 0 else None


def files_under(root):
    out = set()
    for d, _, fs in os.walk(root):
        for f in fs:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


with tempfile.TemporaryDirectory(prefix="jit-fetch-test-") as tmp, GitServer(os.path.join(tmp, "srv"), TOKEN) as server:
    repo = server.create_repo("group/mono")
    # 120 commits on main touching three folders, so a depth-20 fetch is really shallow.
    for i in range(120):
        repo.write(f"svc-a/file{i % 7}.py", f"value = {i}\n")
        repo.write(f"svc-b/data{i % 5}.txt", f"b {i}\n")
        repo.write("svc-c/README.md", f"c {i}\n")
        repo.commit(f"main {i}")
    fork_point = git("rev-parse", "HEAD~30", cwd=repo.work).strip()
    repo.branch("feature", fork_point)
    repo.write("svc-a/config.py", "token = 'AKIAIOSFODNN7EXAMPLE'\n")
    repo.commit("add a key")
    repo.write("svc-a/config.py", "token = os.environ['TOKEN']\n")
    mr_head = repo.commit("remove the key")
    repo.push("main", "feature")
    repo.merge_request(7, "feature")
    url = server.url_for("group/mono")
    cache = os.path.join(tmp, "cache")

    # 1. MR: head ref + target branch, shallow then deepened to the merge base; sparse svc-a.
    wd = os.path.join(tmp, "wd1")
    r = run(server, "--url", url, "--ref", "refs/merge-requests/7/head", "--sha", mr_head,
            "--base-ref", "refs/heads/main", "--cache-dir", cache, "--dest", wd, "--folder", "/svc-a", "--diff")
    check(r["cache"] == "cold", "first fetch is cold")
    check(r["head_sha"] == mr_head, "MR head fetched")
    check(r["merge_base"] == fork_point, f"merge base {r['merge_base']} == fork point {fork_point}")
    check(r["deepen_rounds"] >= 1, "fork point 31 deep needed at least one deepening")
    check(r["shallow"], "the mirror stays shallow (120 commits, depth < 120)")
    on_disk = files_under(wd)
    check(on_disk and all(p.startswith("svc-a/") for p in on_disk), f"only svc-a written: {sorted(on_disk)[:5]}")
    check("svc-a/config.py" in on_disk, "MR file checked out")
    check(not os.path.exists(os.path.join(wd, "svc-b")), "svc-b not written")
    check(r["files_written"] == len(on_disk), "files_written counts what is on disk")
    diff = r["diff"]
    check([f["path"] for f in diff["files"]] == ["svc-a/config.py"], f"diff files {diff['files']}")
    added = [(c["path"], c["lines"], c["text"]) for c in diff["added_per_commit"]]
    check(("svc-a/config.py", [1], "token = 'AKIAIOSFODNN7EXAMPLE'\n") in added,
          "the key added then removed is in the per-commit added lines")
    check(diff["files"][0]["added"] == [[1, 1]], "final diff adds line 1")

    # 2. Warm: one new commit on main, fetched like a default-branch push: only new objects.
    repo.switch("main")
    repo.write("svc-a/new.py", "print('new')\n")
    new_main = repo.commit("one more")
    repo.push("main")
    wd2 = os.path.join(tmp, "wd2")
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--sha", new_main, "--cache-dir", cache,
            "--dest", wd2, "--folder", "svc-a")
    check(r["cache"] == "warm", "second fetch uses the mirror")
    check(r["head_sha"] == new_main, "new main fetched")
    # The partial mirror also fetches svc-a's files at main's tip (the first run read the MR's).
    check(r["partial"] and r["received_objects"] <= 15, f"warm fetch received {r['received_objects']} objects")
    check(os.path.exists(os.path.join(wd2, "svc-a", "new.py")), "new file checked out")
    repo.write("svc-a/new.py", "print('newer')\n")
    new_main = repo.commit("one more again")
    repo.push("main")
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--sha", new_main, "--cache-dir", cache,
            "--dest", os.path.join(tmp, "wd2b"), "--folder", "svc-a")
    check(r["received_objects"] <= 5, f"warm fetch of one commit received {r['received_objects']} objects "
                                      "(commit, 2 trees, 1 blob)")
    print(f"warm fetch of one new commit: {r['received_objects']} objects")

    # 3. Warm MR over a shallow mirror with more than 19 commits of history: the shallow mask.
    repo.branch("feature2", new_main)
    repo.write("svc-b/extra.txt", "password = hunter2hunter2\n")
    mr2_head = repo.commit("feature 2")
    repo.push("feature2")
    repo.merge_request(8, "feature2")
    r = run(server, "--url", url, "--ref", "refs/merge-requests/8/head", "--base-ref", "refs/heads/main",
            "--cache-dir", cache, "--diff")
    check(r["cache"] == "warm", "third fetch warm")
    check(r["head_sha"] == mr2_head and r["merge_base"] == new_main, "MR 2 head and merge base")
    check(r["received_objects"] < 100, f"warm MR fetch received {r['received_objects']} objects")
    print(f"warm MR fetch over a shallow mirror: {r['received_objects']} objects, {r['deepen_rounds']} deepening rounds")
    check([f["path"] for f in r["diff"]["files"]] == ["svc-b/extra.txt"], "MR 2 diff")
    mirror_refs = git("for-each-ref", "--format=%(refname)", cwd=r["git_dir"]).split()
    check("refs/merge-requests/8/head" in mirror_refs, "current MR ref kept in the mirror")
    fsck = subprocess.run(["git", "fsck", "--connectivity-only", "--no-dangling"], cwd=r["git_dir"],
                          capture_output=True, text=True)
    check(fsck.returncode == 0, f"mirror passes git fsck after masked fetches: {fsck.stdout[-500:]} {fsck.stderr[-500:]}")

    # 4. The MR ref moved on after the event: the event's sha is fetched by id.
    repo.switch("feature2")
    repo.write("svc-b/extra.txt", "moved on\n")
    repo.commit("later")
    repo.push("feature2")
    repo.merge_request(8, "feature2")
    r = run(server, "--url", url, "--ref", "refs/merge-requests/8/head", "--sha", mr2_head,
            "--base-ref", "refs/heads/main", "--cache-dir", cache)
    check(r["head_sha"] == mr2_head, "older sha of the event is scanned, not the moved ref")

    # 5. A push event without any cache (cold, depth 1) and a missing ref.
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", os.path.join(tmp, "cache2"),
            "--dest", os.path.join(tmp, "wd5"))
    check(r["depth"] == 1 and r["head_sha"] == new_main, "push fetch is depth 1")
    check(len(files_under(os.path.join(tmp, "wd5"))) == 7 + 1 + 5 + 1, "full checkout without --folder")
    run(server, "--url", url, "--ref", "refs/merge-requests/99/head", "--cache-dir", cache, expect=3)

    # 6. From the event: an MR webhook body in TRIGGER_PAYLOAD, CI_SERVER_URL = the server.
    payload = os.path.join(tmp, "payload.json")
    with open(payload, "w") as f:
        json.dump({"object_kind": "merge_request",
                   "project": {"id": 42, "path_with_namespace": "group/mono",
                               "git_http_url": "http://gitlab.example.com/group/mono.git", "default_branch": "main"},
                   "object_attributes": {"iid": 7, "source_branch": "feature", "target_branch": "main",
                                         "last_commit": {"id": mr_head}, "action": "open", "state": "opened"}}, f)
    r = run(server, "--from-event", "--dest", os.path.join(tmp, "wd6"), "--folder", "svc-a",
            env_extra={"TRIGGER_PAYLOAD": payload, "CI_SERVER_URL": server.url, "JIT_CACHE_DIR": os.path.join(tmp, "cache3")})
    check(r["head_sha"] == mr_head and r["merge_base"] == fork_point, "event-driven MR fetch")
    check(r["git_dir"].endswith("/42.git"), f"mirror named by project id: {r['git_dir']}")

    # 7. Deepening is bounded: with no rounds allowed, the whole history is fetched at once.
    r = run(server, "--url", url, "--ref", "refs/merge-requests/7/head", "--base-ref", "refs/heads/main",
            "--cache-dir", os.path.join(tmp, "cache4"), "--depth", "2", "--max-deepen", "0")
    check(r["unshallowed"] and r["deepen_rounds"] == 1, f"bounded deepening ends in one unshallow: {r}")
    check(not r["shallow"] and r["merge_base"] == fork_point, "complete history after unshallow")

    # 8. Partial mirror: a sparse fetch into an empty cache brings commits and trees, then only
    #    the blobs of the folder (plus top-level files); more folders are fetched on demand.
    pcache = os.path.join(tmp, "cache-partial")
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", pcache,
            "--dest", os.path.join(tmp, "wd8"), "--folder", "svc-c")
    check(r["partial"], "sparse fetch makes a partial mirror")
    blob_b = git("rev-parse", f"{new_main}:svc-b/data0.txt", cwd=repo.work).strip()
    blob_c = git("rev-parse", f"{new_main}:svc-c/README.md", cwd=repo.work).strip()
    # (without the promisor setting, git would try to fetch a missing blob itself)
    has = lambda oid: subprocess.run(["git", "-c", "remote.origin.promisor=false", "cat-file", "-e", oid],
                                     cwd=r["git_dir"], input="", capture_output=True).returncode == 0
    check(has(blob_c) and not has(blob_b), "only the selected folder's blobs are in the mirror")
    check(files_under(os.path.join(tmp, "wd8")) == {"svc-c/README.md"}, "svc-c checked out")
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", pcache,
            "--dest", os.path.join(tmp, "wd8b"), "--folder", "svc-c", "--materialize", "svc-b")
    check(has(blob_b), "materialize fetched svc-b's blobs")
    check(len([p for p in files_under(os.path.join(tmp, "wd8b")) if p.startswith("svc-b/")]) == 5, "svc-b checked out")
    fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=r["git_dir"], capture_output=True, text=True, input="")
    check(fsck.returncode == 0, f"partial mirror passes git fsck (promisor packs): {fsck.stdout[-300:]}")
    # A server that cannot filter: the same request falls back to a complete fetch.
    git("config", "uploadpack.allowFilter", "false", cwd=repo.bare)
    r = run(server, "--url", url, "--ref", "refs/heads/main", "--cache-dir", os.path.join(tmp, "cache-nofilter"),
            "--folder", "svc-c")
    check(not r["partial"], "no filter capability: complete mirror")
    git("config", "uploadpack.allowFilter", "true", cwd=repo.bare)

finish()
print("ok: fetch, deepen, unshallow, sparse, per-commit lines, warm mirror, shallow mask, fetch by id, event")
