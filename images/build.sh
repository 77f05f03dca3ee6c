#!/usr/bin/env bash
# build.sh builds kdev's offline images with no registry access and records their refs
# in bin/images.env for the Makefile. Usage: images/build.sh [registry] [node] [node-containerd2]
# (default: all three). It ends by printing bin/images.env: REGISTRY_IMAGE=, NODE_IMAGE= and
# NODE_IMAGE_CONTAINERD2= with their refs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$root/images/lib.sh"

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(registry node node-containerd2)
mkdir -p "$root/bin"
envfile="$root/bin/images.env"
touch "$envfile"

for w in "${what[@]}"; do
  [ -x "$root/images/$w/build.sh" ] || die "no image named $w: expected images/$w/build.sh"
  start=$(date +%s)
  line=$("$root/images/$w/build.sh" | tail -n 1)
  case "$line" in
    *_IMAGE=* | *_IMAGE_*=*) ;;
    *) die "images/$w/build.sh did not end with a *_IMAGE*=<ref> line (it ended with: [$line])" ;;
  esac
  key=${line%%=*}
  grep -v "^$key=" "$envfile" >"$envfile.tmp" || true
  echo "$line" >>"$envfile.tmp"
  mv "$envfile.tmp" "$envfile"
  log "$(printf '%-16s %4ds total' "$w image" $(($(date +%s) - start)))"
done
sort "$envfile"
