"""Shared set-up of the `jit-agent fetch` integration tests: skip rules and a failure collector."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from git_server import GitServer, git  # noqa: E402,F401  (re-exported for the tests)
import jit_test_util  # noqa: E402  (the redaction audit: every output is searched for the tokens)
from jit_test_util import secret  # noqa: E402,F401  (re-exported for the tests)

BIN = os.environ.get("JIT_AGENT_BIN")
if not BIN or not os.path.exists(BIN):
    print("SKIP: JIT_AGENT_BIN not set")
    sys.exit(77)
if not GitServer.available():
    print("SKIP: nginx, fcgiwrap or git-http-backend not installed (scripts/install-deps.sh --tests)")
    sys.exit(77)

failures = []


def run_agent(args, env, timeout=300):
    """Runs the agent (`args` after the binary) and records its output for the redaction audit."""
    import subprocess
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=timeout)
    jit_test_util.record_output(f"jit-agent {' '.join(args[:2])} (stdout)", p.stdout)
    jit_test_util.record_output(f"jit-agent {' '.join(args[:2])} (stderr)", p.stderr)
    return p


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish():
    """Exits 1 when any check failed."""
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
