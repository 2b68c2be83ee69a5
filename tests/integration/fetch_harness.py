"""Shared set-up of the `jit-agent fetch` integration tests: skip rules and a failure collector."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from git_server import GitServer, git  # noqa: E402,F401  (re-exported for the tests)

BIN = os.environ.get("JIT_AGENT_BIN")
if not BIN or not os.path.exists(BIN):
    print("SKIP: JIT_AGENT_BIN not set")
    sys.exit(77)
if not GitServer.available():
    print("SKIP: nginx, fcgiwrap or git-http-backend not installed (scripts/install-deps.sh --tests)")
    sys.exit(77)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish():
    """Exits 1 when any check failed."""
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
