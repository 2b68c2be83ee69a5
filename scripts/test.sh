#!/usr/bin/env bash
# Installs everything the tests need, builds, and runs every test (unit, integration, rule packs).
# Tests that need what this machine lacks (../shared/data, the npm registry, running containers...)
# skip (ctest: "Skipped"); their reasons are listed at the end.
# Usage: bash scripts/test.sh [ctest args...]     e.g. bash scripts/test.sh -R secrets
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
bash scripts/install-test-tools.sh >/dev/null || echo "note: gitlab-ci-local could not be installed from npm: the template test will skip."
# eslint + eslint-plugin-security + the SARIF formatter for the eslint preset's tests, beside them.
export JIT_TEST_TOOLS_DIR=${JIT_TEST_TOOLS_DIR:-/var/tmp/jit-agent-test-tools}
bash scripts/install-tools.sh "$JIT_TEST_TOOLS_DIR" >/dev/null ||
  echo "note: eslint could not be installed from npm: the eslint preset's tests will skip."
bash scripts/build.sh
build_dir=${JIT_BUILD_DIR:-build}
if [[ ! -d ../shared/data ]]; then
  echo "note: ../shared/data is absent: tests that need it are skipped (they say so)."
fi
cd "$build_dir"
rc=0
ctest --output-on-failure -j "$(nproc)" "$@" || rc=$?
# ctest shows no output of a skipped test: print each one's "SKIP: reason" lines.
if [[ -f Testing/Temporary/LastTest.log ]]; then
  awk '/^[0-9]+\/[0-9]+ Test: / { name = $3 } /^SKIP:/ { print "skipped " name ": " substr($0, 7) }' \
    Testing/Temporary/LastTest.log
fi
cd - >/dev/null
# The whole suite (no ctest arguments) also runs the unit tests of the input modules and
# their fuzz replays under ASan+UBSan+LSan (scripts/sanitize.sh --subset, its own build dir;
# JIT_SANITIZE_SUBSET=0 skips it). `bash scripts/sanitize.sh` runs every test that way.
if [[ $# -eq 0 && ${JIT_SANITIZE_SUBSET:-1} != 0 ]]; then
  echo "== the input modules' unit tests and fuzz replays under ASan, LSan and UBSan (scripts/sanitize.sh --subset)"
  bash scripts/sanitize.sh --subset || rc=1
fi
exit $rc
