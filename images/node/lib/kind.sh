# shellcheck shell=bash
# Phase kind: what the node image takes from kind's own source, read from the Go module
# cache at build time (nothing of it is committed here): the base image's files
# (images/base/files) and the default CNI and storage manifests with their image names.

kind_fetch() {
  local out=$WORK/kind dir
  safe_rm "$out"
  mkdir -p "$out"
  dir=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
  [[ -d $dir/images/base/files && -d $dir/pkg/build/nodeimage ]] ||
    die "sigs.k8s.io/kind@$KIND_VERSION has no images/base/files or pkg/build/nodeimage"

  (cd "$HERE/src/kindconsts" && go run . "$dir/pkg/build/nodeimage") >"$out/consts.json"
  jq -j .cniManifest "$out/consts.json" >"$out/default-cni.yaml"
  jq -j .storageManifest "$out/consts.json" >"$out/default-storage.yaml"
  [[ $(jq -r .cniManifestPath "$out/consts.json") == /kind/manifests/default-cni.yaml &&
    $(jq -r .storageManifestPath "$out/consts.json") == /kind/manifests/default-storage.yaml ]] ||
    die "kind $KIND_VERSION reads its default manifests from new paths; update lib/node.sh"

  cp -r "$dir/images/base/files" "$out/base-files"
  chmod -R u+w "$out/base-files" # the module cache is read-only
  sed -n 's/^[[:space:]]*sandbox_image[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' \
    "$out/base-files/etc/containerd/config.toml" >"$out/sandbox-image"
  [[ -s $out/sandbox-image ]] || die "no sandbox_image in kind's containerd config.toml"
  jq -r '.cniImage, .provisionerImage, .helperImage' "$out/consts.json"
  cat "$out/sandbox-image"
}

# kind_value KEY: a value kindconsts extracted (cniImage, provisionerImage, helperImage).
kind_value() { jq -r --arg k "$1" '.[$k]' "$WORK/kind/consts.json"; }
