#!/usr/bin/env bash
# Installs the npm tools the tests drive (gitlab-ci-local, and Node 22 which it needs: the system
# Node 20 crashes it) into one folder outside the repository. Idempotent: does nothing when the
# pinned versions are present. Prints the folder whose node_modules/.bin must go first on PATH.
# Usage: scripts/install-test-tools.sh [DIR]   (default: $JIT_TEST_TOOLS_DIR, else /var/tmp/jit-agent-test-tools)
# Exit codes: 0 installed or present; 3 npm missing or the registry unreachable.
set -euo pipefail

dir=${1:-${JIT_TEST_TOOLS_DIR:-/var/tmp/jit-agent-test-tools}}
node_version=22
gcl_version=4.75.1

present() {
  local bin=$dir/node_modules/.bin
  [[ -x $bin/gitlab-ci-local && -x $bin/node ]] || return 1
  [[ $("$bin/node" --version 2>/dev/null) == v${node_version}.* ]] || return 1
  [[ $(PATH=$bin:$PATH gitlab-ci-local --version 2>/dev/null) == "$gcl_version" ]]
}

if present; then
  echo "$dir"
  exit 0
fi
if ! command -v npm >/dev/null; then
  # Debian's npm (Node 18) is enough to fetch the pinned Node 22 from the npm registry.
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-test-tools: installing npm with apt" >&2
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
         --no-install-recommends npm; } >&2 || ! command -v npm >/dev/null; then
    echo "install-test-tools: npm is not installed and apt could not install it" >&2
    exit 3
  fi
fi
mkdir -p "$dir"
# npm's own output goes to stderr so that stdout is only the folder.
if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "node@${node_version}" "gitlab-ci-local@${gcl_version}" >&2; then
  echo "install-test-tools: npm install failed (is the npm registry reachable?)" >&2
  exit 3
fi
if ! present; then
  echo "install-test-tools: $dir/node_modules/.bin lacks node $node_version or gitlab-ci-local $gcl_version" >&2
  exit 3
fi
echo "$dir"
