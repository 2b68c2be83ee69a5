#!/usr/bin/env bash
# podman/buildah set up to run on machines without a Docker engine, shared by the image test
# (tests/integration/test_image.py) and scripts/test-in-container.sh:
# runc + cgroupfs, the host network, vfs storage under one state folder, every remote registry
# blocked (nothing is ever pulled). The Debian base image is made offline-of-registries with
# debootstrap from the Debian mirror the host's apt sources name, and imported under Docker Hub names.
#
# Usage (as root):
#   podman-env.sh env STATE_DIR              write STATE_DIR/conf/*, print the environment (KEY=VALUE lines)
#                                            that points podman/buildah at it
#   podman-env.sh rootfs CACHE_DIR           make CACHE_DIR/bookworm-minbase.tar (debootstrap minbase) unless present
#   podman-env.sh base-image STATE_DIR CACHE_DIR NAME...
#                                            import that rootfs into STATE_DIR's storage as each NAME missing there
#   podman-env.sh mirror                     print the Debian mirror of the host's apt sources ($JIT_DEBIAN_MIRROR wins)
# Exit codes: 0 done; 2 usage; 3 cannot here (no mirror in the apt sources, debootstrap or import failed),
# with the reason on stderr.
set -euo pipefail

die3() { echo "podman-env: $*" >&2; exit 3; }

# The URI of the first enabled `deb` source for suite bookworm (deb822 .sources, then one-line .list).
debian_mirror() {
  if [[ -n ${JIT_DEBIAN_MIRROR:-} ]]; then echo "$JIT_DEBIAN_MIRROR"; return 0; fi
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i; else if ($i ~ /^URIs:/) uris = $i
          else if ($i ~ /^Suites:/) suites = $i; else if ($i ~ /^Enabled:/) enabled = $i }
        if (types ~ /[ \t]deb([ \t]|$)/ && suites ~ /[ \t]bookworm([ \t]|$)/ && enabled !~ /[Nn]o/) {
          split(uris, a, /[ \t]+/); print a[2]; exit } }' "$f")
    [[ -n $uri ]] && break
  done
  if [[ -z $uri ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '
      $1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == "bookworm") { print $i; exit } }')
  fi
  [[ $uri =~ ^(https?|file): ]] ||
    die3 "no 'deb ... bookworm' source with an http(s) or file URI in /etc/apt/sources.list{,.d/} (set JIT_DEBIAN_MIRROR)"
  echo "${uri%/}"
}

write_conf() {
  local state=$1 conf=$1/conf r
  mkdir -p "$conf" "$state/tmp" "$state/run"
  # crun fails on hosts with hybrid cgroups; the default ulimits cannot be set everywhere.
  cat >"$conf/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$state/run/events.log"
EOF
  cat >"$conf/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$state/storage"
runroot = "$state/run"
EOF
  # Nothing is pulled: FROM debian:bookworm-slim must resolve to the imported image.
  {
    printf 'unqualified-search-registries = []\nshort-name-mode = "permissive"\n'
    for r in docker.io quay.io registry.gitlab.com ghcr.io gcr.io; do
      printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$r"
    done
  } >"$conf/registries.conf"
}

print_env() {
  local state=$1
  echo "CONTAINERS_CONF=$state/conf/containers.conf"
  echo "CONTAINERS_STORAGE_CONF=$state/conf/storage.conf"
  echo "CONTAINERS_REGISTRIES_CONF=$state/conf/registries.conf"
  echo "BUILDAH_ISOLATION=chroot"
  echo "TMPDIR=$state/tmp"
}

use_env() {
  local k v
  write_conf "$1"
  while IFS='=' read -r k v; do export "$k=$v"; done < <(print_env "$1")
}

make_rootfs() {
  local cache=$1 tar=$1/bookworm-minbase.tar mirror rootfs log
  mkdir -p "$cache"
  [[ -f $tar ]] && return 0
  exec 9>"$cache/rootfs.lock"
  flock 9
  [[ -f $tar ]] && return 0
  command -v debootstrap >/dev/null || die3 "debootstrap is not installed"
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d "$cache/rootfs-XXXXXX")
  log=$cache/debootstrap.log
  trap 'rm -rf "$rootfs"' EXIT
  echo "podman-env: debootstrap bookworm (minbase) from $mirror into $tar" >&2
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$log" 2>&1; then
    echo "podman-env: debootstrap could not build a bookworm rootfs from $mirror (log: $log); its end:" >&2
    tail -n 8 "$log" >&2
    exit 3
  fi
  # What a slim image leaves out too: downloaded .debs and package lists.
  find "$rootfs/var/cache/apt/archives" "$rootfs/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  chmod 755 "$rootfs"  # mktemp's 0700 would become the image's "/" mode
  # No device nodes: runtimes mount their own /dev (an image from a registry has none).
  tar -C "$rootfs" --exclude='./dev/*' -cf "$tar.part" .
  mv "$tar.part" "$tar"
  rm -rf "$rootfs"
  trap - EXIT
}

base_image() {
  local state=$1 cache=$2 name imported=""
  shift 2
  use_env "$state"
  for name in "$@"; do
    podman image exists "$name" && continue
    if [[ -z $imported ]]; then
      make_rootfs "$cache"
      podman import --quiet "$cache/bookworm-minbase.tar" "$name" >/dev/null ||
        die3 "podman import of $cache/bookworm-minbase.tar failed"
      imported=$name
      echo "podman-env: $name imported from $cache/bookworm-minbase.tar" >&2
    else
      podman tag "$imported" "$name"
    fi
  done
}

case "${1:-}" in
  env) [[ $# -eq 2 ]] || exit 2; write_conf "$2"; print_env "$2" ;;
  rootfs) [[ $# -eq 2 ]] || exit 2; make_rootfs "$2" ;;
  base-image) [[ $# -ge 4 ]] || exit 2; shift; base_image "$@" ;;
  mirror) debian_mirror ;;
  *) sed -n '8,17p' "$0" >&2; exit 2 ;;
esac
