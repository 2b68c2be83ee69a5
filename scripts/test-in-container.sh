#!/usr/bin/env bash
# Runs the README's two commands (scripts/run-example.sh, then scripts/test.sh) in a clean
# debian:bookworm container, as a new user would on a fresh machine, and prints each one's result.
#
# The base image is made with debootstrap from the Debian mirror of this machine's apt sources and
# cached (scripts/podman-env.sh; nothing is pulled from a registry). The container gets a clone of
# this repository's current commit at /src/jit-agent (JIT_CLEAN_FROM=worktree: with the working
# tree's uncommitted and untracked, not ignored files over it), with ../shared mounted read-only
# beside it at /src/shared when present, and nothing else installed:
# the two commands install what they need with apt themselves. The container shares the host's
# network; it is not privileged, so tests that start containers themselves skip, saying so
# (JIT_CONTAINER_PRIVILEGED=1 runs it privileged, where they can run).
#
# Usage (as root): bash scripts/test-in-container.sh [ctest args...]
# Environment: JIT_IMAGE_CACHE_DIR (default /var/tmp/jit-agent-image-cache): cache and podman state;
#   the run's logs stay in $JIT_IMAGE_CACHE_DIR/clean-system/last/.
# Exit code: 0 when both commands passed, 1 when one failed, 2 when it could not start.
# A full run builds everything twice on a cold cache (the agent and tests, then the image): 20-60 min.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "test-in-container: run as root (podman with vfs storage)" >&2
  exit 2
fi
missing=()
for tool in podman runc debootstrap flock; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if (( ${#missing[@]} )); then
  echo "test-in-container: missing ${missing[*]}: apt-get install podman runc debootstrap" \
       "(or bash scripts/install-deps.sh --tests)" >&2
  exit 2
fi

cache=${JIT_IMAGE_CACHE_DIR:-/var/tmp/jit-agent-image-cache}
state=$cache/clean-system   # own podman storage: the image test's cleanup never touches this container
image=docker.io/library/debian:bookworm
mkdir -p "$state"
exec 8>"$state/lock"
if ! flock -n 8; then
  echo "test-in-container: another run holds $state/lock" >&2
  exit 2
fi
while IFS='=' read -r k v; do export "$k=$v"; done < <(bash scripts/podman-env.sh env "$state")
bash scripts/podman-env.sh base-image "$state" "$cache" "$image" || exit 2

# The copy of the working tree (the container writes build/ into it, never into this one).
run=$state/run-$$
logs=$state/last
rm -rf "$logs" "$state"/run-*
mkdir -p "$run/jit-agent" "$logs"
trap 'rm -rf "$run"' EXIT
git clone -q --no-local "$src" "$run/jit-agent"
if [[ ${JIT_CLEAN_FROM:-HEAD} == worktree ]]; then
  git ls-files -z --cached --others --exclude-standard |
    tar -C "$src" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$run/jit-agent" -xf -
fi

args=(run --rm --name "jit-clean-system-$$" -v "$run/jit-agent:/src/jit-agent" -v "$logs:/logs"
      -w /src/jit-agent)
if [[ -d ../shared ]]; then
  args+=(-v "$(cd ../shared && pwd):/src/shared:ro")
else
  echo "test-in-container: ../shared is absent: tests that need it will skip"
fi
# apt in the container uses the mirror its sources name (the host's, from debootstrap) and, if the
# host's apt goes through a proxy, the same proxy.
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::\(https\?\)::Proxy "\(.*\)";$/Acquire::\1::Proxy "\2";/p')
if [[ -n $proxy ]]; then
  printf '%s\n' "$proxy" >"$logs/apt-proxy.conf"
  args+=(-v "$logs/apt-proxy.conf:/etc/apt/apt.conf.d/01host-proxy:ro")
fi
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [[ -n ${!var:-} ]] && args+=(-e "$var")
done
[[ ${JIT_CONTAINER_PRIVILEGED:-0} == 1 ]] && args+=(--privileged)

# Inside: the README's commands, verbatim, each one's output to the terminal and its log.
inner='
set -o pipefail
bash scripts/run-example.sh 2>&1 | tee /logs/run-example.log; echo $? >/logs/run-example.rc
bash scripts/test.sh "$@" 2>&1 | tee /logs/test.log; echo $? >/logs/test.rc
'
what="commit $(git rev-parse --short HEAD)"
[[ ${JIT_CLEAN_FROM:-HEAD} == worktree ]] && what+=" and the working tree's changes"
echo "test-in-container: $image with $src ($what) at /src/jit-agent; logs in $logs"
t0=$SECONDS
podman "${args[@]}" "$image" bash -c "$inner" bash "$@" || true
elapsed=$(( SECONDS - t0 ))

status=0
echo
echo "=== test-in-container results ($(( elapsed / 60 )) min $(( elapsed % 60 )) s) ==="
for cmd in run-example test; do
  rc=$(cat "$logs/$cmd.rc" 2>/dev/null || echo "none (did not run)")
  if [[ $rc == 0 ]]; then verdict=passed; else verdict=FAILED; status=1; fi
  echo "bash scripts/$cmd.sh: exit $rc, $verdict"
done
if [[ -f $logs/test.log ]]; then
  grep -E '^[0-9]+% tests passed|^skipped |\(Failed\)|\(Timeout\)|\(Skipped\)' "$logs/test.log" || true
fi
exit $status
