#!/usr/bin/env python3
"""Seed inputs for the fuzz targets (tests/fuzz/*_fuzz.cpp), each prefixed with the selector byte
its target reads first (see the targets' header comments).

  seeds.py project OUT_ROOT         the project's own fixtures (tests/data, examples, docs, raw
                                    string literals of the unit tests) -> OUT_ROOT/<target>/
                                    (how tests/fuzz/corpus/ was made; files over 64 KiB skipped)
  seeds.py shared DATA_DIR OUT_ROOT the same from ../shared/data (webhooks, API answers, lockfile
                                    fixtures, OSV records), for scripts/fuzz.sh: written to the
                                    working corpus outside the repository, never into it
"""
import hashlib
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAX_SEED = 64 * 1024

# LockfileKind in the order of agent/controls/dependencies/lockfiles.h.
KINDS = ["npm", "yarn", "pnpm", "bun", "requirements", "poetry", "pipfile", "uv", "gomod", "cargo",
         "gemfile", "composer", "maven", "gradle", "nuget", "pub", "mix", "conan", "pdm", "pylock",
         "swift", "nuget_config", "deps_json", "cocoapods", "renv", "gradle_verification"]
NAMES = {"package-lock.json": "npm", "npm-shrinkwrap.json": "npm", "yarn.lock": "yarn",
         "pnpm-lock.yaml": "pnpm", "bun.lock": "bun", "poetry.lock": "poetry", "Pipfile.lock": "pipfile",
         "uv.lock": "uv", "go.mod": "gomod", "Cargo.lock": "cargo", "Gemfile.lock": "gemfile",
         "gems.locked": "gemfile", "composer.lock": "composer", "pom.xml": "maven",
         "gradle.lockfile": "gradle", "buildscript-gradle.lockfile": "gradle",
         "packages.lock.json": "nuget", "pubspec.lock": "pub", "mix.lock": "mix", "conan.lock": "conan",
         "pdm.lock": "pdm", "pylock.toml": "pylock", "Package.resolved": "swift",
         "packages.config": "nuget_config", "Podfile.lock": "cocoapods", "renv.lock": "renv",
         "verification-metadata.xml": "gradle_verification"}
# ../shared/data/lockfiles/<family> -> kind
FAMILIES = {"dotnet_packageslockjson": "nuget", "golang_gomod": "gomod", "java_gradlelockfile": "gradle",
            "java_pomxml": "maven", "javascript_bunlock": "bun", "javascript_packagelockjson": "npm",
            "javascript_pnpmlock": "pnpm", "javascript_yarnlock": "yarn", "php_composerlock": "composer",
            "python_pipfilelock": "pipfile", "python_poetrylock": "poetry",
            "python_requirements": "requirements", "python_uvlock": "uv", "ruby_gemfilelock": "gemfile",
            "rust_cargolock": "cargo"}


GITLEAKS_SEED = r"""title = "fuzz"
[extend]
disabledRules = ["x"]
[allowlist]
regexes = ['''^test''']
stopwords = ["example"]
[[rules]]
id = "Acme.Key"
description = "ACME"
regex = '''acme_(?P<k>[A-Z0-9]{20})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
[[rules]]
id = "only-path"
path = '''\.pem$'''
[[rules]]
id = "php"
regex = '''pw_[a-f0-9]{16}'''
path = '''\.php$'''
[[rules.allowlists]]
regexes = ['''pw_0{16}''']
"""


def kind_of_name(name):
    if name in NAMES:
        return NAMES[name]
    if name.endswith(".deps.json"):
        return "deps_json"
    if name.endswith(".txt") and "requirements" in name:
        return "requirements"
    if name.startswith("pylock.") and name.endswith(".toml"):
        return "pylock"
    return None


class Out:
    def __init__(self, root):
        self.root = root
        self.count = 0

    def add(self, target, mode, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if len(data) > MAX_SEED or not data.strip():
            return
        blob = (bytes([mode]) if mode is not None else b"") + data
        folder = os.path.join(self.root, target)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hashlib.sha1(blob).hexdigest()[:16])
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(blob)
            self.count += 1


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files(folder, pattern=r".*"):
    rx = re.compile(pattern)
    for base, _, names in os.walk(folder):
        for n in sorted(names):
            if rx.search(n):
                yield os.path.join(base, n)


RAW = re.compile(r'R"([^(\s]*)\((.*?)\)\1"', re.S)


def literals(path):
    """Raw string literals of a C++ file, with the text just before each."""
    text = read(path).decode("utf-8", "replace")
    for m in RAW.finditer(text):
        yield text[max(0, m.start() - 400):m.start()], m.group(2)


def fenced(path, langs):
    text = read(path).decode("utf-8", "replace")
    for m in re.finditer(r"```(\w+)\n(.*?)```", text, re.S):
        if m.group(1) in langs:
            yield m.group(2)


def project(out):
    p = lambda *a: os.path.join(ROOT, *a)
    unit = p("tests", "unit")
    # event: 0 webhook, 1 JIT_EVENT, 2 CI variables
    for block in fenced(p("docs", "jit-event.md"), {"json"}):
        out.add("event", 1, block)
    for f in ("webhook_test.cpp", "load_test.cpp", "skip_test.cpp"):
        for _, lit in literals(os.path.join(unit, "event", f)):
            out.add("event", 0, lit)
    for _, lit in literals(os.path.join(unit, "event", "jit_event_test.cpp")):
        out.add("event", 1, lit)
    out.add("event", 2, "CI_PIPELINE_SOURCE=merge_request_event\nCI_SERVER_URL=https://gitlab.example.com\n"
            "CI_PROJECT_ID=7\nCI_PROJECT_PATH=group/app\nCI_MERGE_REQUEST_IID=3\n"
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=feature\nCI_MERGE_REQUEST_TARGET_BRANCH_NAME=main\n"
            "CI_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567\n"
            "CI_MERGE_REQUEST_DIFF_BASE_SHA=89abcdef0123456789abcdef0123456789abcdef\n")
    out.add("event", 2, "CI_PIPELINE_SOURCE=push\nCI_PROJECT_ID=7\nCI_PROJECT_PATH=group/app\n"
            "CI_COMMIT_REF_NAME=main\nCI_COMMIT_BRANCH=main\nCI_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567\n"
            "CI_COMMIT_BEFORE_SHA=0000000000000000000000000000000000000000\n")
    out.add("event", 2, "CI_PIPELINE_SOURCE=trigger\nJIT_EVENT={\"version\":1}\n")
    # config: 0 central, 1 repository, 2 folders, 3 ignores, 4 osv-scanner.toml, 5 VEX
    for f in files(p("tests", "data", "config"), r"\.ya?ml$"):
        out.add("config", 0, read(f))
        out.add("config", 1, read(f))
    for block in fenced(p("docs", "configuration.md"), {"yaml", "yml"}):
        for mode in (0, 1, 2, 3):
            out.add("config", mode, block)
    out.add("config", 1, read(p("examples", "monorepo", ".jit", "jit-config.yml")))
    out.add("config", 2, read(p("examples", "monorepo", ".jit", "jit-config.yml")))
    for f, mode in (("config_test.cpp", 0), ("controls_test.cpp", 0), ("folders_test.cpp", 2),
                    ("ignores_test.cpp", 3), ("osv_scanner_config_test.cpp", 4), ("vex_test.cpp", 5)):
        for _, lit in literals(os.path.join(unit, "config", f)):
            out.add("config", mode, lit)
    # rules: 0 pack, 1 pack compiled and scanned, 2 .gitleaksignore
    for f in files(p("tests", "data", "rules"), r"\.ya?ml$"):
        out.add("rules", 0, read(f))
        out.add("rules", 1, read(f))
    for f in list(files(p("rules", "secrets"), r"\.ya?ml$"))[:40]:
        out.add("rules", 1, read(f))
    for f in ("rule_keys_test.cpp", "rule_loader_test.cpp", "filters_test.cpp", "engine_test.cpp"):
        for _, lit in literals(os.path.join(unit, "controls", "secrets", f)):
            if "rules:" in lit or "id:" in lit:
                out.add("rules", 0, "rules:\n" + lit if "rules:" not in lit else lit)
    out.add("rules", 2, "# fingerprints\n0123abcd:config/app.env:generic-api-key:12\n"
            "deadbeef0123456789:src/main.go:aws-access-token:3\n")
    # gitleaks: TOML configs
    for f in ("gitleaks_test.cpp",):
        for _, lit in literals(os.path.join(unit, "controls", "secrets", f)):
            if "[[rules]]" in lit or "[allowlist]" in lit or "[extend]" in lit:
                out.add("gitleaks", None, lit)
    text = read(p("tests", "integration", "test_gitleaks_import.py")).decode("utf-8", "replace")
    for m in re.finditer(r'"""(.*?)"""', text, re.S):
        if "[[rules]]" in m.group(1) and "{" not in m.group(1):
            out.add("gitleaks", None, m.group(1))
    out.add("gitleaks", None, GITLEAKS_SEED)
    # secrets_decode: file contents
    for f in files(p("examples", "monorepo")):
        if os.path.getsize(f) <= MAX_SEED:
            out.add("secrets_decode", None, read(f))
    for f in ("decode_test.cpp", "engine_test.cpp", "exact_values_test.cpp"):
        for _, lit in literals(os.path.join(unit, "controls", "secrets", f)):
            out.add("secrets_decode", None, lit)
    # lockfile: kind byte
    for f in files(p("tests", "data", "lockfiles")):
        kind = kind_of_name(os.path.basename(f)) or ("requirements" if f.endswith(".txt") else None)
        if kind:
            out.add("lockfile", KINDS.index(kind), read(f))
    for f in files(p("tests", "unit", "controls", "dependencies"), r"^lockfiles_.*\.cpp$"):
        for before, lit in literals(f):
            names = [(before.rfind(n), k) for n, k in NAMES.items() if n in before]
            names += [(before.rfind(".deps.json"), "deps_json")] if ".deps.json" in before else []
            names += [(before.rfind("requirements"), "requirements")] if "requirements" in before else []
            if names:
                out.add("lockfile", KINDS.index(max(names)[1]), lit)
    # osv: raw JSON
    for f in ("osv_test.cpp", "matcher_test.cpp", "control_test.cpp"):
        for _, lit in literals(os.path.join(unit, "controls", "dependencies", f)):
            if '"id"' in lit:
                out.add("osv", None, lit)
    # external: 0 sarif, 1 gitlab-sast, 2 bandit, 3 shellcheck
    for f in files(p("tests", "data", "external", "outputs")):
        n = os.path.basename(f)
        mode = 0 if n.endswith(".sarif") else 1 if "gitlab" in n else 2 if "bandit" in n else 3
        out.add("external", mode, read(f))
    out.add("external", 0, read(p("tests", "data", "golden", "sarif.sarif")))
    out.add("external", 1, read(p("tests", "data", "golden", "gitlab-sast.json")))
    for before, lit in literals(os.path.join(unit, "controls", "external", "parsers_test.cpp")):
        mode = 0 if "sarif" in lit.lower() or "runs" in lit else 1 if "vulnerabilities" in lit \
            else 2 if "results" in lit else 3
        out.add("external", mode, lit)
    # diff: "old path\0old content\0new path\0new content"
    app = read(p("examples", "monorepo", "services", "api", "app", sorted(os.listdir(p("examples", "monorepo", "services", "api", "app")))[0]))
    out.add("diff", None, b"src/app.py\0" + app + b"\0src/app.py\0" + app.replace(b"\n", b"\nx = 1\n", 3))
    out.add("diff", None, b"a.txt\0one\ntwo\nthree\n\0b/c.txt\0one\n2\nthree\nfour")
    out.add("diff", None, b"a.txt\0\0a.txt\0line\r\nnext\r\n\0")
    out.add("diff", None, b"bin.dat\0\x00\x01\x02\0bin.dat\0\x00\x01\x03\n")
    # gitlab: 0 JSON models, 1 repository file, 2 Retry-After, 3 Link headers
    for f in ("models_test.cpp", "client_test.cpp", "repository_test.cpp", "variables_test.cpp"):
        for _, lit in literals(os.path.join(unit, "gitlab", f)):
            s = lit.strip()
            if s.startswith("{") or s.startswith("["):
                out.add("gitlab", 1 if '"content"' in lit else 0, lit)
    for v in ("120", "Wed, 21 Oct 2026 07:28:00 GMT", "0", "-1", "99999999999999999999"):
        out.add("gitlab", 2, v)
    out.add("gitlab", 3, '<https://gitlab.example.com/api/v4/projects/1/merge_requests/2/discussions?page=2&per_page=100>; rel="next", '
            '<https://gitlab.example.com/api/v4/projects/1/merge_requests/2/discussions?page=5>; rel="last"\n2')
    out.add("gitlab", 3, '<https://evil.example.net:8443/api/v4/x?page=2>; rel="next"\n')
    out.add("gitlab", 0, '[{"id":"d1","individual_note":false,"notes":[{"id":5,"type":"DiffNote","body":'
            '"<!-- jit-agent:fingerprint=00ff -->\\n<!-- jit-agent:control=secrets -->\\nx","author":'
            '{"id":1,"username":"jit-bot"},"system":false,"resolvable":true,"resolved":false,"position":'
            '{"base_sha":"a","start_sha":"b","head_sha":"c","old_path":"x","new_path":"x","position_type":'
            '"text","new_line":3,"old_line":null}}]}]')


def shared(data, out):
    for f in files(os.path.join(data, "gitlab", "webhooks"), r"\.json$"):
        out.add("event", 0, read(f))
    for f in files(os.path.join(data, "gitlab", "api"), r"\.json$"):
        out.add("gitlab", 1 if "repository-files" in f else 0, read(f))
    lockfiles = os.path.join(data, "lockfiles")
    if os.path.isdir(lockfiles):
        for family in sorted(os.listdir(lockfiles)):
            kind = FAMILIES.get(family)
            if kind:
                for f in files(os.path.join(lockfiles, family)):
                    out.add("lockfile", KINDS.index(kind), read(f))
    for f in files(os.path.join(data, "osv", "examples"), r"\.json$"):
        out.add("osv", None, read(f))
    for f in files(os.path.join(data, "osv", "examples-ghsa-converter"), r"\.json$"):
        out.add("osv", None, read(f))


def main(argv):
    if len(argv) == 3 and argv[1] == "project":
        out = Out(argv[2])
        project(out)
    elif len(argv) == 4 and argv[1] == "shared":
        out = Out(argv[3])
        shared(argv[2], out)
    else:
        sys.exit(__doc__)
    print(f"{out.count} seeds written under {out.root}")


if __name__ == "__main__":
    main(sys.argv)
