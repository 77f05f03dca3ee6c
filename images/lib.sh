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

# says WANT CMD...: whether CMD succeeds and its output contains WANT. The output is
# captured whole, then matched: `CMD | grep -q WANT` under pipefail fails when grep exits
# at its match and CMD dies of SIGPIPE writing its next line, so it fails by timing.
says() {
  local want=$1 out
  shift
  out=$("$@") || return 1
  [[ $out == *"$want"* ]]
}

# now_ms prints the time in milliseconds; since START_MS prints the time since as 12.3s.
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# phase NAME CMD...: the one phase helper of every script. It runs CMD (a command or a
# function) in a subshell under errexit, nounset and pipefail, its output in a log file
# (in $PHASE_LOGS when set, else a temporary one), and logs its wall time. On failure it
# shows the end of the log and exits.
phase() {
  local name=$1 logfile start rc
  shift
  if [[ -n ${PHASE_LOGS:-} ]]; then
    mkdir -p "$PHASE_LOGS"
    logfile=$PHASE_LOGS/$name.log
  else
    logfile=$(mktemp)
  fi
  start=$(now_ms)
  set +e
  (
    set -euo pipefail
    "$@"
  ) >"$logfile" 2>&1 </dev/null
  rc=$?
  set -e
  if ((rc != 0)); then
    printf '✗ phase %s failed after %s (exit %d). Last lines of %s:\n' "$name" "$(since "$start")" "$rc" "$logfile" >&2
    tail -n 30 "$logfile" | sed 's/^/    /' >&2
    exit 1
  fi
  log "$(printf '%-24s %s' "$name" "$(since "$start")")"
  [[ -n ${PHASE_LOGS:-} ]] || rm -f "$logfile"
}
