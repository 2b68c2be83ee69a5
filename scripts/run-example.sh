#!/usr/bin/env bash
# Installs the build dependencies (not the test tools), builds only jit-agent and runs the main job
# on the bundled example monorepo (examples/monorepo): secrets and dependency scanning, findings on
# the terminal, reports and per-lockfile SBOMs in build/example-reports. The OSV database is imported from
# ../shared/data/osv-db (PyPI, Go) when it is there; otherwise dependency scanning says it has none.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --agent-only
build_dir=${JIT_BUILD_DIR:-build}
agent="$build_dir/jit-agent"
out="$build_dir/example-reports"
db="$build_dir/example-osv-db"
mkdir -p "$out"
if [[ -d ../shared/data/osv-db ]]; then
  "$agent" -q db --db "$db" import ../shared/data/osv-db/PyPI ../shared/data/osv-db/Go
fi
set +e
"$agent" scan examples/monorepo --db "$db" \
  --report "gitlab=$out/gl-secret-detection-report.json" \
  --report "gitlab-dependency-scanning=$out/gl-dependency-scanning-report.json" \
  --report "gitlab-sast=$out/gl-sast-report.json" \
  --report "sarif=$out/jit-agent.sarif" \
  --report "json=$out/jit-agent.json" \
  --report "html=$out/jit-agent.html" \
  --sbom-dir "$out/sbom"
rc=$?
set -e
echo "reports written to $out (exit code $rc: 1 means findings, as expected for this example)"
[[ $rc -eq 0 || $rc -eq 1 ]]
