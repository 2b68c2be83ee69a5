"""Faults and soak (issue 13): many consecutive `jit-agent ci` runs on one merge request, a random
mix of MR opens and updates (new commits, some adding secrets, some removing them) and notes, with
the emulator injecting faults at random (5xx, 429 with Retry-After, connection resets, answers
slower than the timeout, truncated JSON, answers lost after GitLab applied the request) and some
jobs killed with SIGKILL at a random moment. After every run: the exit code is one the contract
allows (0/1, or 4 when posting finally failed; never a crash), and when the scan ran the reports on
disk are complete and valid JSON. At the end, after one clean run: exactly one thread per finding of
the branch and one summary note (counted from the emulator's state), and the git mirror (which
killed jobs may have left half-written) still serves. Peak RSS and open file descriptors of each
run are measured (polling /proc) and must stay flat across the runs.

CI runs a short soak (JIT_SOAK_RUNS, default 16); `python3 tests/integration/test_ci_soak.py
--runs 200` is the full one (its figures are in docs/security.md)."""
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ci_fixture as fx  # noqa: E402
import jit_test_util as util  # noqa: E402

IID = 44
RUNS = int(os.environ.get("JIT_SOAK_RUNS", "16"))
SEED = int(os.environ.get("JIT_SOAK_SEED", "20261202"))
ALLOWED = {0, 1, 4}


def measured(cmd, env, kill_after=None):
    """Runs cmd; polls /proc for its RSS and open descriptors. (returncode, stdout+stderr, peak RSS
    in MiB, peak fds, seconds). kill_after: SIGKILL after that many seconds."""
    start = time.monotonic()
    with open(os.devnull, "rb") as devnull:
        p = subprocess.Popen(cmd, env=env, stdin=devnull, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []
    import threading
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)
    reader.start()
    peak_fds = 0
    killed = False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        try:
            peak_fds = max(peak_fds, len(os.listdir(f"/proc/{p.pid}/fd")))
        except OSError:
            pass
        if kill_after is not None and not killed and time.monotonic() - start >= kill_after:
            p.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.01)
    p.returncode = status  # reaped here: Popen must not wait again
    reader.join(10)
    p.stdout.close()
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    text = (out[0] if out else b"").decode("utf-8", "replace")
    return code, text, usage.ru_maxrss / 1024.0, peak_fds, time.monotonic() - start


class SoakTest(unittest.TestCase):
    def setUp(self):
        self.world = fx.World().__enter__()
        self.rng = random.Random(SEED)
        r = self.world.repo
        r.write("app/main.py", "print('hello')\n")
        self.main = r.commit("initial")
        r.push("main")
        r.branch("feature")
        self.secrets = {}  # path -> secret currently in the branch
        self.seq = 0
        self.head = self.commit_change(add=True)
        r.merge_request(IID, "feature")
        self.world.register_mr(IID, self.main, self.head)

    def tearDown(self):
        self.world.__exit__(None, None, None)

    def commit_change(self, add):
        r = self.world.repo
        self.seq += 1
        if add or not self.secrets:
            path = f"app/conf_{self.seq}.py"
            token = util.fake_github_pat(1000 + self.seq)
            r.write(path, f"TOKEN = '{token}'\n")
            self.secrets[path] = token
        else:
            path = self.rng.choice(sorted(self.secrets))
            r.remove(path)
            del self.secrets[path]
        head = r.commit(f"change {self.seq}")
        r.push("feature")
        return head

    FAULTS = [
        dict(method="GET", path="/discussions$", status=502),
        dict(method="GET", path="/notes$", status=503, times=2),
        dict(method="POST", path="/discussions$", status=500),
        dict(method="POST", path="/statuses/", reset=True),
        dict(method="GET", path="/versions$", status=429, retry_after=1),
        dict(method="GET", path="/discussions$", delay=1.5),              # longer than the 1 s timeout
        dict(method="GET", path="/notes$", status=200, body='[{"id": 1, "body": "trunc'),  # truncated JSON
        dict(method="GET", path="/versions$", status=200, body='[{"id": 4, "head_commit_sha"'),
        dict(method="POST", path="/discussions$", status=502, after=True),  # applied, answer lost
        dict(method="POST", path="/notes$", reset=True, after=True),
        dict(method="PUT", path="/notes/", status=500, after=True),
        dict(method="PUT", path="/discussions/", status=503),
        dict(method="POST", path="/variables", status=500),                 # never matches: harmless
        dict(method="GET", path="/variables$", status=500, times=5),
    ]

    def inject(self):
        api = self.world.api
        with api.lock:
            api.faults.clear()
        chosen = self.rng.sample(self.FAULTS, self.rng.randint(0, 3))
        for f in chosen:
            api.add_fault(**{k: v for k, v in f.items()})
        return len(chosen)

    def test_soak(self):
        runs = int(os.environ.get("JIT_SOAK_RUNS_OVERRIDE", RUNS))
        stats = []   # (kind, code, rss, fds, seconds, faults)
        killed = 0
        for i in range(runs):
            # Every 8th job is killed at a random moment (the next ones must still work).
            kind = "kill" if i % 8 == 5 else self.rng.choices(["update", "rerun", "note"], weights=[4, 3, 2])[0]
            if kind == "update":  # a push to the branch: GitLab sends "update" with the old head
                before = self.head
                self.head = self.commit_change(add=self.rng.random() < 0.6)
                self.world.register_mr(IID, self.main, self.head)
                payload = self.world.mr_payload(IID, self.head, action="update", oldrev=before)
            elif kind == "note":
                payload = self.world.note_payload(IID, self.head, f"looks fine to me, run {i}")
            else:  # a retried pipeline of the MR, or a killed one
                payload = self.world.mr_payload(IID, self.head, action="open")
            faults = 0 if kind == "kill" else self.inject()
            env = self.world.env(payload, JIT_API_TIMEOUT_SECONDS="1", JIT_API_MAX_ATTEMPTS="4",
                                 JIT_API_RETRY_MAX_SECONDS="8")
            for name in fx.REPORTS:
                try:
                    os.remove(os.path.join(self.world.out, name))
                except FileNotFoundError:
                    pass
            kill_after = self.rng.uniform(0.05, 1.2) if kind == "kill" else None
            code, log, rss, fds, secs = measured([util.AGENT, "ci"], env, kill_after)
            util.record_output(f"soak run {i} ({kind})", log)
            stats.append((kind, code, rss, fds, secs, faults))
            if kind == "kill":
                killed += 1 if code == -signal.SIGKILL else 0
                continue
            self.assertIn(code, ALLOWED, f"run {i} ({kind}, {faults} faults): exit {code}\n{log[-3000:]}")
            self.assertNotIn("Traceback", log)
            if kind != "note" and code != 4:
                for name in fx.REPORTS:
                    with open(os.path.join(self.world.out, name)) as f:
                        json.load(f)  # complete, valid
            if code == 4:
                self.assertIn("posting results failed", log)

        # One clean run: the MR's threads and summary settle exactly.
        with self.world.api.lock:
            self.world.api.faults.clear()
        code, log, rss, fds, secs = measured([util.AGENT, "ci"], self.world.env(self.world.mr_payload(IID, self.head, action="open")))
        util.record_output("soak: the final clean run", log)
        self.assertIn(code, (0, 1), log[-3000:])
        discussions = self.world.api.discussions(fx.PROJECT_ID, IID)
        threads = [d for d in discussions if not d["individual_note"]]
        summaries = [d for d in discussions if d["individual_note"]
                     and d["notes"][0]["body"].startswith("<!-- jit-agent:summary -->")]
        self.assertEqual(1, len(summaries), [d["notes"][0]["body"][:80] for d in discussions if d["individual_note"]])
        markers = [re.match(r"<!-- jit-agent:fingerprint=([0-9a-f]{64}) -->", t["notes"][0]["body"]) for t in threads]
        fingerprints = [m.group(1) for m in markers if m]
        self.assertEqual(len(fingerprints), len(set(fingerprints)), "a finding has two threads")
        open_threads = [t for t in threads if not t["notes"][0].get("resolved")]
        self.assertEqual(len(self.secrets), len(open_threads),
                         f"{len(self.secrets)} secrets in the branch, {len(open_threads)} open threads")
        # Flat: the last scans need no more memory or descriptors than the first ones. (Notes are
        # skipped at once; killed runs are cut short: neither says anything about growth.) The
        # mirror gains a pack per fetch until the agent compacts it, and libgit2 keeps each open:
        # descriptors may rise by that bounded amount, never with the number of runs.
        ran = [s for s in stats if s[0] in ("update", "rerun")]
        k = max(3, len(ran) // 4)
        first, last = ran[:k], ran[-k:]
        rss_first, rss_last = max(s[2] for s in first), max(s[2] for s in last)
        fds_first, fds_last = max(s[3] for s in first), max(s[3] for s in last)
        codes = {}
        for s in stats:
            codes[s[1]] = codes.get(s[1], 0) + 1
        print(f"soak: {len(stats)} runs ({killed} killed with SIGKILL), exit codes {dict(sorted(codes.items()))}, "
              f"{sum(s[5] for s in stats)} faults injected, {sum(s[4] for s in stats):.1f} s; peak RSS first/last "
              f"quarter {rss_first:.1f}/{rss_last:.1f} MiB (max {max(s[2] for s in ran):.1f}); peak fds "
              f"{fds_first}/{fds_last}; {len(fingerprints)} threads, {len(open_threads)} open, 1 summary note")
        self.assertLessEqual(rss_last, rss_first * 1.25 + 8, "RSS grows across runs")
        self.assertLessEqual(fds_last, fds_first + 16, "descriptors grow across runs")
        self.assertLess(max(s[3] for s in ran), 64)


if __name__ == "__main__":
    if "--runs" in sys.argv:
        i = sys.argv.index("--runs")
        os.environ["JIT_SOAK_RUNS_OVERRIDE"] = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    fx.require_everything()
    util.main()
