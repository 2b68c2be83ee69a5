#!/usr/bin/env bash
# Configures and builds jit-agent into ./build (or $JIT_BUILD_DIR). Idempotent and incremental.
# Usage: scripts/build.sh [--agent-only]
#   default       the agent and every test (JIT_BUILD_TESTS=ON; needs the test tools: install-deps.sh --tests)
#   --agent-only  only the jit-agent target, tests not configured (needs only the build dependencies)
# Both share one build folder: switching reconfigures (seconds) and recompiles nothing the agent already has.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${JIT_BUILD_DIR:-build}
tests=ON
target=()
if [[ "${1:-}" == "--agent-only" ]]; then
  tests=OFF
  target=(--target jit-agent)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DJIT_BUILD_TESTS=$tests >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${target[@]}"
