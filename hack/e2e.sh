#!/usr/bin/env bash
# e2e.sh runs the e2e suite once per node image named in bin/images.env, one after the
# other (each run owns its cluster, mirrors and upstreams while it lasts), so that every
# test runs on containerd 1.6 (Debian's, NODE_IMAGE) and on containerd 2.x as kind ships
# it (NODE_IMAGE_CONTAINERD2). Usage: hack/e2e.sh [VAR...] (default: both).
# Each run's full log is bin/e2e-<VAR>.log; the terminal gets the test outline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=SCRIPTDIR/../images/lib.sh
. images/lib.sh

vars=("$@")
[ ${#vars[@]} -gt 0 ] || vars=(NODE_IMAGE NODE_IMAGE_CONTAINERD2)
envvar() { sed -n "s/^$1=//p" bin/images.env; }
registry_image=$(envvar REGISTRY_IMAGE)
[ -n "$registry_image" ] || die "bin/images.env names no REGISTRY_IMAGE: run images/build.sh"

failed=()
for var in "${vars[@]}"; do
  image=$(envvar "$var")
  [ -n "$image" ] || die "bin/images.env names no $var: run images/build.sh"
  logf=bin/e2e-$var.log
  log "e2e on $var=$image (log: $logf)"
  start=$SECONDS
  set +e
  KDEV_TEST_REGISTRY_IMAGE=$registry_image KDEV_E2E_NODE_IMAGE=$image \
    go test -race -tags e2e -count=1 -timeout 40m -v ./e2e/ >"$logf" 2>&1
  rc=$?
  set -e
  grep -E '^(=== RUN|--- |\s+--- |ok|FAIL|PASS|panic)|_test.go:' "$logf" || true
  if [ $rc != 0 ]; then
    tail -n 150 "$logf"
    failed+=("$var")
  fi
  log "e2e on $var: exit $rc in $((SECONDS - start))s"
done
[ ${#failed[@]} = 0 ] || die "e2e failed on: ${failed[*]}"
