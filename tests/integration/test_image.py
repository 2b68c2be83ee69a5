"""The container image (Dockerfile) built with podman/buildah and run: version, a rule database
loaded from the cache warmed at build time, a scan of a mounted folder, non-root, no compiler.

No Docker engine is needed: podman runs with runc + cgroupfs, the host network, vfs storage in a
scratch folder and registries.conf blocking every remote registry, so nothing is ever pulled. The
base image `debian:bookworm-slim` is made offline with debootstrap and imported under its Docker Hub
name. Kept between runs in $JIT_IMAGE_CACHE_DIR (default /var/tmp/jit-agent-image-cache): the base
image (storage + a rootfs tarball) and the builder's ccache, so a second run only recompiles what
changed. Everything else this test makes (the image, containers) is removed at the end.

Skips (exit 77) when not root, when podman/buildah/runc/debootstrap are missing or cannot run here,
or when the Debian mirror cannot be reached. One image build per run (several minutes when cold).
"""
import fcntl
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
BASE = "docker.io/library/debian:bookworm-slim"
TAG = f"localhost/jit-agent-test:{os.getpid()}-{secrets.token_hex(3)}"
NETWORK_FAILURE = ("Could not resolve", "Failed to fetch", "Temporary failure resolving",
                   "Unable to locate package", "Network is unreachable")
TIMINGS = {}


def skip(message):
    print(f"SKIP: {message}")
    sys.exit(util.SKIP)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Podman:
    """podman/buildah configured to run on this kind of machine, all state under CACHE."""

    def __init__(self, root):
        self.root = root
        conf = os.path.join(root, "conf")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        # crun fails on this host's hybrid cgroups; the default ulimits cannot be set here.
        write(os.path.join(conf, "containers.conf"),
              '[containers]\nnetns = "host"\n'
              'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
              '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
              f'events_logfile_path = "{root}/run/events.log"\n')
        write(os.path.join(conf, "storage.conf"),
              f'[storage]\ndriver = "vfs"\ngraphroot = "{root}/storage"\nrunroot = "{root}/run"\n')
        # Nothing is pulled: FROM debian:bookworm-slim must resolve to the imported image.
        write(os.path.join(conf, "registries.conf"),
              'unqualified-search-registries = []\nshort-name-mode = "permissive"\n' +
              "".join(f'[[registry]]\nlocation = "{r}"\nblocked = true\n'
                      for r in ("docker.io", "quay.io", "registry.gitlab.com", "ghcr.io", "gcr.io")))
        self.env = dict(os.environ, CONTAINERS_CONF=os.path.join(conf, "containers.conf"),
                        CONTAINERS_STORAGE_CONF=os.path.join(conf, "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=os.path.join(conf, "registries.conf"),
                        BUILDAH_ISOLATION="chroot", TMPDIR=self.tmp)

    def run(self, *args, input=None, timeout=600, check=False):
        p = subprocess.run(["podman", *args], env=self.env, input=input, capture_output=True,
                           text=True, errors="replace", timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def image_exists(self, name):
        return self.run("image", "exists", name).returncode == 0


def ensure_base_image(pm):
    """debian:bookworm-slim in the scratch storage: from the cached rootfs tarball, else debootstrap."""
    if pm.image_exists(BASE):
        return "cached"
    tarball = os.path.join(CACHE, "bookworm-minbase.tar")
    how = "imported from the cached rootfs"
    if not os.path.exists(tarball):
        rootfs = tempfile.mkdtemp(prefix="rootfs-", dir=CACHE)
        try:
            t0 = time.monotonic()
            p = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs,
                                "http://deb.debian.org/debian"], capture_output=True, text=True, timeout=1200)
            if p.returncode != 0:
                skip(f"debootstrap could not build a bookworm rootfs (is deb.debian.org reachable?): "
                     f"{p.stdout[-400:]}{p.stderr[-400:]}")
            # What a slim image leaves out too: downloaded .debs and package lists.
            for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for name in os.listdir(os.path.join(rootfs, sub)):
                    full = os.path.join(rootfs, sub, name)
                    if os.path.isfile(full) and name not in ("lock",):
                        os.unlink(full)
            os.chmod(rootfs, 0o755)  # mkdtemp's 0700 would become the image's "/" mode
            # No device nodes: runtimes mount their own /dev (an image from a registry has none).
            subprocess.run(["tar", "-C", rootfs, "--exclude=./dev/*", "-cf", tarball + ".part", "."],
                           check=True)
            os.replace(tarball + ".part", tarball)
            TIMINGS["debootstrap_s"] = round(time.monotonic() - t0, 1)
            how = "made with debootstrap"
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
    with open(tarball, "rb") as f:
        p = subprocess.run(["podman", "import", "-", BASE], stdin=f, env=pm.env, capture_output=True,
                           text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"podman import failed: {p.stderr}")
    return how


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

    def test_version(self):
        p = self.run_image("version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("jit-agent 0.1.0", p.stdout)
        self.assertRegex(p.stdout, r"libgit2 1\.8\.\d+")
        self.assertRegex(p.stdout, r"vectorscan 5\.\d+")

    def test_rules_check_loads_the_database_warmed_at_build_time(self):
        t0 = time.monotonic()
        p = self.run_image("-v", "rules", "check")
        TIMINGS["rules_check_run_s"] = round(time.monotonic() - t0, 2)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("0 failures", p.stdout)
        self.assertIn("loaded from the compiled cache in /var/cache/jit-agent/hsdb", p.stderr)
        self.assertNotIn("compiled ", p.stderr.replace("loaded from the compiled cache", ""))

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

    def test_runs_as_non_root(self):
        self.assertEqual(self.inspect["Config"].get("User"), "10001:10001")
        p = self.run_image("-c", "id -u; id -g; echo $HOME $JIT_CACHE_DIR $JIT_DB_DIR; pwd",
                           entrypoint="/bin/sh")
        self.assertEqual(p.returncode, 0, p.stderr)
        uid, gid, env_line, cwd = p.stdout.split("\n")[:4]
        self.assertEqual((uid, gid), ("10001", "10001"))
        self.assertEqual(env_line, "/home/jit /var/cache/jit-agent /var/lib/jit-agent/osv")
        self.assertEqual(cwd, "/scan")

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


def build_image(pm):
    revision = subprocess.run(["git", "-C", util.SOURCE_DIR, "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip() or "unknown"
    t0 = time.monotonic()
    # --layers=false: vfs copies the whole tree for every layer; one commit per image is faster.
    p = pm.run("build", "--layers=false", "--build-arg", f"REVISION={revision}", "-t", TAG,
               "-f", os.path.join(util.SOURCE_DIR, "Dockerfile"), util.SOURCE_DIR, timeout=3000)
    TIMINGS["build_s"] = round(time.monotonic() - t0, 1)
    log = p.stdout + p.stderr
    if p.returncode != 0:
        if any(s in log for s in NETWORK_FAILURE):
            skip(f"the image build could not reach the Debian mirror:\n{log[-1500:]}")
        raise AssertionError(f"podman build failed ({p.returncode}):\n{log[-6000:]}")


def cleanup(pm):
    pm.run("rm", "--force", "--all")  # only this storage's containers: the scratch one of this test
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
        skip(f"podman cannot run here: {info.stderr.strip()[-600:]}")
    try:
        t0 = time.monotonic()
        how = ensure_base_image(PM)
        TIMINGS["base_image_s"] = round(time.monotonic() - t0, 1)
        print(f"base image {BASE}: {how}")
        build_image(PM)
        result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=2).result
    finally:
        cleanup(PM)
    print("timings: " + json.dumps(TIMINGS))
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
