# shellcheck shell=bash
# Helpers shared by the phases: logging, hashing, cached phases, cleanup.

log() { printf '• %s\n' "$*" >&2; }
die() {
  printf '✗ %s\n' "$*" >&2
  exit 1
}

# sha: sha256 of stdin, hex only.
sha() { sha256sum | cut -c1-64; }

# key ARG...: one hash for a list of strings (versions, file hashes, function bodies).
key() { printf '%s\0' "$@" | sha; }

# hash_files PATH...: hash of the names and contents of PATHs (files or directories),
# skipping *.md, so that documentation edits do not rebuild anything.
hash_files() {
  local p
  for p; do
    (cd "$(dirname "$p")" && find "$(basename "$p")" -type f ! -name '*.md' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
  done | sha
}

# fn_key FUNCTION...: hash of the current definitions of shell functions, so editing a
# phase's code invalidates that phase.
fn_key() { declare -f "$@" | sha; }

now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# phase NAME KEY OUTPUT FUNCTION: run FUNCTION (output to $WORK/logs/NAME.log) unless it
# already ran with the same KEY and its OUTPUT (a path, or docker:REF) still exists.
phase() {
  local name=$1 key=$2 output=$3 fn=$4
  local stamp=$WORK/stamps/$name logfile=$WORK/logs/$name.log start rc
  if [[ -f $stamp && $(<"$stamp") == "$key" ]] && output_exists "$output"; then
    log "$(printf '%-24s cached' "$name")"
    return 0
  fi
  rm -f "$stamp"
  start=$(now_ms)
  set +e
  (
    set -euo pipefail
    "$fn"
  ) >"$logfile" 2>&1 </dev/null
  rc=$?
  set -e
  if ((rc != 0)); then
    printf '✗ phase %s failed after %s (exit %d). Last lines of %s:\n' "$name" "$(since "$start")" "$rc" "$logfile" >&2
    tail -n 30 "$logfile" | sed 's/^/    /' >&2
    exit 1
  fi
  printf '%s\n' "$key" >"$stamp"
  log "$(printf '%-24s %s' "$name" "$(since "$start")")"
}

output_exists() {
  case $1 in
    docker:*) image_exists "${1#docker:}" ;;
    *) [[ -e $1 ]] ;;
  esac
}

# safe_rm PATH...: remove build trees, first unmounting anything a failed debootstrap or
# chroot left mounted inside them, and never crossing into another file system.
safe_rm() {
  local p real m
  for p; do
    [[ -e $p || -L $p ]] || continue
    real=$(realpath "$p")
    findmnt -rn -o TARGET | awk -v p="$real/" 'index($0, p) == 1' | sort -r |
      while read -r m; do umount -l "$m"; done
    rm -rf --one-file-system "$p"
  done
}
