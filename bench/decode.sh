#!/usr/bin/env bash
# Decoding cost and memory: scans 1 GB of generated text (prose, base64 of text and of binary, hex
# hashes, percent-encoded URLs, and 1% base64-encoded fake GitHub tokens) with --decode-depth 0 and 1,
# as 100 files of 10 MiB and as one 1 GiB file; prints wall time, peak RSS (/usr/bin/time) and findings.
# Usage: bench/decode.sh [path/to/jit-agent] [workdir]
set -euo pipefail
agent=${1:-build/jit-agent}
work=${2:-/tmp/jit-bench-decode}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/files" "$work/one"
if [ ! -e "$work/.complete" ]; then
  python3 "$here/gen-encoded-corpus.py" "$work/files" 100
  cat "$work"/files/part*.txt > "$work/one/big.txt"
  touch "$work/.complete"
fi
export JIT_CACHE_DIR="$work/cache"
for target in files one; do
  for depth in 0 1; do
    tf=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$tf" "$agent" -q scan "$work/$target" --no-git --controls secrets \
      --max-file-size 2GiB --decode-depth "$depth" --format json --fail-on none -o "$work/out.json" || true
    read -r s kb < <(tail -n 1 "$tf")
    n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$work/out.json")
    printf '%-6s depth %s: %6.1f s  peak RSS %5d MB  %s findings\n' "$target" "$depth" "$s" $((kb / 1024)) "$n"
    rm -f "$tf"
  done
done
