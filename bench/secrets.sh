#!/usr/bin/env bash
# Secrets-scan benchmark: builds a >= 500 MB corpus of real source text with planted fake secrets,
# then prints, in one run, our throughput and peak memory against the `cat` read floor and against
# secretlint (@secretlint/quick-start, recommended preset) on the same files.
# Usage: bash bench/secrets.sh [--mb N] [--skip-peer] [--agent PATH]   (--agent: a built binary; else Release build)
# Corpus and tools live in $JIT_BENCH_DIR (default /var/tmp/jit-agent-bench), outside the repository
# so no tool skips them through our .gitignore; reruns reuse them.
# The *_s / *_kb timing variables are set by measure() through printf -v:
# shellcheck disable=SC2154
set -euo pipefail
cd "$(dirname "$0")/.."
target_mb=500
skip_peer=0
agent=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mb) target_mb=$2; shift 2 ;;
    --skip-peer) skip_peer=1; shift ;;
    --agent) agent=$(realpath "$2"); shift 2 ;;
    *) echo "usage: bench/secrets.sh [--mb N] [--skip-peer] [--agent PATH]" >&2; exit 2 ;;
  esac
done

if [[ -z $agent ]]; then
  bash scripts/install-deps.sh >/dev/null
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DJIT_BUILD_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target jit-agent >/dev/null
  agent=$PWD/build-bench/jit-agent
fi
bench_dir=${JIT_BENCH_DIR:-/var/tmp/jit-agent-bench}
corpus=$bench_dir/secrets-$target_mb
tools=$bench_dir/tools

# --- corpus: copies of real source text (C/C++ headers, Python stdlib) + planted secrets --------
if [[ ! -f $corpus/.complete ]]; then
  rm -rf "$corpus"; mkdir -p "$corpus"
  i=0
  while (( $(du -sm "$corpus" | cut -f1) < target_mb )); do
    i=$((i + 1))
    mkdir -p "$corpus/copy$i"
    cp -r /usr/include "$corpus/copy$i/include" 2>/dev/null || true
    cp -r /usr/lib/python3.11 "$corpus/copy$i/python" 2>/dev/null || true
  done
  # Drop symlinks and non-text bits so every tool sees the same regular files.
  find "$corpus" -type l -delete
  find "$corpus" -name '*.pyc' -delete
  # Plant fake secrets (built at run time so no credential-shaped string is committed).
  rnd() { LC_ALL=C tr -dc "$1" < /dev/urandom | head -c "$2"; }
  # GitHub tokens end in the base62 CRC-32 of their 30 random characters (github-pat checks it).
  ghp_body() { python3 -c 'import sys,zlib
d="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"; r=sys.argv[1]; v=zlib.crc32(r.encode()); c=""
while v: v,k=divmod(v,62); c=d[k]+c
print(r+c.rjust(6,"0"))' "$1"; }
  n=0
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    case $((n % 4)) in
      0) printf '\nGITLAB_TOKEN = "glpat-%s"\n' "$(rnd 'A-Za-z0-9' 20)" >> "$f" ;;
      1) printf '\naws_access_key_id = AKIA%s\n' "$(rnd 'A-Z2-7' 16)" >> "$f" ;;
      2) printf '\nslack = "xoxb-%s-%s-%s"\n' "$(rnd '0-9' 11)" "$(rnd '0-9' 12)" "$(rnd 'A-Za-z0-9' 24)" >> "$f" ;;
      3) printf '\nGITHUB_TOKEN=ghp_%s\n' "$(ghp_body "$(rnd 'A-Za-z0-9' 30)")" >> "$f" ;;
    esac
  done < <(find "$corpus" -type f -name '*.py' -print0 | head -z -n 400)
  touch "$corpus/.complete"
fi
files=$(find "$corpus" -type f ! -name .complete | wc -l)
bytes=$(find "$corpus" -type f ! -name .complete -printf '%s\n' | awk '{s+=$1} END {print s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1048576}')

measure() {  # measure OUT_PREFIX CMD... -> sets ${OUT_PREFIX}_s and ${OUT_PREFIX}_kb
  local prefix=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$tf" "$@" >/dev/null 2>"$tf.err" || true
  read -r s kb < <(tail -n 1 "$tf")
  printf -v "${prefix}_s" '%s' "$s"
  printf -v "${prefix}_kb" '%s' "$kb"
  rm -f "$tf" "$tf.err"
}

# Warm the page cache so every contender reads from memory.
find "$corpus" -type f -print0 | xargs -0 cat > /dev/null
measure cat bash -c "find '$corpus' -type f -print0 | xargs -0 cat > /dev/null"
# The same read split over every core, as our scan reads: the stricter floor.
measure pcat bash -c "find '$corpus' -type f -print0 | xargs -0 -n 2000 -P $(nproc) cat > /dev/null"
"$agent" scan "$corpus" --controls secrets --no-git --format json --output /dev/null --fail-on none -q || true  # warm the rule-db cache
measure ours "$agent" scan "$corpus" --controls secrets --no-git --format json --output /dev/null --fail-on none -q
found=$("$agent" scan "$corpus" --controls secrets --no-git --format json --fail-on none -q | grep -c '"rule_id"' || true)

if (( ! skip_peer )); then
  if [[ ! -x $tools/node_modules/.bin/secretlint ]]; then
    mkdir -p "$tools"
    npm install --silent --prefix "$tools" @secretlint/quick-start@13 >/dev/null 2>&1
  fi
  printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' > "$bench_dir/.secretlintrc.json"
  peer_cmd=(env NODE_OPTIONS=--max-old-space-size=8192 "$tools/node_modules/.bin/secretlint"
    --secretlintrc "$bench_dir/.secretlintrc.json" --maskSecrets --format compact "$corpus/**/*")
  measure peer "${peer_cmd[@]}"
  peer_found=$("${peer_cmd[@]}" 2>/dev/null | grep -c 'Error' || true)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "corpus: $files files, $mb MB ($corpus)"
printf '%-28s %9s %10s %12s %10s\n' "" "seconds" "MB/s" "peak MB" "x cat"
printf '%-28s %9s %10s %12s %10s\n' "cat (read floor)" "$cat_s" "$(ratio "$mb" "$cat_s")" "$((cat_kb / 1024))" "1.00"
printf '%-28s %9s %10s %12s %10s\n' "cat, $(nproc) in parallel" "$pcat_s" "$(ratio "$mb" "$pcat_s")" "$((pcat_kb / 1024))" "$(ratio "$pcat_s" "$cat_s")"
printf '%-28s %9s %10s %12s %10s\n' "jit-agent scan" "$ours_s" "$(ratio "$mb" "$ours_s")" "$((ours_kb / 1024))" "$(ratio "$ours_s" "$cat_s")"
if (( ! skip_peer )); then
  printf '%-28s %9s %10s %12s %10s\n' "secretlint (recommended)" "$peer_s" "$(ratio "$mb" "$peer_s")" "$((peer_kb / 1024))" "$(ratio "$peer_s" "$cat_s")"
  echo "jit-agent is $(ratio "$peer_s" "$ours_s")x faster than secretlint"
fi
echo "jit-agent findings: $found (400 planted)"
(( skip_peer )) || echo "secretlint findings: $peer_found"
echo "jit-agent vs parallel cat: $(ratio "$ours_s" "$pcat_s")x"
echo "targets: jit-agent within 1.5x of cat, peak memory < 200 MB"
