#!/usr/bin/env bash
# Installs every build dependency of jit-agent on Debian 12 (bookworm), and with --tests the tools
# the test suite drives (including the external controls' scanners from Debian: bandit, flawfinder,
# shellcheck; eslint comes from npm: scripts/install-tools.sh). Idempotent: installs only what is missing, runs apt-get update only then.
# Usage: scripts/install-deps.sh [--tests]
set -euo pipefail

want_tests=0
[[ "${1:-}" == "--tests" ]] && want_tests=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

build_pkgs=(
  g++ cmake make pkg-config git ca-certificates ccache
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libboost1.81-dev libboost-filesystem1.81-dev
  libvectorscan-dev libre2-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev
  libssl-dev zlib1g-dev libsqlite3-dev libzip-dev libdeflate-dev
)
# libgit2 1.8 (shallow fetch) and Catch2 v3 exist only in bookworm-backports.
backports_pkgs=(libgit2-dev libcatch2-dev)
test_pkgs=(
  python3 python3-jsonschema python3-yaml nginx fcgiwrap openssl apache2-utils rsync time util-linux
  buildah podman runc debootstrap
  bandit flawfinder shellcheck
  chromium chromium-driver
)

# Prints the packages of "$@" that are not installed.
missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# bookworm-backports from the mirror the system's bookworm source already uses (apt says which once
# its lists are there).
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $SUDO apt-get update -qq
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk '$2 == "bookworm" { print $1; exit }')
  if [[ -z $mirror ]]; then
    echo "install-deps: apt has no Debian bookworm source to add bookworm-backports beside" >&2
    exit 1
  fi
  echo "deb ${mirror%/} bookworm-backports main" |
    $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi

all=("${build_pkgs[@]}")
(( want_tests )) && all+=("${test_pkgs[@]}")
mapfile -t todo < <(missing "${all[@]}")
mapfile -t todo_bp < <(missing "${backports_pkgs[@]}")
# An older libgit2-dev (1.5, bookworm main) or Catch2 v2 must be replaced by the backports ones.
if dpkg-query -W -f='${Version}' libgit2-dev 2>/dev/null | grep -q '^1\.[0-7]\.'; then todo_bp=("${backports_pkgs[@]}"); fi
if dpkg-query -W -f='${Version}' libcatch2-dev 2>/dev/null | grep -q '^2\.'; then todo_bp=("${backports_pkgs[@]}"); fi

if (( ${#todo[@]} + ${#todo_bp[@]} > 0 )); then
  $SUDO apt-get update -qq
  if (( ${#todo[@]} > 0 )); then
    $SUDO apt-get install -y -qq --no-install-recommends "${todo[@]}"
  fi
  if (( ${#todo_bp[@]} > 0 )); then
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${todo_bp[@]}"
  fi
fi
if (( want_tests )); then
  echo "install-deps: build dependencies and test tools present"
else
  echo "install-deps: build dependencies present"
fi
