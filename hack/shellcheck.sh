#!/usr/bin/env bash
# This script runs shellcheck on every shell script in the repository (the *.sh files
# git knows, and .ci/run). Where shellcheck is missing it is installed from Debian's
# packages when that is possible (root and apt), else the run stops and says how.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=SCRIPTDIR/../images/lib.sh
. images/lib.sh

if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing shellcheck from Debian's packages"
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; } ||
      die "could not install shellcheck"
  else
    die "shellcheck is not installed: install it (apt-get install shellcheck, brew install shellcheck) and run make lint again"
  fi
fi
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck -x "${scripts[@]}"
log "shellcheck: ${#scripts[@]} scripts clean"
