#!/usr/bin/env bash
# Dependency-scanning benchmark: imports the real PyPI and Go OSV databases (prints the time),
# generates a monorepo of 20 lockfiles totalling 10,000 packages (npm, PyPI, Go; real package
# names from the databases, so matches happen), then runs `jit-agent scan --controls
# dependencies` on it and prints wall time and peak memory (/usr/bin/time -v).
# Targets (issues 4 and 11): import of both databases < 2 s, scan < 1 s with the findings grouped
# per package (the text table, upgrades computed), peak memory < 300 MB.
# Usage: bench/deps.sh [path/to/jit-agent]   (default: build/jit-agent)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
agent=${1:-$root/build/jit-agent}
data=${JIT_SHARED_DATA:-$root/../shared/data}
[[ -x "$agent" ]] || { echo "deps.sh: no jit-agent at $agent (build it, or pass its path)" >&2; exit 2; }
[[ -d "$data/osv-db/PyPI" && -d "$data/osv-db/Go" ]] || { echo "deps.sh: $data/osv-db is absent" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "deps.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/jit-bench-deps.XXXXXX")
trap 'rm -rf "$work"' EXIT
db="$work/db"
repo="$work/monorepo"

# Prints "wall_seconds peak_rss_kib" of a command run under /usr/bin/time -v.
measure() {
  local log="$work/time.log"
  /usr/bin/time -v "$@" > "$work/out.log" 2> "$log" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
         awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  echo "$wall $rss"
}

echo "== import: $data/osv-db/PyPI + Go"
read -r import_s import_kib < <(measure "$agent" -q db --db "$db" import "$data/osv-db/PyPI" "$data/osv-db/Go")
"$agent" db --db "$db" status | sed 's/^/   /'

echo "== generating the monorepo (20 lockfiles, 10,000 packages)"
/usr/bin/python3 - "$repo" "$data/osv-db" <<'PY'
import json, os, random, sys
repo, osv = sys.argv[1], sys.argv[2]
rng = random.Random(4)

def names(eco):
    out = set()
    folder = os.path.join(osv, eco)
    for f in sorted(os.listdir(folder)):
        with open(os.path.join(folder, f)) as fh:
            for a in json.load(fh).get("affected", []):
                if a.get("package", {}).get("ecosystem") == eco:
                    out.add(a["package"]["name"])
    return sorted(out)

def fill(real, synth, n):
    picked = rng.sample(real, min(len(real), n // 2))
    picked += [synth(i) for i in range(n - len(picked))]
    rng.shuffle(picked)
    return picked

def version():
    return f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"

py, go = names("PyPI"), names("Go")
total = 0
for i in range(7):  # npm: package-lock.json v3, 500 packages each
    d = os.path.join(repo, f"web-{i}")
    os.makedirs(d, exist_ok=True)
    pkgs = {"": {"name": f"web-{i}", "version": "1.0.0"}}
    for j in range(500):
        pkgs[f"node_modules/pkg-{i}-{j}"] = {"version": version(), "resolved": f"https://npm.example.com/pkg-{i}-{j}/-/x.tgz"}
    with open(os.path.join(d, "package-lock.json"), "w") as f:
        json.dump({"name": f"web-{i}", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": pkgs}, f, indent=2)
    total += 500
for i in range(7):  # PyPI: requirements.txt, 500 pinned packages each
    d = os.path.join(repo, f"py-{i}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "requirements.txt"), "w") as f:
        for n in fill(py, lambda k: f"synthetic-py-{i}-{k}", 500):
            f.write(f"{n}=={version()}\n")
    total += 500
for i in range(6):  # Go: go.mod, 500 requirements each
    d = os.path.join(repo, f"go-{i}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "go.mod"), "w") as f:
        f.write(f"module example.com/go-{i}\n\ngo 1.21\n\nrequire (\n")
        for n in fill([g for g in go if "." in g.split("/")[0]], lambda k: f"example.org/synthetic/m{i}x{k}", 500):
            f.write(f"\t{n} v{version()}\n")
        f.write(")\n")
    total += 500
print(f"   {total} packages in 20 lockfiles under {repo}")
PY

echo "== scan --controls dependencies"
read -r scan_s scan_kib < <(measure "$agent" scan "$repo" --controls dependencies --db "$db" --no-git \
                               --format json --output "$work/report.json" --fail-on none)
echo "== scan --controls dependencies, text output (one row per package, upgrades computed)"
read -r text_s text_kib < <(measure "$agent" scan "$repo" --controls dependencies --db "$db" --no-git \
                               --format text --output "$work/report.txt" --fail-on none)
rows=$(grep -c '^  [A-Z]*  ' "$work/report.txt" || true)

findings=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/report.json" 2>/dev/null || echo "?")

printf '\n%-10s %10s %14s %s\n' "step" "time (s)" "peak RSS (MB)" "target"
printf '%-10s %10s %14s %s\n' "import" "$import_s" "$((import_kib / 1024))" "< 2 s"
printf '%-10s %10s %14s %s\n' "scan json" "$scan_s" "$((scan_kib / 1024))" "< 1 s, < 300 MB"
printf '%-10s %10s %14s %s\n' "scan text" "$text_s" "$((text_kib / 1024))" "< 1 s, < 300 MB (grouped)"
echo "findings: $findings advisories, $((rows - 1)) rows in the text table (one per vulnerable package)"
