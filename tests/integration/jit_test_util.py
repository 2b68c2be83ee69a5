"""Shared helpers for the integration tests (run by ctest with JIT_AGENT_BIN, JIT_SOURCE_DIR, JIT_SHARED_DATA)."""
import os
import random
import string
import subprocess
import sys
import unittest
import zlib

AGENT = os.environ.get("JIT_AGENT_BIN", "")
SOURCE_DIR = os.environ.get("JIT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHARED_DATA = os.environ.get("JIT_SHARED_DATA", os.path.join(SOURCE_DIR, "..", "shared", "data"))
SKIP = 77
# The agent spawns nothing but external controls' tools, found in PATH. Tests run it with a PATH
# holding none of them, so the default plan's presets (bandit, shellcheck, ... when installed)
# skip and every other test sees the same findings on every machine; the external-control tests
# give the real PATH (REAL_PATH) on purpose.
REAL_PATH = os.environ.get("PATH", "/usr/bin:/bin")
NO_SCANNERS_PATH = "/nonexistent/jit-agent-tests-without-scanners"


def require_agent():
    if not AGENT or not os.access(AGENT, os.X_OK):
        print("SKIP: JIT_AGENT_BIN is not set to the built jit-agent (run through ctest)")
        sys.exit(SKIP)


def require_shared_data():
    if not os.path.isdir(SHARED_DATA):
        print(f"SKIP: {SHARED_DATA} is absent (../shared/data is only on CI and developer machines)")
        sys.exit(SKIP)


def rand(alphabet, n, seed=None):
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


def fake_gitlab_pat(seed=1):
    """A GitLab-PAT-shaped random value built at run time (never a real credential)."""
    return "glpat-" + rand(string.ascii_letters + string.digits, 20, seed)


def fake_github_pat(seed=2):
    """A ghp_ token with a valid checksum (last 6: base62 CRC-32 of the 30 random characters), so the
    github-pat rule's checksum check keeps it; random, never a real credential."""
    body = rand(string.ascii_letters + string.digits, 30, seed)
    alphabet, value, check = string.digits + string.ascii_uppercase + string.ascii_lowercase, zlib.crc32(body.encode()), ""
    while value:
        value, digit = divmod(value, 62)
        check = alphabet[digit] + check
    return "ghp_" + body + check.rjust(6, "0")


def run_agent(*args, env=None, cwd=None, user=None, timeout=600):
    """Runs jit-agent; returns CompletedProcess with text stdout/stderr."""
    cmd = [AGENT, *args]
    if user is not None:
        import pwd
        import shutil
        pw = pwd.getpwnam(user)
        cmd = [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
               "--clear-groups", "--", *cmd]
    full_env = dict(os.environ)
    full_env["PATH"] = NO_SCANNERS_PATH  # callers that want the tools pass PATH=REAL_PATH in env
    full_env.setdefault("JIT_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "jit-agent-test-cache"))
    if env:
        full_env.update(env)
    return subprocess.run(cmd, env=full_env, cwd=cwd, capture_output=True, timeout=timeout,
                          text=True, errors="replace")


def main():
    """unittest main that exits 0/1 (and prints a closing line ctest users can read)."""
    require_agent()
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(1 if failed else 0)
