#!/usr/bin/env bash
# False positives of the secrets control on real source that holds no secrets, as Debian packages
# install it: C/C++ headers, the Python standard library, Perl modules, Go's and Rust's sources
# (golang-1.19-src, rust-src: installed when missing), plus third-party Python and package docs.
# Prints, per corpus, its size and every finding (rule, path, line, confidence), then the total
# per 100 MB. Each finding must be read: a real key shipped in a package (Go's TLS test keys, AWS
# key ids in Rust's CI config, an example PEM) is not a false positive; the rest is.
# Usage: bash bench/secrets-fp.sh [--agent PATH]   (default: build/jit-agent)
set -euo pipefail
cd "$(dirname "$0")/.."
agent=build/jit-agent
if [[ ${1:-} == --agent ]]; then agent=$2; fi
[[ -x $agent ]] || { echo "secrets-fp.sh: no jit-agent at $agent (build it, or pass --agent PATH)" >&2; exit 2; }

if [[ ! -d /usr/share/go-1.19/src || ! -d /usr/src/rustc-1.63.0 ]]; then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-1.19-src rust-src >/dev/null
fi

corpora=(/usr/include /usr/lib/python3.11 /usr/share/perl /usr/lib/x86_64-linux-gnu/perl
         /usr/share/go-1.19/src /usr/src/rustc-1.63.0 /usr/lib/python3/dist-packages /usr/share/doc)
total_mb=0
total=0
for dir in "${corpora[@]}"; do
  [[ -d $dir ]] || { echo "$dir: absent, skipped"; continue; }
  mb=$(du -smL "$dir" | cut -f1)
  report=$("$agent" -q scan "$dir" --no-git --controls secrets --format json --fail-on none)
  n=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' <<<"$report")
  echo "$dir: ${mb} MB, $n findings"
  python3 -c 'import json,sys
for f in json.load(sys.stdin)["findings"]:
    print("    %s %s:%s (%s)" % (f["rule_id"], f["path"], f["line"], f.get("confidence")))' <<<"$report"
  total_mb=$((total_mb + mb))
  total=$((total + n))
done
awk -v n="$total" -v mb="$total_mb" 'BEGIN { printf "total: %d findings in %d MB = %.2f per 100 MB (before subtracting real keys)\n", n, mb, n * 100 / mb }'
echo "target (issue 7): <= 2 per 100 MB that are not real keys"
