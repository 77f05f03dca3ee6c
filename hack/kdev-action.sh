#!/usr/bin/env bash
# kdev-action.sh PHASE: what the kdev GitHub actions run (.github/actions/kdev and
# kdev-save), one phase per step, so that CI elsewhere and the project's own tests run
# the very same commands without GitHub.
#
#   install  build kdev from this checkout into $RUNNER_TEMP/kdev-bin, on GITHUB_PATH
#   key      the cache key of this kdev.yaml: key, prefix and archive on GITHUB_OUTPUT
#   restore  import the archive when actions/cache restored one (else start cold)
#   up       kdev up
#   save     export the caches; changed=true|false on GITHUB_OUTPUT (save only then)
#
# Environment: KDEV_CONFIG (kdev.yaml; "" for kdev's defaults), KDEV_IMAGES (true adds
# the node and registry images to the archive), KDEV (the binary, default kdev),
# RUNNER_TEMP, RUNNER_OS, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
kdev=${KDEV:-kdev}
config=${KDEV_CONFIG-kdev.yaml}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
archive=$temp/kdev-cache.tar.zst

die() { printf 'kdev-action: %s\n' "$*" >&2; exit 1; }
output() { printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; }
flags() {
  if [ -n "$config" ]; then printf -- '-f\n%s\n' "$config"; fi
}

# key: one cache per kdev.yaml and runner OS; each run saves under its own key (GitHub's
# caches cannot be overwritten), and the newest one with the prefix is restored.
key() {
  local sum
  if [ -n "$config" ]; then
    [ -f "$config" ] || die "$config does not exist (set the action's config input)"
    sum=$(sha256sum <"$config" | cut -c1-16)
  else
    sum=defaults
  fi
  local prefix="kdev-${RUNNER_OS:-Linux}-$sum-"
  output prefix "$prefix"
  output key "$prefix${GITHUB_RUN_ID:-0}-${GITHUB_RUN_ATTEMPT:-1}"
  output archive "$archive"
}

mapfile -t f < <(flags)
case ${1:-} in
  install)
    mkdir -p "$temp/kdev-bin"
    (cd "$here" && go build -trimpath -o "$temp/kdev-bin/kdev" ./cmd/kdev)
    echo "$temp/kdev-bin" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
    ;;
  key) key ;;
  restore)
    if [ -f "$archive" ]; then
      "$kdev" "${f[@]}" cache import "$archive"
    else
      echo "kdev: no cache archive restored: starting cold"
    fi
    ;;
  up) "$kdev" "${f[@]}" up ;;
  save)
    extra=()
    if [ "${KDEV_IMAGES:-false}" = true ]; then extra+=(--images); fi
    out=$("$kdev" "${f[@]}" cache export -o "$archive" --if-changed "${extra[@]}")
    case $out in
      changed) output changed true ;;
      unchanged) output changed false ;;
      *) die "kdev cache export printed '$out', not changed or unchanged" ;;
    esac
    key
    ;;
  *) die "usage: kdev-action.sh install|key|restore|up|save" ;;
esac
