# shellcheck shell=bash
# Phases rootfs and base: a Debian root file system with the packages of kind's base image,
# then kind's base-image files on top of it, loaded into Docker as the base image.

rootfs_build() {
  local pkgs
  pkgs=$(sed 's/#.*//' "$HERE/packages.txt" | xargs | tr ' ' ,)
  safe_rm "$WORK/rootfs" "$WORK/rootfs.tmp"
  debootstrap --variant=minbase --include="$pkgs" "$DEBIAN_SUITE" "$WORK/rootfs.tmp" "$DEBIAN_MIRROR"
  mv "$WORK/rootfs.tmp" "$WORK/rootfs"
}

# base_build follows kind's images/base/Dockerfile on a copy of the rootfs.
base_build() {
  local r=$WORK/base f=$WORK/kind/base-files d
  safe_rm "$r"
  cp -a "$WORK/rootfs" "$r"
  # The container runtime first: Debian's (containerd 1.6), or the one kind ships, built
  # (purging Debian's packages also removes /etc/containerd, where kind's config goes).
  if [[ -n $CONTAINERD_VERSION ]]; then runtime_install "$r"; else runtime_debian "$r"; fi

  install -m0755 "$f"/usr/local/bin/* "$r/usr/local/bin/"
  install -d -m0755 "$r/kind/bin" "$r/LICENSES"
  find "$f/kind" -maxdepth 1 -type f -exec install -m0644 -t "$r/kind" {} +
  install -m0755 "$f"/kind/bin/* "$r/kind/bin/"
  install -m0644 "$f"/LICENSES/* "$r/LICENSES/"
  for d in etc etc/containerd etc/default etc/sysctl.d etc/systemd/system etc/systemd/system/kubelet.service.d; do
    install -d "$r/$d"
    find "$f/$d" -maxdepth 1 -type f -exec install -m0644 -t "$r/$d" {} +
  done

  # The one change to kind's containerd config: where CAP_SYS_RESOURCE is missing (see
  # FACTS), runc cannot lower oom_score_adj and every pod sandbox fails unless containerd
  # clamps it, as kind itself does for rootless nodes. Elsewhere it costs nothing.
  sed -i 's/^\([[:space:]]*restrict_oom_score_adj\)[[:space:]]*=.*/\1 = true/' "$r/etc/containerd/config.toml"
  grep -q 'restrict_oom_score_adj = true' "$r/etc/containerd/config.toml" ||
    die "kind's containerd config.toml has no restrict_oom_score_adj to set"

  chroot "$r" ctr oci spec |
    jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' \
      >"$r/etc/containerd/cri-base.json"

  # systemd as kind's Dockerfile leaves it.
  find "$r/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
    "$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
    "$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
  chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service
  chroot "$r" systemctl mask systemd-binfmt.service
  install -d "$r/etc/kubernetes/manifests"

  # Leave out what a container gets from its runtime, and what only apt needs.
  find "$r/dev" "$r/proc" "$r/sys" "$r/run" "$r/tmp" -mindepth 1 -delete
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/*
  rm -f "$r/etc/machine-id" "$r/var/lib/dbus/machine-id"
  : >"$r/etc/resolv.conf"

  image_archive "$WORK/base.tar" "$r" \
    '{"Env": ["container=docker", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      "Entrypoint": ["/usr/local/bin/entrypoint", "/sbin/init"], "StopSignal": "SIGRTMIN+3"}' \
    "$BASE_IMAGE"
  safe_rm "$r"
  docker load -i "$WORK/base.tar"
  rm -f "$WORK/base.tar"
}

# rootfs_subset ROOT DEST PATH...: copy PATHs of the root file system ROOT into DEST, with
# the symlinks they go through, and for every ELF file the shared libraries it loads.
# A directory among PATHs is copied whole. Runs inside ROOT, so ldd sees ROOT's libraries.
rootfs_subset() {
  local root=$1 dest=$2
  shift 2
  mkdir -p "$dest"
  chroot "$root" /bin/bash -s -- "$@" >"$dest.list" <<'INNER'
set -euo pipefail
declare -A seen=()
todo=()
# add LINES: queue one path per line (no process substitution: the chroot has no /dev/fd).
add() { local l; while IFS= read -r l; do [[ -z $l ]] || todo+=("$l"); done <<<"$1"; }
for p; do
  if [[ -d $p && ! -L $p ]]; then add "$(find "$p" ! -type d)"; else todo+=("$p"); fi
done
# usr-merge links (/lib64 -> usr/lib64 ...): ELF interpreters are found through them.
for p in /bin /sbin /lib /lib64; do [[ -L $p ]] && seen[$p]=1; done
while ((${#todo[@]})); do
  p=${todo[-1]}
  unset 'todo[-1]'
  [[ -e $p || -L $p ]] || continue
  d=$(readlink -f "$(dirname "$p")")
  p=${d%/}/$(basename "$p")
  [[ -z ${seen[$p]:-} ]] || continue
  seen[$p]=1
  if [[ -L $p ]]; then
    t=$(readlink "$p")
    [[ $t == /* ]] || t=$(dirname "$p")/$t
    todo+=("$t")
  elif [[ -f $p && $(head -c4 "$p" | tr -d '\0') == $'\x7fELF' ]]; then
    add "$(ldd "$p" 2>/dev/null | grep -o '/[^ ]*' || true)"
  fi
done
printf '%s\n' "${!seen[@]}" | sed 's|^/||' | LC_ALL=C sort
INNER
  tar -C "$root" --no-recursion -cf - -T "$dest.list" | tar -C "$dest" -xf -
  rm -f "$dest.list"
}
