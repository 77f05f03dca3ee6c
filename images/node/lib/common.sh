# shellcheck shell=bash
# Helpers of the node image build: hashing, cached phases, cleanup. Logging and the
# phase helper itself are images/lib.sh's, shared by every script.

# shellcheck source=SCRIPTDIR/../../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

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

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# cached_phase NAME KEY OUTPUT FUNCTION: phase NAME FUNCTION (its log in
# $WORK/logs/NAME.log) unless it already ran with the same KEY and its OUTPUT (a path,
# or docker:REF) still exists.
cached_phase() {
  local name=$1 key=$2 output=$3 fn=$4
  local stamp=$WORK/stamps/$name
  if [[ -f $stamp && $(<"$stamp") == "$key" ]] && output_exists "$output"; then
    log "$(printf '%-24s cached' "$name")"
    return 0
  fi
  rm -f "$stamp"
  PHASE_LOGS=$WORK/logs phase "$name" "$fn"
  printf '%s\n' "$key" >"$stamp"
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
