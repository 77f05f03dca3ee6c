# lib.sh: shared helpers for the offline image builds (sourced, not run).
# shellcheck shell=bash

log() { printf '• %s\n' "$*" >&2; }
die() { printf '✗ %s\n' "$*" >&2; exit 1; }

# inputs_hash FILE... prints a short hash of the files' contents and of the
# environment words given after "--", so that an image is rebuilt when its inputs change.
inputs_hash() {
  local files=() words=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; words=("$@"); break; fi
    files+=("$1"); shift
  done
  { cat "${files[@]}"; printf '%s\n' "${words[@]}"; } | sha256sum | cut -c1-12
}

# image_current REF HASH succeeds when REF exists and was built from inputs HASH.
image_current() {
  [ "$(docker image inspect --format '{{index .Config.Labels "dev.kdev.inputs"}}' "$1" 2>/dev/null)" = "$2" ]
}

# phase NAME CMD... runs CMD, logs its wall time, and on failure shows the end of its log.
phase() {
  local name=$1; shift
  local logf start
  logf=$(mktemp)
  start=$(date +%s%N)
  if ! "$@" >"$logf" 2>&1; then
    tail -n 25 "$logf" >&2
    die "phase $name failed (full log: $logf)"
  fi
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  log "$(printf '%-16s %4d.%01ds' "$name" $((ms / 1000)) $((ms % 1000 / 100)))"
  rm -f "$logf"
}
