#!/usr/bin/env bash
# Configures and builds jit-agent into ./build (or $JIT_BUILD_DIR). Idempotent and incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${JIT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
