#!/usr/bin/env bash
# History-scan benchmark: `jit-agent scan --history` of a large real repository against the
# physical floor of reading its objects once, `git cat-file --batch-all-objects --batch --unordered`
# (which inflates every object, commits and trees included, in pack order), in one run:
#   1. git cat-file (the floor), 2. our cold scan (empty verdict cache), 3. our warm re-scan (same
#   rules, same cache: only the blobs with findings are read again).
# Prints the times, the ratios (target: cold <= 1.0x the floor on 2 cores, warm < 10% of cold)
# and peak memory (target < 500 MB).
# Usage: bash bench/history.sh REPO [--agent PATH] [--jobs N]
#   REPO: a clone of a large public repository (bare or not), e.g. `git clone --bare <url of git/git>`.
#   --agent: a built binary; else a Release build in build-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=
agent=
jobs=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --agent) agent=$(realpath "$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -*) echo "usage: bench/history.sh REPO [--agent PATH] [--jobs N]" >&2; exit 2 ;;
    *) repo=$(realpath "$1"); shift ;;
  esac
done
if [[ -z $repo || ! -d $repo ]]; then
  echo "usage: bench/history.sh REPO [--agent PATH] [--jobs N]   (REPO: a clone of a large repository)" >&2
  exit 2
fi
if [[ -z $agent ]]; then
  bash scripts/install-deps.sh >/dev/null
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DJIT_BUILD_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target jit-agent >/dev/null
  agent=$PWD/build-bench/jit-agent
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/jit-history-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure NAME CMD...: runs CMD, sets NAME_s (wall seconds) and NAME_kb (peak RSS), prints a line.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@"
  read -r secs kb < "$work/$name.time"
  printf -v "${name}_s" '%s' "$secs"
  printf -v "${name}_kb" '%s' "$kb"
  printf '%-28s %8.2f s   peak %6d MB\n' "$name" "$secs" $((kb / 1024))
}

objects=$(git -C "$repo" count-objects -v | awk '/^in-pack:/ {print $2}')
commits=$(git -C "$repo" rev-list --all --count)
echo "repository: $repo ($commits commits, $objects packed objects), $jobs jobs, $(nproc) cores"

# The compiled rules are cached first, so neither of our runs pays for compiling them.
JIT_CACHE_DIR=$work/cache "$agent" -q rules check >/dev/null 2>&1 || true
export JIT_CACHE_DIR=$work/cache
git -C "$repo" cat-file --batch-all-objects --batch-check >/dev/null   # page cache warm for every run
# shellcheck disable=SC2154  # *_s / *_kb are set by measure() through printf -v
{
  measure cat_file sh -c "git -C '$repo' cat-file --batch-all-objects --batch --unordered >/dev/null"
  measure history_cold "$agent" scan --history "$repo" --jobs "$jobs" --fail-on none --format json --output "$work/cold.json"
  measure history_warm "$agent" scan --history "$repo" --jobs "$jobs" --fail-on none --format json --output "$work/warm.json"
}
python3 - "$work/cold.json" "$work/warm.json" "$cat_file_s" "$history_cold_s" "$history_warm_s" "$history_cold_kb" <<'EOF'
import json, sys
cold, warm = (json.load(open(p)) for p in sys.argv[1:3])
cat_s, cold_s, warm_s, cold_kb = (float(x) for x in sys.argv[3:7])
st = cold["stats"]
print(f"cold: {st.get('commits_scanned', '?')} commits, {st['files_scanned']} blobs scanned "
      f"({st['bytes_scanned'] / 2**30:.2f} GiB, {st['bytes_scanned'] / 2**20 / cold_s:.0f} MiB/s), "
      f"{st['skipped_binary']} binary, {st['skipped_too_large']} too large, {len(cold['findings'])} findings")
print(f"warm: {warm['stats']['files_scanned']} blobs read again, {warm['stats'].get('blobs_cached', '?')} answered by the verdict cache")
same = sorted(f["fingerprint"] for f in cold["findings"]) == sorted(f["fingerprint"] for f in warm["findings"])
print(f"ratio cold / git cat-file: {cold_s / cat_s:.2f}x   (target <= 1.0x)")
print(f"ratio warm / cold:         {warm_s / cold_s:.2%}   (target < 10%)")
print(f"peak memory cold:          {cold_kb / 1024:.0f} MB   (target < 500 MB)")
print(f"warm findings equal cold:  {same}")
EOF
