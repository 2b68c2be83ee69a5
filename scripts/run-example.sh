#!/usr/bin/env bash
# Installs the build dependencies, builds jit-agent and runs the main job on the bundled example
# monorepo (examples/monorepo): every control, findings on the terminal, reports in build/example-reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build_dir=${JIT_BUILD_DIR:-build}
out="$build_dir/example-reports"
mkdir -p "$out"
set +e
"$build_dir/jit-agent" scan examples/monorepo \
  --report "gitlab=$out/gl-secret-detection-report.json" \
  --report "sarif=$out/jit-agent.sarif" \
  --report "json=$out/jit-agent.json"
rc=$?
set -e
echo "reports written to $out (exit code $rc: 1 means findings, as expected for this example)"
[[ $rc -eq 0 || $rc -eq 1 ]]
