"""Shared helpers of the hostile-repository tests (test_hostile_repos.py, test_hostile_ci.py): an
agent run measured for wall time, peak RSS (wait4's rusage of that one process) and bytes read
(/proc/PID/io polled while it runs), a table of those figures printed at the end (they go into
docs/security.md), a YAML "billion laughs" document, a git tree bomb, and a check that Markdown
from GitLab comments holds nothing live outside code spans."""
import atexit
import os
import re
import subprocess
import tempfile
import threading
import time

import jit_test_util as util

# Generous bounds: every case takes a few seconds at most on a 2-core CI runner.
MAX_SECONDS = 60
MAX_RSS_MB = 1024
PASSWD_LINE = re.compile(r"root:[^:\n]*:0:0:")  # the first line of /etc/passwd, wherever it is

FIGURES = []  # (case, what the agent did, seconds, peak MiB, MiB read)


class Run:
    """A finished agent run: returncode, stdout, stderr (text), seconds, rss_mb, read_mb."""

    def __init__(self, returncode, stdout, stderr, seconds, rss_mb, read_mb):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.seconds, self.rss_mb, self.read_mb = seconds, rss_mb, read_mb

    def __repr__(self):
        return f"rc={self.returncode} {self.seconds:.2f} s {self.rss_mb:.0f} MiB read {self.read_mb:.0f} MiB"


def _read_chars(pid):
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measured(cmd, env, cwd=None, timeout=MAX_SECONDS * 2):
    """Runs `cmd`, returns a Run. Killed after `timeout` s (util.TIME_FACTOR times that in a
    sanitizer build; returncode -9 then)."""
    timeout *= util.TIME_FACTOR
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        read = [0]
        done = threading.Event()

        def poll():
            while not done.is_set():
                n = _read_chars(proc.pid)
                if n is not None:
                    read[0] = max(read[0], n)
                if time.monotonic() - start > timeout:
                    proc.kill()
                done.wait(0.02)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, usage.ru_maxrss / 1024.0, read[0] / (1 << 20))


def record(case, what, run):
    FIGURES.append((case, what, run.seconds, run.rss_mb, run.read_mb))


def assert_bounded(test, run, max_seconds=MAX_SECONDS, max_rss_mb=MAX_RSS_MB):
    """The release binary's bounds; a sanitizer build gets util.TIME_FACTOR times the time and
    util.memory_bound_mb's allowance."""
    max_seconds *= util.TIME_FACTOR
    max_rss_mb = util.memory_bound_mb(max_rss_mb)
    test.assertNotEqual(-9, run.returncode, f"killed after the timeout: {run}")
    test.assertLess(run.seconds, max_seconds, run)
    test.assertLess(run.rss_mb, max_rss_mb, run)


def _print_figures():
    if not FIGURES:
        return
    print("\nFigures (wall time, peak RSS of the agent, bytes it read):")
    print("| case | what the agent does | time | peak memory | read |")
    print("|---|---|---|---|---|")
    for case, what, seconds, rss, read in FIGURES:
        print(f"| {case} | {what} | {seconds:.2f} s | {rss:.0f} MiB | {read:.1f} MiB |")


atexit.register(_print_figures)


def billion_laughs(levels=9, fan_out=10, key_prefix="lol"):
    """A YAML document whose full expansion has fan_out**levels scalars, in a few hundred bytes."""
    lines = [f'{key_prefix}0: &{key_prefix}0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join(f"*{key_prefix}{i - 1}" for _ in range(fan_out))
        lines.append(f"{key_prefix}{i}: &{key_prefix}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def tree_bomb(git, cwd, levels=8, fan_out=10, leaf=None):
    """Writes a tree of `levels` folders, each holding `fan_out` copies of the same subtree, into
    the repository at `cwd` (fan_out**levels folders, fan_out**(levels+1) paths, ~levels+2
    objects); returns the top tree id. `leaf` is the content of the files at the bottom."""
    blob = git("hash-object", "-w", "--stdin", cwd=cwd, input=leaf or "x\n").strip()
    tree = git("mktree", cwd=cwd, input="".join(f"100644 blob {blob}\tf{i}.txt\n" for i in range(fan_out))).strip()
    for _ in range(levels):
        tree = git("mktree", cwd=cwd, input="".join(f"040000 tree {tree}\td{i}\n" for i in range(fan_out))).strip()
    return tree


def without_code(markdown):
    """`markdown` without its fenced code blocks and inline code spans (CommonMark: a span closes
    at the next backtick run of the same length), i.e. the text GitLab renders as Markdown."""
    text = re.sub(r"(?ms)^(`{3,}|~{3,})[^\n]*\n.*?^\1[`~]*[ \t]*$", "", markdown)
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if text[i] != "`":
            out.append(text[i])
            i += 1
            continue
        run = re.match(r"`+", text[i:]).group(0)
        close = re.compile(r"(?<!`)" + run + r"(?!`)").search(text, i + len(run))
        if not close:
            out.append(run)
            i += len(run)
            continue
        i = close.end()
    return "".join(out)


def live_markdown(markdown):
    """What of `markdown` GitLab would render live outside code: HTML tags, links or images with a
    javascript: target, @mentions, raw control bytes. [] when nothing."""
    text = without_code(markdown)
    problems = []
    # A backslash-escaped "\<" or "\]\(" renders as text; "\@all" still mentions everyone (GitLab
    # finds references in the rendered text), so only a word joiner or a code span defuses @.
    for pattern, what in ((r"(?<!\\)<\s*img", "an <img> tag"), (r"(?i)(?<!\\)\]\(\s*javascript:", "a javascript: link"),
                          (r"(?<!\w)@all\b", "an @all mention"), (r"[\x00-\x08\x0b-\x1f\x7f]", "a control byte")):
        if re.search(pattern, text):
            problems.append(what)
    return problems
