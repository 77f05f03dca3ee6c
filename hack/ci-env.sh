#!/usr/bin/env bash
# ci-env.sh proves, in CI, that `make test` lives beside the environment `make up` made:
#
#   hack/ci-env.sh before DIR   record the environment, and run a pod from its local registry
#   hack/ci-env.sh after DIR    the same record must come out, a new pod must run, and
#                               `kdev check` must answer as it did before
#   hack/ci-env.sh again DIR    the same as after, later (after the fault suite restarted
#                               Docker and `make up` ran again: nothing was re-created)
#
# The record is every object kdev and kind made for the environment (containers with ID
# and state, networks, volumes) and the files in every kdev volume (cached blobs and
# pushed images), so a test that restarted, re-created, reconfigured or emptied any of
# them is caught. It reads volumes on the engine's own disk: CI runs on the engine's host.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=SCRIPTDIR/../images/lib.sh
. images/lib.sh

mode=${1:-} dir=${2:-}
[[ ($mode == before || $mode == after || $mode == again) && -n $dir ]] || die "usage: hack/ci-env.sh before|after|again DIR"
mkdir -p "$dir"
env_name=$(bin/kdev config view -o json | jq -r .name)
port=$(bin/kdev config view -o json | jq -r .localRegistry.port)
node=$env_name-control-plane
image=localhost:$port/ci/hello:v1

snapshot() {
  local v mp
  docker ps -a --no-trunc --filter label=dev.kdev.managed=true --format 'container {{.Names}} {{.ID}} {{.State}}'
  docker ps -a --no-trunc --filter "label=io.x-k8s.kind.cluster=$env_name" --format 'container {{.Names}} {{.ID}} {{.State}}'
  docker network ls --no-trunc --filter label=dev.kdev.managed=true --format 'network {{.Name}} {{.ID}}'
  for v in $(docker volume ls -q --filter label=dev.kdev.managed=true); do
    mp=$(docker volume inspect -f '{{.Mountpoint}}' "$v")
    printf 'volume %s %s\n' "$v" "$(cd "$mp" && find . -type f -printf '%p %s\n' | LC_ALL=C sort | sha256sum | cut -c1-16)"
  done
}

kubectl() { docker exec -i "$node" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }

# run_pod NAME: a pod from the local registry on the control plane, Ready or fail.
run_pod() {
  kubectl run "$1" --image="$image" --restart=Never --overrides='{"spec":{"tolerations":[{"operator":"Exists"}]}}' >/dev/null
  if ! kubectl wait --for=condition=Ready --timeout=120s "pod/$1" >/dev/null; then
    kubectl describe "pod/$1" >&2 || true
    die "pod $1 from $image did not become Ready"
  fi
  kubectl delete --wait=false "pod/$1" >/dev/null
}

check_code() {
  local rc=0
  bin/kdev check -q >/dev/null 2>"$dir/check-$mode.err" || rc=$?
  echo "$rc"
}

case $mode in
  before)
    # An image of the suite's hello program, pushed the way a user pushes theirs.
    ctx=$(mktemp -d)
    CGO_ENABLED=0 go build -trimpath -o "$ctx/hello" ./e2e/testdata/hello
    printf 'FROM scratch\nCOPY hello /hello\nENTRYPOINT ["/hello"]\n' >"$ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null
    rm -rf "$ctx"
    docker push -q "$image" >/dev/null || die "could not push $image to the environment's local registry"
    run_pod ci-before
    check_code >"$dir/check-code"
    snapshot | LC_ALL=C sort >"$dir/before.txt"
    log "recorded environment $env_name: $(wc -l <"$dir/before.txt") objects; kdev check exits $(cat "$dir/check-code")"
    ;;
  after | again)
    snapshot | LC_ALL=C sort >"$dir/$mode.txt"
    if ! diff -u "$dir/before.txt" "$dir/$mode.txt" >&2; then
      die "environment $env_name changed (diff above: - before, + $mode)"
    fi
    run_pod "ci-$mode"
    want=$(cat "$dir/check-code") got=$(check_code)
    [[ $got == "$want" ]] || die "kdev check exits $got after the tests, $want before: $(cat "$dir/check-after.err")"
    log "environment $env_name as it was: $(wc -l <"$dir/$mode.txt") objects, a new pod runs, kdev check exits $got as before"
    ;;
esac
