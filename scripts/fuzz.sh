#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang from Debian, ASan+UBSan, build folder
# build-fuzz) and runs each for SECONDS, one at a time, nice'd, then prints a results table.
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]     (default 60 s; all targets)
#   FUZZ_WORK   working folder (default /var/tmp/jit-agent-fuzz): <target>/corpus the working corpus
#               (the seeds on a first run, then grown by every run), <target>/crashes what was
#               found, <target>/log the last run's libFuzzer output
#   FUZZ_JOBS   parallel compile jobs (default 2)
#   FUZZ_NICE   nice level of the fuzzers (default 10; 19 to soak only idle CPU)
#   FUZZ_FRESH=1  start from the seeds again (by default a target's working corpus is kept and grown,
#               and <target>/cpu-seconds and <target>/execs add up every run's CPU time and executions)
#   FUZZ_UNTIL_CPU=N  run a target again, SECONDS at a time, until its total CPU time reaches N s
#   FUZZ_NO_BUILD=1  use the targets already built in build-fuzz
#   FUZZ_TIMEOUT  seconds one input may take (default 10; libFuzzer counts wall time, so a fuzzer
#               that only gets idle CPU (FUZZ_NICE=19, or chrt --idle) needs more, e.g. 60)
# Seeds: tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/, plus, when present,
# ../shared/data's webhooks, API answers, lockfile fixtures and OSV records (read there, prefixed
# with the target's selector byte into the working folder; never copied into the repository).
# Exits 1 when a target crashed, timed out or ran out of memory (the input is in <target>/crashes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
seconds=${1:-60}
shift || true
work=${FUZZ_WORK:-/var/tmp/jit-agent-fuzz}
jobs=${FUZZ_JOBS:-2}
nice_level=${FUZZ_NICE:-10}
until_cpu=${FUZZ_UNTIL_CPU:-0}
timeout_s=${FUZZ_TIMEOUT:-10}
build=build-fuzz

# clang and libFuzzer's runtime (libclang-rt-14-dev) from Debian, installed only when missing.
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
missing=()
for p in clang libclang-rt-14-dev ccache; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
  echo "fuzz: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  bash scripts/install-deps.sh >/dev/null
  if [[ ! -f $build/CMakeCache.txt ]]; then
    CC=clang CXX=clang++ nice -n 10 cmake -S . -B "$build" -DJIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  nice -n 10 cmake --build "$build" -j "$jobs" --target fuzz_all
fi

if (( $# > 0 )); then
  targets=("$@")
else
  mapfile -t targets < <(cd tests/fuzz && ls ./*_fuzz.cpp | sed 's|^\./||; s|_fuzz\.cpp$||')
fi

# Per-target libFuzzer options: the gitleaks importer generates examples per rule (slow inputs).
extra_flags() {
  case $1 in
    gitleaks) echo "-max_len=2048" ;;
    *) echo "-max_len=65536" ;;
  esac
}

mkdir -p "$work"
shared_seeds="$work/shared-seeds.$$"  # per run: two runs may share the working folder
rm -rf "$shared_seeds"
if [[ -d ../shared/data ]]; then
  python3 tests/fuzz/seeds.py shared ../shared/data "$shared_seeds" >/dev/null
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fuzzer_pid=""
cleanup() {
  if [[ -n $fuzzer_pid ]]; then kill "$fuzzer_pid" 2>/dev/null || true; fi
  rm -rf "$shared_seeds"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# cpu := CPU seconds (user + system) of this shell's finished children, from the `times` builtin
# (run in this shell, not in a subshell, which would start from zero).
child_cpu() {
  times >"$work/.times"
  cpu=$(tail -1 "$work/.times" | awk '{ t = 0; for (i = 1; i <= 2; ++i) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t }')
}

rows=()
failed=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/${t}_fuzz"
  [[ -x $bin ]] || { echo "fuzz: no target $t ($bin)" >&2; exit 2; }
  dir="$work/$t"
  if [[ ${FUZZ_FRESH:-0} == 1 ]]; then rm -rf "$dir"; fi
  mkdir -p "$dir/corpus" "$dir/crashes"
  seeds=()
  for s in "$repo/tests/fuzz/corpus/$t" "$repo/tests/fuzz/regressions/$t" "$shared_seeds/$t"; do
    [[ -d $s ]] && seeds+=("$s")
  done
  touch "$dir/.run-start"
  start=$(date +%s)
  run_cpu=0
  run_execs=0
  rc=0
  while :; do
    echo "fuzz: $t for ${seconds}s (log: $dir/log)"
    child_cpu
    cpu_start=$cpu
    # shellcheck disable=SC2046
    nice -n "$nice_level" "$bin" "$dir/corpus" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout="$timeout_s" -print_final_stats=1 -artifact_prefix="$dir/crashes/" $(extra_flags "$t") \
      >"$dir/log" 2>&1 &
    fuzzer_pid=$!
    rc=0
    wait "$fuzzer_pid" || rc=$?
    fuzzer_pid=""
    child_cpu
    chunk=$(( cpu - cpu_start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    run_cpu=$(( run_cpu + chunk ))
    run_execs=$(( run_execs + ${execs:-0} ))
    total_cpu=$(( $(cat "$dir/cpu-seconds" 2>/dev/null || echo 0) + chunk ))
    echo "$total_cpu" >"$dir/cpu-seconds"
    echo $(( $(cat "$dir/execs" 2>/dev/null || echo 0) + ${execs:-0} )) >"$dir/execs"
    # libFuzzer also saves inputs slower than 10 s as slow-unit-*: not failures (a fuzzer that only
    # gets idle CPU writes many), counted apart.
    new_crashes=$(find "$dir/crashes" -type f ! -name 'slow-unit-*' -newer "$dir/.run-start" | wc -l)
    if (( new_crashes > 0 || (rc != 0 && rc != 130) )); then break; fi
    if (( total_cpu >= until_cpu )); then break; fi
  done
  elapsed=$(( $(date +%s) - start ))
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  crashes=$(find "$dir/crashes" -type f ! -name 'slow-unit-*' -newer "$dir/.run-start" | wc -l)
  slow=$(find "$dir/crashes" -type f -name 'slow-unit-*' -newer "$dir/.run-start" | wc -l)
  if (( crashes > 0 || (rc != 0 && rc != 130) )); then
    failed=1
    (( crashes > 0 )) || crashes="rc=$rc"
    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|ALARM|out-of-memory' "$dir/log" || true
  fi
  peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/log" | tail -1)
  rows+=("$t ${elapsed} ${run_cpu} ${run_execs} ${rate:-?} ${cov:-?} ${ft:-?} $corpus $crashes $slow ${peak:-?} $(cat "$dir/cpu-seconds") $(cat "$dir/execs")")
done

printf '\n%-16s %8s %8s %12s %8s %7s %7s %8s %8s %5s %8s %10s %13s\n' target seconds cpu-s execs execs/s cov ft corpus \
  crashes slow peak-MB total-cpu-s total-execs
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086
  printf '%-16s %8s %8s %12s %8s %7s %7s %8s %8s %5s %8s %10s %13s\n' $r
done
echo "(working corpora, crashes and logs: $work/<target>/)"
exit $failed
