#!/usr/bin/env bash
# The test suite under AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer: a gcc build
# with -DJIT_SANITIZE=ON in build-asan/ (or $JIT_ASAN_BUILD_DIR), then ctest on it.
# Usage: bash scripts/sanitize.sh [--subset] [ctest args...]
#   default   every test (unit, integration, fuzz replays, rule packs, layering) except
#             integration/test_image, whose image compiles its own release binary in the container
#   --subset  what CI runs after the main suite (scripts/test.sh), to stay in its time budget: the
#             unit tests of the modules that read what webhooks, CI variables, configuration files
#             and GitLab's answers hold (util, findings, event, config, gitlab), and the event,
#             config and gitlab fuzz replays with their mutated inputs. These modules compile
#             without the scanning engines.
# Every sanitizer report goes to /tmp/jit-sanitizer.<pid> (the binary's compiled-in defaults, and
# the environment below for the test executables) and the process exits 86; the script fails when
# any test failed or any report file appeared, and prints the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
subset=0
if [[ ${1:-} == --subset ]]; then
  subset=1
  shift
fi
build_dir=${JIT_ASAN_BUILD_DIR:-build-asan}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJIT_BUILD_TESTS=ON -DJIT_SANITIZE=ON \
  "${launcher[@]}" >/dev/null

subset_modules=(util findings event config gitlab)
subset_replays=(event config gitlab)
if (( subset )); then
  targets=()
  for m in "${subset_modules[@]}"; do targets+=("unit_$m"); done
  for r in "${subset_replays[@]}"; do targets+=("fuzz_replay_$r"); done
  cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"
  # Test executables not built are listed by ctest as <target>_NOT_BUILT: -R leaves them out.
  select=(-R "^(unit/($(IFS='|'; echo "${subset_modules[*]}")): |fuzz/($(IFS='|'; echo "${subset_replays[*]}"))$)")
else
  cmake --build "$build_dir" -j "$(nproc)"
  select=(-E '^integration/test_image$')
fi

reports=/tmp/jit-sanitizer
rm -f "$reports".*
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86:log_path=$reports:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$reports}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=86:log_path=$reports}
rc=0
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "${select[@]}" "$@") || rc=$?
shopt -s nullglob
found=("$reports".*)
if (( ${#found[@]} > 0 )); then
  echo "sanitize: ${#found[@]} sanitizer report(s):"
  for f in "${found[@]}"; do
    echo "==== $f"
    head -60 "$f"
  done
  rc=1
fi
if (( rc == 0 )); then echo "sanitize: no sanitizer report, every selected test passed"; fi
exit $rc
