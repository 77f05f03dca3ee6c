#!/usr/bin/env bash
# build.sh builds kdev's Kind node image with no internet: only the Go module proxy and a
# Debian mirror are needed. Run it from anywhere, as root:
#
#   bash images/node/build.sh
#
# The image is tagged from a hash of this folder and the versions below; when that image
# exists already the script only prints it. Progress goes to stderr; the last (and only)
# line on stdout is NODE_IMAGE=<ref>. See README.md next to it.
set -euo pipefail

# Versions. Each can be overridden from the environment.
: "${KIND_VERSION:=v0.33.0}"                   # kind whose node contract (base files, manifests) we follow
# The container runtime. Empty: Debian's packages (containerd 1.6, runc 1.1, CNI plugins
# 1.1). A version: containerd, runc and the CNI plugins built from their Go modules, as
# kind's base image ships them (kind v0.33: containerd v2.3.4, runc v1.4.3, CNI v1.9.1).
: "${CONTAINERD_VERSION:=}"
: "${RUNC_VERSION:=v1.4.3}"
: "${CNI_PLUGINS_VERSION:=v1.9.1}"
: "${KUBERNETES_VERSION:=v1.34.1}"             # k8s.io/kubernetes module; kubelet >= 1.35 refuses cgroup v1
: "${ETCD_VERSION:=3.6.4}"                     # image tag ${ETCD_VERSION}-0, as kubeadm expects
: "${COREDNS_VERSION:=v1.12.1}"                # as kubeadm expects
: "${PAUSE_VERSION:=3.10.1}"                   # as kubeadm expects
: "${LOCAL_PATH_PROVISIONER_VERSION:=v0.0.30}" # the one version the module proxy serves here
: "${DEBIAN_SUITE:=bookworm}"                  # systemd >= 256 (trixie) refuses cgroup v1
# The Debian mirror is the one this machine's apt is set up with (its first non-security
# "deb" source), so the build goes where apt goes; DEBIAN_MIRROR overrides it.
apt_mirror() {
  { grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
    awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/*.sources 2>/dev/null
  } | awk '!/security/ && !found { print; found = 1 }' # reads all: no early exit under pipefail
}
: "${DEBIAN_MIRROR:=$(apt_mirror)}"
if [ -z "$DEBIAN_MIRROR" ]; then
  echo "✗ no Debian mirror found in /etc/apt/sources*: set DEBIAN_MIRROR to one" >&2
  exit 1
fi

KUBERNETES_BINARIES="kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${KDEV_IMAGES_WORKDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kdev/images/node}
export LC_ALL=C GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
exec 3>&1 1>&2 # stdout is for the result line only

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/kind.sh
source "$HERE/lib/kind.sh"
# shellcheck source=SCRIPTDIR/lib/rootfs.sh
source "$HERE/lib/rootfs.sh"
# shellcheck source=SCRIPTDIR/lib/runtime.sh
source "$HERE/lib/runtime.sh"
# shellcheck source=SCRIPTDIR/lib/binaries.sh
source "$HERE/lib/binaries.sh"
# shellcheck source=SCRIPTDIR/lib/images.sh
source "$HERE/lib/images.sh"
# shellcheck source=SCRIPTDIR/lib/node.sh
source "$HERE/lib/node.sh"

# The variant names what differs between node images built from one work dir: the
# runtime. Phases that depend on it keep one stamp per variant, so that building one
# variant never invalidates the other's cache.
variant=debian
runtime_versions=()
if [[ -n $CONTAINERD_VERSION ]]; then
  variant=containerd-${CONTAINERD_VERSION#v}
  runtime_versions=("$CONTAINERD_VERSION" "$RUNC_VERSION" "$CNI_PLUGINS_VERSION")
fi
versions=("$KIND_VERSION" "$KUBERNETES_VERSION" "$ETCD_VERSION" "$COREDNS_VERSION" "$PAUSE_VERSION"
  "$LOCAL_PATH_PROVISIONER_VERSION" "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$(uname -m)" "${runtime_versions[@]}")
input_key=$(key "${versions[@]}" "$(hash_files "$HERE")")
tag_prefix=$KUBERNETES_VERSION
[[ $variant == debian ]] || tag_prefix+=-$variant
NODE_IMAGE=kdev.local/node:$tag_prefix-${input_key:0:12}

done_with() {
  log "node image $NODE_IMAGE${1:+ $1}"
  echo "NODE_IMAGE=$NODE_IMAGE" >&3
  exit 0
}

docker info >/dev/null 2>&1 || die "Docker does not answer (docker info failed); start it, e.g. with hack/ensure-docker.sh"
image_exists "$NODE_IMAGE" && done_with "is up to date"

# Preflight: a full or partial build.
[[ $(id -u) == 0 ]] || die "building the node image needs root (debootstrap, chroot); run it with sudo"
[[ $(uname -m) == x86_64 ]] || die "only amd64 hosts are supported"
command -v go >/dev/null || die "go is not installed"
missing=()
for tool in debootstrap:debootstrap jq:jq gcc:gcc dpkg-deb:dpkg; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} with apt-get"
  { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "could not install ${missing[*]}"
fi
[[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || die "static libc missing: apt-get install libc6-dev"

mkdir -p "$WORK"/{stamps,logs,tmp}
exec 9>"$WORK/lock"
flock -n 9 || {
  log "waiting for another build using $WORK"
  flock 9
}
image_exists "$NODE_IMAGE" && done_with "was built meanwhile"
log "building $NODE_IMAGE (work dir $WORK, logs in $WORK/logs)"
started=$(now_ms)

# Each phase is keyed on its own inputs: versions, input files, and its own code.
k_kind=$(key "$KIND_VERSION" "$(hash_files "$HERE/src/kindconsts")" "$(fn_key kind_fetch)")
k_rootfs=$(key "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$(hash_files "$HERE/packages.txt")" "$(fn_key rootfs_build)")
k_runtime=$(key "${runtime_versions[@]}" "$(fn_key runtime_build)")
k_base=$(key "$k_rootfs" "$k_kind" "$variant" "$(fn_key base_build image_archive runtime_install runtime_debian)")
[[ $variant == debian ]] || k_base=$(key "$k_base" "$k_runtime")
BASE_IMAGE=kdev.local/node-base:${DEBIAN_SUITE}-$variant-${k_base:0:12}
k_kubernetes=$(key "$KUBERNETES_VERSION" "$KUBERNETES_BINARIES" "$(hash_files "$HERE/k8s")" "$(fn_key kubernetes_build module_copy required_version)")
k_etcd=$(key "$ETCD_VERSION" "$(hash_files "$HERE/etcd")" "$(fn_key etcd_build module_copy required_version)")
k_coredns=$(key "$COREDNS_VERSION" "$(fn_key coredns_build)")
k_lpp=$(key "$LOCAL_PATH_PROVISIONER_VERSION" "$(fn_key local_path_provisioner_build)")
k_kdevnet=$(key "$(hash_files "$HERE/src/kdevnet")" "$(fn_key kdevnet_build)")
k_pause=$(key "$PAUSE_VERSION" "$(hash_files "$HERE/src/pause")" "$(fn_key pause_build)")
k_busybox=$(key "$DEBIAN_SUITE" "$(fn_key busybox_fetch)")
k_images=$(key "$k_kind" "$k_rootfs" "$k_kubernetes" "$k_etcd" "$k_coredns" "$k_lpp" "$k_kdevnet" "$k_pause" "$k_busybox" \
  "$ETCD_VERSION" "$PAUSE_VERSION" "$COREDNS_VERSION" \
  "$(fn_key images_build image_archive scratch_image binary_image netfilter_root rootfs_subset)")

cached_phase kind "$k_kind" "$WORK/kind/consts.json" kind_fetch
cached_phase rootfs "$k_rootfs" "$WORK/rootfs" rootfs_build
if [[ $variant != debian ]]; then
  [[ -f /usr/include/seccomp.h ]] || {
    log "installing libseccomp-dev with apt-get (runc links libseccomp)"
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev >/dev/null; } ||
      die "could not install libseccomp-dev"
  }
  cached_phase "runtime-$variant" "$k_runtime" "$WORK/bin/runtime-$CONTAINERD_VERSION" runtime_build
fi
cached_phase "base-$variant" "$k_base" "docker:$BASE_IMAGE" base_build
cached_phase kubernetes "$k_kubernetes" "$WORK/bin/kubernetes" kubernetes_build
cached_phase etcd "$k_etcd" "$WORK/bin/etcd" etcd_build
cached_phase coredns "$k_coredns" "$WORK/bin/coredns" coredns_build
cached_phase local-path-provisioner "$k_lpp" "$WORK/bin/local-path-provisioner" local_path_provisioner_build
cached_phase kdevnet "$k_kdevnet" "$WORK/bin/kdevnet" kdevnet_build
cached_phase pause "$k_pause" "$WORK/bin/pause" pause_build
cached_phase busybox "$k_busybox" "$WORK/bin/busybox" busybox_fetch
cached_phase images "$k_images" "$WORK/images/refs.txt" images_build
cached_phase "node-$variant" "$input_key" "docker:$NODE_IMAGE" node_build

# Superseded base images of this variant are only intermediate steps: drop their tags.
old_bases=$(docker images --format '{{.Repository}}:{{.Tag}}' kdev.local/node-base)
grep "^kdev.local/node-base:${DEBIAN_SUITE}-$variant-" <<<"$old_bases" | grep -vxF "$BASE_IMAGE" |
  xargs -r docker rmi >/dev/null 2>&1 || true
done_with "built in $(since "$started")"
