# shellcheck shell=bash
# Phases that compile the node's programs. All Go is built with CGO_ENABLED=0, so every
# binary is static and runs in an image FROM scratch. Outputs land in $WORK/bin/<phase>/.

# module_copy NAME: a writable copy of the wrapper module images/node/NAME in $WORK/src,
# so that re-pinning it for an overridden version never touches the source tree.
module_copy() {
  local dst=$WORK/src/$1
  safe_rm "$dst"
  mkdir -p "$dst"
  cp "$HERE/$1/go.mod" "$HERE/$1/go.sum" "$dst/"
  echo "$dst"
}

# required_version DIR MODULE: the version of MODULE that DIR's go.mod requires.
required_version() {
  (cd "$1" && go mod edit -json) | jq -r --arg m "$2" '.Require[] | select(.Path == $m) | .Version'
}

kubernetes_build() {
  local out=$WORK/bin/kubernetes src ldflags p cmds=()
  src=$(module_copy k8s)
  if [[ $(required_version "$src" k8s.io/kubernetes) != "$KUBERNETES_VERSION" ]]; then
    "$HERE/k8s/pin.sh" "$KUBERNETES_VERSION" "$src"
  fi
  [[ $KUBERNETES_VERSION =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "KUBERNETES_VERSION=$KUBERNETES_VERSION is not vX.Y.Z"
  # kubeadm and kubelet compare these versions; an unstamped build reports v0.0.0.
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=${BASH_REMATCH[1]}"
    ldflags+=" -X $p.gitMinor=${BASH_REMATCH[2]} -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  for p in $KUBERNETES_BINARIES; do cmds+=("k8s.io/kubernetes/cmd/$p"); done
  safe_rm "$out"
  # One go build for all seven: they share most packages.
  (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" "${cmds[@]}")
  [[ $("$out.tmp/kubeadm" version -o short) == "$KUBERNETES_VERSION" ]] || die "kubeadm is not stamped $KUBERNETES_VERSION"
  mv "$out.tmp" "$out"
}

etcd_build() {
  local out=$WORK/bin/etcd src
  src=$(module_copy etcd)
  if [[ $(required_version "$src" go.etcd.io/etcd/server/v3) != "v$ETCD_VERSION" ]]; then
    (cd "$src" && go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" && go mod tidy)
  fi
  safe_rm "$out"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=kdev" \
    -o "$out/etcd" go.etcd.io/etcd/server/v3)
  says "etcd Version: $ETCD_VERSION" "$out/etcd" --version ||
    die "built etcd is not $ETCD_VERSION: it says $("$out/etcd" --version 2>&1)"
}

coredns_build() {
  local out=$WORK/bin/coredns
  safe_rm "$out"
  GOBIN=$out go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  "$out/coredns" -version
}

local_path_provisioner_build() {
  local out=$WORK/bin/local-path-provisioner
  safe_rm "$out"
  GOBIN=$out go install -trimpath -ldflags "-s -w -X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
}

kdevnet_build() {
  local out=$WORK/bin/kdevnet
  safe_rm "$out"
  (cd "$HERE/src/kdevnet" && go build -trimpath -ldflags "-s -w" -o "$out/kdevnet" .)
}

pause_build() {
  local out=$WORK/bin/pause
  safe_rm "$out"
  mkdir -p "$out"
  gcc -static -Os -Wall -Wextra -Werror -DVERSION="\"$PAUSE_VERSION\"" -o "$out/pause" "$HERE/src/pause/pause.c"
  strip "$out/pause"
  "$out/pause" -v
}

# busybox_fetch: Debian's static busybox, for kind's local-path helper image (the helper
# pod runs `sh` scripts that mkdir and rm volume directories).
busybox_fetch() {
  local out=$WORK/bin/busybox tmp=$WORK/tmp/busybox
  safe_rm "$out" "$tmp"
  mkdir -p "$out" "$tmp"
  (cd "$tmp" && apt-get download busybox-static) ||
    (apt-get update -qq && cd "$tmp" && apt-get download busybox-static)
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
  install -m0755 "$tmp/x/bin/busybox" "$out/busybox"
  safe_rm "$tmp"
}
