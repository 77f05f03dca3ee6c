#!/usr/bin/env bash
# status.sh measures `kdev status` while a mirror's upstream is slow (its /v2/ answers
# after 5 s) and while it is down, RUNS times each (default 10), and prints every time.
# The goal is 0.3 s whatever the upstream does: status asks each upstream within a
# budget and reports "no answer yet" past it. Usage: bench/status.sh [KDEV_BIN].
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../images/lib.sh
. images/lib.sh
kdev=${1:-bin/kdev}
runs=${RUNS:-10}
# Written by images/build.sh, so absent when a fresh clone is linted:
# shellcheck source=/dev/null
. bin/images.env
gw=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}')
[ -n "$gw" ] || gw=172.17.0.1
port=18555
dir=$(mktemp -d)
go build -o "$dir/slowupstream" ./bench/slowupstream
"$dir/slowupstream" -addr "$gw:$port" -delay 5s &
slow=$!
cat >"$dir/kdev.yaml" <<YAML
apiVersion: kdev.dev/v1alpha1
kind: Environment
name: kdev-bench-status
mirrors:
  - registry: slow.bench.test
    remoteURL: http://$gw:$port
localRegistry:
  enabled: false
YAML
k() { "$kdev" -f "$dir/kdev.yaml" --registry-image "$REGISTRY_IMAGE" "$@"; }
cleanup() { kill "$slow" 2>/dev/null || true; k down --purge -q >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
# The mirror only: no cluster is needed to ask its upstream.
k up --verify=false -q >/dev/null 2>&1 || true
k status >/dev/null 2>&1 || die "kdev status failed"
times() {
  local out=()
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); k status >/dev/null; e=$(date +%s%N)
    out+=("$(awk -v d=$((e - s)) 'BEGIN{printf "%.2f", d/1e9}')")
  done
  printf '%s\n' "${out[*]}"
}
log "status, upstream slow (5 s /v2/): $(times)"
kill "$slow"; wait "$slow" 2>/dev/null || true
log "status, upstream down:            $(times)"
