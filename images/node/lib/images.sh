# shellcheck shell=bash
# Phase images: every image the node carries, FROM scratch, written as `docker save`-style
# archives in $WORK/images/ under the names kubeadm and kind's manifests use. They never
# pass through the host's Docker, so no registry.k8s.io/* or docker.io/kindest/* tag
# appears there.

readonly SCRATCH_PATH=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# image_archive OUT ROOT CONFIG REF...: a one-layer image of directory ROOT with container
# config CONFIG (JSON: Env, Entrypoint, ...), tagged REF..., as a docker-archive tarball.
image_archive() {
  local out=$1 root=$2 config=$3 tmp diff cfg
  shift 3
  tmp=$(mktemp -d "$WORK/tmp/image.XXXXXX")
  tar -C "$root" --sort=name --numeric-owner -cf "$tmp/layer.tar" .
  diff=$(sha <"$tmp/layer.tar")
  mkdir "$tmp/$diff"
  mv "$tmp/layer.tar" "$tmp/$diff/layer.tar"
  jq -n --argjson c "$config" --arg d "sha256:$diff" \
    '{architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z", config: $c,
      rootfs: {type: "layers", diff_ids: [$d]}, history: [{created_by: "kdev images/node"}]}' >"$tmp/config.json"
  cfg=$(sha <"$tmp/config.json")
  mv "$tmp/config.json" "$tmp/$cfg.json"
  jq -n --arg c "$cfg.json" --arg l "$diff/layer.tar" '[{Config: $c, RepoTags: $ARGS.positional, Layers: [$l]}]' \
    --args "$@" >"$tmp/manifest.json"
  tar -C "$tmp" -cf "$out" manifest.json "$cfg.json" "$diff"
  rm -rf "$tmp"
}

# scratch_image NAME ROOT ENTRYPOINT REF...: image_archive into $WORK/images/NAME.tar, with
# /tmp and /run added to ROOT and the default PATH set.
scratch_image() {
  local name=$1 root=$2 entrypoint=$3
  shift 3
  install -d -m1777 "$root/tmp"
  install -d -m0755 "$root/run"
  image_archive "$WORK/images/$name.tar" "$root" \
    "$(jq -nc --arg path "$SCRATCH_PATH" --argjson ep "$entrypoint" '{Env: [$path], Entrypoint: $ep}')" "$@"
  printf '%s\n' "$@" >>"$WORK/images/refs.txt"
}

# binary_image NAME BINARY PATH REF...: an image holding one static binary at PATH.
binary_image() {
  local name=$1 bin=$2 path=$3 root
  shift 3
  root=$WORK/tmp/root-$name
  safe_rm "$root"
  install -D -m0755 "$bin" "$root$path"
  scratch_image "$name" "$root" "[\"$path\"]" "$@"
  safe_rm "$root"
}

# netfilter_root DEST: iptables (legacy and nft), nft and conntrack from the rootfs, with
# everything they load, for the images that program the node's netfilter.
netfilter_root() {
  local paths
  mapfile -t paths < <(cd "$WORK/rootfs" && compgen -G 'usr/sbin/*tables*' && compgen -G 'usr/lib/*/xtables')
  rootfs_subset "$WORK/rootfs" "$1" "${paths[@]/#//}" /usr/sbin/nft /usr/sbin/conntrack \
    /etc/ethertypes /etc/protocols /etc/services
}

images_build() {
  local k8s=$WORK/bin/kubernetes v=$KUBERNETES_VERSION c root want sandbox pause_refs
  safe_rm "$WORK/images"
  mkdir -p "$WORK/images" "$WORK/tmp"

  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    binary_image "$c" "$k8s/$c" "/usr/local/bin/$c" "registry.k8s.io/$c:$v"
  done
  binary_image etcd "$WORK/bin/etcd/etcd" /usr/local/bin/etcd "registry.k8s.io/etcd:$ETCD_VERSION-0"
  binary_image coredns "$WORK/bin/coredns/coredns" /coredns "registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
  # kubeadm's pause tag, and the one kind's containerd config names as its sandbox image.
  pause_refs=("registry.k8s.io/pause:$PAUSE_VERSION")
  sandbox=$(<"$WORK/kind/sandbox-image")
  [[ $sandbox == "${pause_refs[0]}" ]] || pause_refs+=("$sandbox")
  binary_image pause "$WORK/bin/pause/pause" /pause "${pause_refs[@]}"

  root=$WORK/tmp/root-netfilter
  safe_rm "$root"
  netfilter_root "$root"
  for c in iptables-nft iptables-legacy iptables-restore nft conntrack; do
    chroot "$root" "/usr/sbin/$c" --version # fails if a library did not come along
  done

  cp -a "$root" "$WORK/tmp/root-kube-proxy"
  install -D -m0755 "$k8s/kube-proxy" "$WORK/tmp/root-kube-proxy/usr/local/bin/kube-proxy"
  scratch_image kube-proxy "$WORK/tmp/root-kube-proxy" '["/usr/local/bin/kube-proxy"]' "registry.k8s.io/kube-proxy:$v"

  # kind's default CNI manifest runs its kindnetd image with no command: kdevnet is its
  # entrypoint, under the image name the manifest uses.
  cp -a "$root" "$WORK/tmp/root-cni"
  install -D -m0755 "$WORK/bin/kdevnet/kdevnet" "$WORK/tmp/root-cni/usr/bin/kindnetd"
  scratch_image cni "$WORK/tmp/root-cni" '["/usr/bin/kindnetd"]' "$(kind_value cniImage)"
  safe_rm "$root" "$WORK/tmp/root-kube-proxy" "$WORK/tmp/root-cni"

  # kind's storage manifest runs `local-path-provisioner` from PATH, and helper pods that
  # run shell scripts in the helper image.
  binary_image local-path-provisioner "$WORK/bin/local-path-provisioner/local-path-provisioner" \
    /usr/local/bin/local-path-provisioner "$(kind_value provisionerImage)"
  root=$WORK/tmp/root-helper
  safe_rm "$root"
  install -D -m0755 "$WORK/bin/busybox/busybox" "$root/bin/busybox"
  for c in $("$root/bin/busybox" --list); do [[ -e $root/bin/$c ]] || ln -s busybox "$root/bin/$c"; done
  scratch_image local-path-helper "$root" '["/bin/sh"]' "$(kind_value helperImage)"
  safe_rm "$root"

  # kubeadm pulls exactly these; a version bump that changes them must change the variables.
  while read -r want; do
    grep -qxF "$want" "$WORK/images/refs.txt" ||
      die "kubeadm $v expects $want, which this build does not make: adjust ETCD_VERSION, COREDNS_VERSION or PAUSE_VERSION"
  done < <("$k8s/kubeadm" config images list --kubernetes-version "$v")
  ls -l "$WORK/images"
}
