"""Shared helpers for the integration tests (run by ctest with JIT_AGENT_BIN, JIT_SOURCE_DIR, JIT_SHARED_DATA)."""
import atexit
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


def _sanitizer_build():
    """True when the agent under test links AddressSanitizer (scripts/sanitize.sh's build)."""
    if not AGENT:
        return False
    try:
        out = subprocess.run(["readelf", "-d", AGENT], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out


# An agent built with the sanitizers runs 2-10x slower and holds ASan's shadow memory, quarantine
# (256 MiB by default) and redzones: tests that bound time or memory for the release binary scale
# their bounds by these (never drop them).
SANITIZED = _sanitizer_build()
TIME_FACTOR = 10 if SANITIZED else 1


def memory_bound_mb(release_mb):
    """`release_mb`, the bound set for the release binary, as it applies to the agent under test."""
    return release_mb * 2 + 512 if SANITIZED else release_mb


def require_agent():
    if not AGENT or not os.access(AGENT, os.X_OK):
        print("SKIP: JIT_AGENT_BIN is not set to the built jit-agent (run through ctest)")
        sys.exit(SKIP)


def require_shared_data():
    if not os.path.isdir(SHARED_DATA):
        print(f"SKIP: {SHARED_DATA} is absent (../shared/data is only on CI and developer machines)")
        sys.exit(SKIP)


# ---- the redaction audit ---------------------------------------------------------------------
# Every secret a test sets up (the fake tokens below register themselves; other values through
# secret()) is searched for in everything the agent wrote that a test recorded: its stdout and
# stderr (run_agent, ci_fixture.World.run), its reports and the bodies it posted to the GitLab
# emulator (ci_fixture.World). main() fails the test file when one is found, naming where.
_SECRETS = {}   # value -> what it is
_OUTPUTS = []   # (where, text)
MAX_AUDITED_FILE = 64 << 20


def secret(value, what="a secret the test set up"):
    """Registers `value` (8 characters or more) as a secret the agent must never print; returns it."""
    if isinstance(value, str) and len(value) >= 8:
        _SECRETS.setdefault(value, what)
    return value


def record_output(where, text):
    """Adds agent output (a log, a report, a posted body) to what the audit searches."""
    if text:
        _OUTPUTS.append((where, text if isinstance(text, str) else text.decode("utf-8", "replace")))


def record_files(where, folder):
    """Adds every file under `folder` (what the agent wrote there) to what the audit searches."""
    if not folder or not os.path.isdir(folder):
        return
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                if os.path.islink(path) or os.path.getsize(path) > MAX_AUDITED_FILE:
                    continue
                with open(path, "rb") as f:
                    record_output(f"{where}/{os.path.relpath(path, folder)}", f.read())
            except OSError:
                continue


_summary_printed = False


def _audit_at_exit():
    """Whatever way a test file ends (util.main, unittest.main, its own main), a leak fails it."""
    leaks = audit_leaks()
    if not leaks:
        if _OUTPUTS and not _summary_printed:
            print(f"redaction audit: {len(_SECRETS)} secrets searched in {len(_OUTPUTS)} outputs, no leak")
        return
    for line in leaks:
        print(line)
    sys.stdout.flush()
    os._exit(1)


atexit.register(_audit_at_exit)


def audit_leaks():
    """One line per (secret, output) where a registered secret appears in a recorded output."""
    leaks = []
    for where, text in _OUTPUTS:
        for value, what in _SECRETS.items():
            if value in text:
                leaks.append(f"LEAK: {what} ({value[:4]}...) appears in {where}")
    return leaks


def rand(alphabet, n, seed=None):
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


def fake_gitlab_pat(seed=1):
    """A GitLab-PAT-shaped random value built at run time (never a real credential)."""
    return secret("glpat-" + rand(string.ascii_letters + string.digits, 20, seed), "a fake GitLab token")


def fake_github_pat(seed=2):
    """A ghp_ token with a valid checksum (last 6: base62 CRC-32 of the 30 random characters), so the
    github-pat rule's checksum check keeps it; random, never a real credential."""
    body = rand(string.ascii_letters + string.digits, 30, seed)
    alphabet, value, check = string.digits + string.ascii_uppercase + string.ascii_lowercase, zlib.crc32(body.encode()), ""
    while value:
        value, digit = divmod(value, 62)
        check = alphabet[digit] + check
    return secret("ghp_" + body + check.rjust(6, "0"), "a fake GitHub token")


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
    proc = subprocess.run(cmd, env=full_env, cwd=cwd, capture_output=True, timeout=timeout,
                          text=True, errors="replace")
    if "--show-secrets" not in args:  # the one flag that prints found secrets, on purpose
        label = "jit-agent " + " ".join(str(a) for a in args[:2])
        record_output(label + " (stdout)", proc.stdout)
        record_output(label + " (stderr)", proc.stderr)
    return proc


def main():
    """unittest main that exits 0/1 (and prints a closing line ctest users can read)."""
    require_agent()
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    global _summary_printed
    leaks = audit_leaks()
    _summary_printed = True
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped; redaction audit: "
          f"{len(_SECRETS)} secret{'' if len(_SECRETS) == 1 else 's'} searched in {len(_OUTPUTS)} output"
          f"{'' if len(_OUTPUTS) == 1 else 's'}, {len(leaks)} leak{'' if len(leaks) == 1 else 's'}")
    sys.exit(1 if failed or leaks else 0)
