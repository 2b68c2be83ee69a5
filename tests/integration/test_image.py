"""The container image (Dockerfile) built with podman/buildah and run: version, a rule database
loaded from the cache warmed at build time, a scan of a mounted folder, non-root, no compiler.

No Docker engine is needed: podman runs with runc + cgroupfs, the host network, vfs storage in a
scratch folder and registries.conf blocking every remote registry, so nothing is ever pulled. The
base image `debian:bookworm-slim` is made offline with debootstrap and imported under its Docker Hub
name. Kept between runs in $JIT_IMAGE_CACHE_DIR (default /var/tmp/jit-agent-image-cache): the base
image (storage + a rootfs tarball) and the builder's ccache, so a second run only recompiles what
changed. Everything else this test makes (the image, containers) is removed at the end.

Skips (exit 77) when not root, when podman/buildah/runc/debootstrap are missing or cannot run here,
or when the Debian mirror (the host's apt sources, scripts/podman-env.sh) cannot be reached. Where
the image builds but no container can start (probed with `podman run --rm BASE true`, bounded: a
container without the right to mount /proc, as in GitLab's Docker executor), only the build checks
run (metadata, the binary runs `--version` through `buildah run`) and the test exits 77 saying so.
One image build per run (several minutes when cold).
"""
import fcntl
import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jit_test_util as util  # noqa: E402

CACHE = os.environ.get("JIT_IMAGE_CACHE_DIR", "/var/tmp/jit-agent-image-cache")
PODMAN_ENV = os.path.join(util.SOURCE_DIR, "scripts", "podman-env.sh")
PROBE_TIMEOUT = 60
BUILD_TIMEOUT = 2100  # below ctest's TIMEOUT (2400 s, tests/CMakeLists.txt): the cleanup still runs
RUN_SKIP = None  # why containers cannot run here (the run cases skip), None when they can
WHERE = "run the image tests on a VM or in a privileged container (podman run --privileged)"
BASE = "docker.io/library/debian:bookworm-slim"
TAG = f"localhost/jit-agent-test:{os.getpid()}-{secrets.token_hex(3)}"
NETWORK_FAILURE = ("Could not resolve", "Failed to fetch", "Temporary failure resolving",
                   "Unable to locate package", "Network is unreachable",
                   # npm (the tools stage): no reachable registry, or TLS intercepted by a CA the
                   # build cannot trust (npm 9 writes "npm ERR! code X", npm 10+ "npm error code X")
                   *(f"npm {p} code {c}" for p in ("ERR!", "error")
                     for c in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                               "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                               "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT")),
                   "npm error network", "npm ERR! network")
MAX_IMAGE_MB = 400  # issue 8: the image with bandit, flawfinder, shellcheck and eslint stays below it
TIMINGS = {}


def skip(message):
    print(f"SKIP: {message}")
    sys.exit(util.SKIP)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Podman:
    """podman/buildah configured by scripts/podman-env.sh (runc, cgroupfs, vfs, registries blocked),
    all state under root."""

    def __init__(self, root):
        self.root = root
        p = subprocess.run(["bash", PODMAN_ENV, "env", root], capture_output=True, text=True, check=True)
        self.env = dict(os.environ, **dict(line.split("=", 1) for line in p.stdout.splitlines()))

    def run(self, *args, input=None, timeout=600, check=False, tool="podman"):
        p = subprocess.run([tool, *args], env=self.env, input=input, capture_output=True,
                           text=True, errors="replace", timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def image_exists(self, name):
        return self.run("image", "exists", name).returncode == 0


def ensure_base_image(pm):
    """debian:bookworm-slim in the scratch storage: from the cached rootfs tarball, else debootstrap
    from the host's Debian mirror (scripts/podman-env.sh)."""
    if pm.image_exists(BASE):
        return "cached"
    t0 = time.monotonic()
    fresh = not os.path.exists(os.path.join(CACHE, "bookworm-minbase.tar"))
    p = subprocess.run(["bash", PODMAN_ENV, "base-image", CACHE, CACHE, BASE], capture_output=True,
                       text=True, timeout=1800)
    if p.returncode == 3:
        skip(f"no base image ({WHERE}): {p.stderr.strip()[-600:]}")
    if p.returncode != 0:
        raise AssertionError(f"podman-env.sh base-image failed ({p.returncode}): {p.stderr}")
    if fresh:
        TIMINGS["debootstrap_s"] = round(time.monotonic() - t0, 1)
        return "made with debootstrap"
    return "imported from the cached rootfs"


def probe_run(pm):
    """None when a trivial container of the base image starts, else why not (one line)."""
    try:
        p = pm.run("run", "--rm", BASE, "true", timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"`podman run --rm {BASE} true` did not finish in {PROBE_TIMEOUT} s"
    if p.returncode == 0:
        return None
    last = [line for line in p.stderr.strip().splitlines() if line.strip()][-1:] or [f"exit {p.returncode}"]
    return f"`podman run` cannot start a container here ({last[0][-300:]})"


def needs_run(test):
    """A case that starts a container of the image: skipped where containers cannot run."""
    @functools.wraps(test)
    def wrapper(self, *args, **kwargs):
        if RUN_SKIP:
            self.skipTest(RUN_SKIP)
        return test(self, *args, **kwargs)
    return wrapper


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pm = PM
        cls.inspect = json.loads(PM.run("image", "inspect", TAG, check=True).stdout)[0]

    def run_image(self, *args, entrypoint=None, volumes=(), timeout=300):
        cmd = ["run", "--rm"]
        if entrypoint is not None:
            cmd += ["--entrypoint", entrypoint]
        for v in volumes:
            cmd += ["-v", v]
        return self.pm.run(*cmd, TAG, *args, timeout=timeout)

    def buildah_run(self, *cmd):
        """cmd in a working container of the image with buildah's chroot isolation (no runtime,
        no mounts of /proc needed): where `podman run` cannot, this still checks the binary."""
        frm = self.pm.run("from", "--pull=never", "--quiet", TAG, tool="buildah", timeout=300)
        if frm.returncode != 0:
            self.skipTest(f"buildah from cannot run here: {frm.stderr.strip()[-300:]}")
        ctr = frm.stdout.strip().splitlines()[-1]
        try:
            probe = self.pm.run("run", "--isolation", "chroot", ctr, "--", "true", tool="buildah", timeout=120)
            if probe.returncode != 0:
                self.skipTest(f"buildah run cannot run here: {probe.stderr.strip()[-300:]}")
            return self.pm.run("run", "--isolation", "chroot", ctr, "--", *cmd, tool="buildah", timeout=120)
        finally:
            self.pm.run("rm", ctr, tool="buildah")

    def test_binary_runs_in_the_image_through_buildah(self):
        p = self.buildah_run("jit-agent", "--version")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("jit-agent 0.1.0", p.stdout)

    @needs_run
    def test_version(self):
        p = self.run_image("version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("jit-agent 0.1.0", p.stdout)
        self.assertRegex(p.stdout, r"libgit2 1\.8\.\d+")
        self.assertRegex(p.stdout, r"vectorscan 5\.\d+")

    @needs_run
    def test_rules_check_loads_the_database_warmed_at_build_time(self):
        t0 = time.monotonic()
        p = self.run_image("-v", "rules", "check")
        TIMINGS["rules_check_run_s"] = round(time.monotonic() - t0, 2)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("0 failures", p.stdout)
        self.assertIn("loaded from the compiled cache in /var/cache/jit-agent/hsdb", p.stderr)
        self.assertNotIn("compiled ", p.stderr.replace("loaded from the compiled cache", ""))

    @needs_run
    def test_scan_of_a_mounted_folder_finds_a_planted_token_redacted(self):
        token = util.fake_gitlab_pat(int.from_bytes(secrets.token_bytes(4), "big"))
        folder = tempfile.mkdtemp(prefix="jit-image-scan-")
        try:
            write(os.path.join(folder, "app", "settings.py"), f'DEBUG = False\nGITLAB_TOKEN = "{token}"\n')
            write(os.path.join(folder, "README.md"), "nothing secret here\n")
            for dirpath, _, files in os.walk(folder):  # the image runs as uid 10001
                os.chmod(dirpath, 0o755)
                for name in files:
                    os.chmod(os.path.join(dirpath, name), 0o644)
            p = self.run_image("scan", "/src", "--format", "json", volumes=[f"{folder}:/src:ro"])
            self.assertEqual(p.returncode, 1, p.stderr)  # a finding at or above the default --fail-on
            report = json.loads(p.stdout)
            hits = [f for f in report["findings"] if f["path"] == "app/settings.py"]
            self.assertEqual(len(hits), 1, report)
            self.assertEqual(hits[0]["line"], 2)
            self.assertNotIn(token, p.stdout + p.stderr)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @needs_run
    def test_ci_with_a_skipped_event_as_gitlab_runs_it(self):
        # GitLab's template overrides the entrypoint and runs the script in a shell.
        event = json.dumps({"version": 1, "kind": "merge_request",
                            "project": {"id": 3, "path": "g/app"},
                            "merge_request": {"iid": 1, "head_sha": "a" * 40, "state": "merged",
                                                  "source_branch": "feature", "target_branch": "main"}})
        p = self.pm.run("run", "--rm", "--entrypoint", "", "-e", f"JIT_EVENT={event}", "-e",
                        "CI_PIPELINE_SOURCE=api", "-e", "CI_PROJECT_DIR=/tmp", TAG,
                        "sh", "-c", "jit-agent ci")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("merge request is merged", p.stdout + p.stderr)

    @needs_run
    def test_template_scan_job_in_the_image(self):
        """templates/.gitlab-ci.yml's jit-scan job (variables, before_script, script) run in the image
        as a Docker-executor runner would: a webhook push fetched over HTTPS with the token from
        the git server, reports in the job folder, statuses posted, rules never compiled."""
        import ci_fixture as fx
        if not fx.GitServer.available() or not os.path.isdir(util.SHARED_DATA):
            self.skipTest("nginx/fcgiwrap or ../shared/data missing")
        with open(os.path.join(util.SOURCE_DIR, "templates", ".gitlab-ci.yml")) as f:
            pipeline = yaml.safe_load(f)
        base, job = pipeline[".jit-agent"], pipeline["jit-scan"]
        project_dir = "/builds/security/jit"
        variables = {k: (v["value"] if isinstance(v, dict) else v) for k, v in pipeline["variables"].items()}
        variables.update({k: v.replace("$CI_PROJECT_DIR", project_dir) for k, v in base["variables"].items()})
        script = "\n".join(base["before_script"] + job["script"])
        with fx.World() as world:
            secret = util.fake_github_pat(int.from_bytes(secrets.token_bytes(4), "big"))
            world.repo.write("app/settings.py", f'TOKEN = "{secret}"\n')
            first = world.repo.commit("initial")
            world.repo.write("README.md", "# app\n")
            head = world.repo.commit("readme")
            world.repo.push("main")
            payload = world.push_payload(first, head)
            os.chmod(world.out, 0o777)  # the runner creates the job folder world-writable (umask 0000)
            for path in (payload, world.git.ca_file):
                os.chmod(path, 0o644)
            variables.update({
                "CI_PIPELINE_SOURCE": "trigger", "CI_PROJECT_DIR": project_dir,
                "TRIGGER_PAYLOAD": "/run/trigger/payload.json", "CI_SERVER_TLS_CA_FILE": "/run/trigger/ca.crt",
                "CI_SERVER_URL": world.git.url, "CI_API_V4_URL": world.api.api_url, "CI_JOB_URL": fx.JOB_URL,
                "JIT_CHECKOUT_TOKEN": world.token, "JIT_AGENT_FLAGS": "-v"})
            cmd = ["run", "--rm", "--entrypoint", "", "-w", project_dir,
                   "-v", f"{world.out}:{project_dir}", "-v", f"{payload}:/run/trigger/payload.json:ro",
                   "-v", f"{world.git.ca_file}:/run/trigger/ca.crt:ro"]
            for k, v in variables.items():
                cmd += ["-e", f"{k}={v}"]
            p = self.pm.run(*cmd, TAG, "sh", "-e", "-c", script, timeout=300)
            log = p.stdout + p.stderr
            self.assertEqual(p.returncode, 1, log)  # findings: the job's allowed failure
            self.assertIn(f"rules loaded from the compiled cache in {project_dir}/.jit-cache/hsdb", log)
            self.assertNotRegex(log, r"secrets: compiled \d+ rules")
            self.assertIn("scan (full tree", log)
            for name in ("gl-secret-detection-report.json", "jit-agent.sarif", "jit-agent.json"):
                self.assertTrue(os.path.isfile(os.path.join(world.out, name)), name)
            self.assertTrue(os.path.isdir(os.path.join(world.out, ".jit-cache", f"{fx.PROJECT_ID}.git")))
            self.assertEqual(["running", "failed"], [s["status"] for s in world.api.statuses(fx.PROJECT_ID, head)])
            self.assertNotIn(world.token, log)
            self.assertNotIn(secret, log)

    def test_configured_user_is_not_root(self):
        self.assertEqual(self.inspect["Config"].get("User"), "10001:10001")

    @needs_run
    def test_runs_as_non_root(self):
        p = self.run_image("-c", "id -u; id -g; echo $HOME $JIT_CACHE_DIR $JIT_DB_DIR; pwd",
                           entrypoint="/bin/sh")
        self.assertEqual(p.returncode, 0, p.stderr)
        uid, gid, env_line, cwd = p.stdout.split("\n")[:4]
        self.assertEqual((uid, gid), ("10001", "10001"))
        self.assertEqual(env_line, "/home/jit /var/cache/jit-agent /var/lib/jit-agent/osv")
        self.assertEqual(cwd, "/scan")

    @needs_run
    def test_runtime_holds_no_compiler_and_no_dev_packages(self):
        p = self.run_image("-c", "for t in cc c++ gcc g++ clang cmake make ld as git; do "
                           "command -v $t; done; dpkg-query -W -f '${Package}\\n'",
                           entrypoint="/bin/sh")
        lines = p.stdout.split()
        tools = [l for l in lines if l.startswith("/")]
        self.assertEqual(tools, [], "build tools in the runtime image")
        packages = set(lines)
        for forbidden in ("gcc", "g++", "gcc-12", "g++-12", "cpp-12", "binutils", "cmake", "git", "ccache"):
            self.assertNotIn(forbidden, packages)
        self.assertEqual([p for p in packages if p.endswith("-dev")], [])
        for needed in ("libgit2-1.8", "libvectorscan5", "libre2-9", "ca-certificates"):
            self.assertIn(needed, packages)

    def test_metadata(self):
        config = self.inspect["Config"]
        self.assertEqual(config["Entrypoint"], ["jit-agent"])
        labels = config.get("Labels") or {}
        self.assertEqual(labels.get("org.opencontainers.image.title"), "jit-agent")
        self.assertEqual(labels.get("org.opencontainers.image.version"), "0.1.0")
        env = dict(e.split("=", 1) for e in config["Env"])
        self.assertEqual(env.get("JIT_CACHE_DIR"), "/var/cache/jit-agent")
        self.assertEqual(env.get("JIT_DB_DIR"), "/var/lib/jit-agent/osv")
        TIMINGS["image_size_mb"] = round(self.inspect["Size"] / 1e6, 1)
        self.assertLess(self.inspect["Size"] / 1e6, MAX_IMAGE_MB, "image size")

    @needs_run
    def test_external_tools_are_installed_and_run(self):
        p = self.run_image("version")
        self.assertEqual(p.returncode, 0, p.stderr)
        for tool in ("bandit", "flawfinder", "shellcheck", "eslint"):
            line = next((l for l in p.stdout.splitlines() if l.startswith(tool + " ")), "")
            self.assertTrue(line and "not installed" not in line, f"{tool}: {line!r}\n{p.stdout}")
        folder = tempfile.mkdtemp(prefix="jit-image-sast-")
        try:
            write(os.path.join(folder, "app.py"), "import subprocess\n\ndef run(cmd):\n"
                  "    return subprocess.call(cmd, shell=True)\n")
            write(os.path.join(folder, "deploy.sh"), "#!/bin/sh\nrm -rf $TARGET/*\n")
            write(os.path.join(folder, "copy.c"), "#include <string.h>\nvoid f(char *d, const char *s) { strcpy(d, s); }\n")
            write(os.path.join(folder, "web.js"), "const cp = require('child_process');\n"
                  "module.exports = (req) => cp.exec('ls ' + req.query.dir);\n")
            os.chmod(folder, 0o755)
            for name in os.listdir(folder):
                os.chmod(os.path.join(folder, name), 0o644)
            p = self.run_image("scan", "/scan", "--format", "json", "--fail-on", "none",
                               "--controls", "bandit,flawfinder,shellcheck,eslint", volumes=(f"{folder}:/scan:ro",))
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
            report = json.loads(p.stdout)
            found = {f["control"] for f in report["findings"]}
            self.assertEqual(found, {"bandit", "flawfinder", "shellcheck", "eslint"}, p.stderr[-3000:])
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def build_image(pm):
    revision = subprocess.run(["git", "-C", util.SOURCE_DIR, "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip() or "unknown"
    t0 = time.monotonic()
    # --layers=false: vfs copies the whole tree for every layer; one commit per image is faster.
    try:
        # The npm registry may sit behind a TLS-intercepting proxy whose CA only the host trusts:
        # give the host's bundle to the tools stage (Dockerfile: the npm-ca build secret).
        ca = os.environ.get("NODE_EXTRA_CA_CERTS") or "/etc/ssl/certs/ca-certificates.crt"
        secret = ["--secret", f"id=npm-ca,src={ca}"] if os.path.isfile(ca) else []
        p = pm.run("build", "--layers=false", "--build-arg", f"REVISION={revision}", *secret, "-t", TAG,
                   "-f", os.path.join(util.SOURCE_DIR, "Dockerfile"), util.SOURCE_DIR, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"podman build did not finish in {BUILD_TIMEOUT} s (a cold build takes about "
                             "10 min on 2 idle cores; is the machine overloaded?)") from None
    TIMINGS["build_s"] = round(time.monotonic() - t0, 1)
    log = p.stdout + p.stderr
    if p.returncode != 0:
        if any(s in log for s in NETWORK_FAILURE):
            skip(f"the image build could not reach the Debian mirror or the npm registry:\n{log[-1500:]}")
        raise AssertionError(f"podman build failed ({p.returncode}):\n{log[-6000:]}")


def cleanup(pm):
    pm.run("rm", "--force", "--all")  # only this storage's containers: the scratch one of this test
    pm.run("rm", "--all", tool="buildah")  # and buildah's working containers in it
    if pm.image_exists(TAG):
        pm.run("rmi", "--force", TAG)
    pm.run("image", "prune", "--force")  # dangling leftovers of this (or an interrupted) build


def main():
    if os.geteuid() != 0:
        skip("building the image needs root here (podman with vfs storage and chroot isolation)")
    missing = [t for t in ("podman", "buildah", "runc", "debootstrap") if not shutil.which(t)]
    if missing:
        skip(f"{', '.join(missing)} not installed (scripts/install-deps.sh --tests)")
    os.makedirs(CACHE, exist_ok=True)
    global PM
    PM = Podman(CACHE)
    # One run at a time on the shared storage (two ctest runs on one machine).
    lock = open(os.path.join(CACHE, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    info = PM.run("info", timeout=120)
    if info.returncode != 0:
        skip(f"podman cannot run here ({WHERE}): {info.stderr.strip()[-600:]}")
    global RUN_SKIP
    try:
        t0 = time.monotonic()
        how = ensure_base_image(PM)
        TIMINGS["base_image_s"] = round(time.monotonic() - t0, 1)
        print(f"base image {BASE}: {how}")
        why = probe_run(PM)
        if why:
            RUN_SKIP = f"{why}: the cases that start the image skip, the build checks run; {WHERE}"
            print(f"note: {RUN_SKIP}")
        build_image(PM)
        result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=2).result
    finally:
        cleanup(PM)
    print("timings: " + json.dumps(TIMINGS))
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    print(f"{result.testsRun - failed - skipped} passed, {failed} failed, {skipped} skipped")
    if failed:
        sys.exit(1)
    if RUN_SKIP:
        skip(RUN_SKIP)  # a partial run is reported as skipped, never as a pass
    sys.exit(0)


if __name__ == "__main__":
    main()
