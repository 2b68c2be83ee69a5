#!/usr/bin/env bash
# Installs every build and test dependency of jit-agent on Debian 12 (bookworm). Idempotent.
# Usage: scripts/install-deps.sh [--tests]   (--tests adds the tools the test suite drives)
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
  libssl-dev zlib1g-dev libsqlite3-dev libzip-dev
)
backports_pkgs=(libgit2-dev libcatch2-dev)
test_pkgs=(
  python3 python3-jsonschema nginx fcgiwrap openssl apache2-utils rsync
  buildah podman runc debootstrap
)

missing() {
  local p out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}

bp_list=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$bp_list" >/dev/null
  need_update=1
fi

all=("${build_pkgs[@]}")
(( want_tests )) && all+=("${test_pkgs[@]}")
mapfile -t todo < <(missing "${all[@]}")
mapfile -t todo_bp < <(missing "${backports_pkgs[@]}")
# libgit2-dev from main is 1.5 (no shallow fetch): make sure the backports one is there.
if dpkg-query -W -f='${Version}' libgit2-dev 2>/dev/null | grep -q '^1\.5'; then todo_bp=("${backports_pkgs[@]}"); fi
if dpkg-query -W -f='${Version}' libcatch2-dev 2>/dev/null | grep -q '^2\.'; then todo_bp=("${backports_pkgs[@]}"); fi

todo=("${todo[@]/#/}")
if (( ${#todo[@]} + ${#todo_bp[@]} > 0 )) && [[ -n "${todo[*]}${todo_bp[*]}" ]]; then
  $SUDO apt-get update -qq
  [[ -n "${todo[*]}" ]] && $SUDO apt-get install -y -qq --no-install-recommends "${todo[@]}"
  [[ -n "${todo_bp[*]}" ]] && $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${todo_bp[@]}"
fi
echo "install-deps: build dependencies present$( (( want_tests )) && echo ', test tools present')"
