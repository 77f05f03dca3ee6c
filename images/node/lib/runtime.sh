# shellcheck shell=bash
# Phase runtime (only when CONTAINERD_VERSION is set): the container runtime kind's own
# base image ships (containerd, ctr and the runc shim; runc; the CNI plugins kind installs),
# built from their Go modules with the flags of their own Makefiles, instead of Debian's
# older packages. Output: $WORK/bin/runtime-$CONTAINERD_VERSION/{bin,sbin,cni}.

runtime_build() {
  local out=$WORK/bin/runtime-$CONTAINERD_VERSION ctrd=github.com/containerd/containerd/v2 p
  local cni=github.com/containernetworking/plugins/plugins
  safe_rm "$out"
  mkdir -p "$out.tmp"/{bin,sbin,cni}

  # containerd and ctr as containerd's Makefile builds them (kind's Dockerfile runs
  # `make bin/ctr bin/containerd bin/containerd-shim-runc-v2`), minus cgo: the snapshotters
  # that need it (btrfs, devmapper, zfs) are the ones kind leaves out too.
  local ldflags="-s -w -X $ctrd/version.Version=$CONTAINERD_VERSION -X $ctrd/version.Revision=kdev -X $ctrd/version.Package=$ctrd"
  GOBIN=$out.tmp/bin go install -trimpath -tags "no_aufs no_btrfs no_devmapper no_zfs urfave_cli_no_docs" \
    -ldflags "$ldflags" "$ctrd/cmd/containerd@$CONTAINERD_VERSION" "$ctrd/cmd/ctr@$CONTAINERD_VERSION"
  # The shim is static and built without grpc, as containerd's Makefile does.
  GOBIN=$out.tmp/bin go install -trimpath -tags "no_aufs no_btrfs no_devmapper no_zfs urfave_cli_no_docs no_grpc" \
    -ldflags "$ldflags" "$ctrd/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"

  # runc needs cgo (libcontainer/nsenter) and links libseccomp, as `make runc` does; the
  # node's rootfs has libseccomp2 (kind's package list), the build host needs the -dev.
  CGO_ENABLED=1 GOBIN=$out.tmp/sbin go install -trimpath -buildmode=pie -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-X main.gitCommit=kdev" "github.com/opencontainers/runc@$RUNC_VERSION"

  # The four plugins kind's base image installs, static as kind builds them.
  for p in ipam/host-local main/loopback main/ptp meta/portmap; do
    GOBIN=$out.tmp/cni go install -trimpath -ldflags "-s -w" "$cni/$p@$CNI_PLUGINS_VERSION"
  done

  # Each binary says the version it was asked for, or the phase fails here, not in a node.
  local v
  v=$("$out.tmp/bin/containerd" --version)
  [[ $v == *" $CONTAINERD_VERSION "* ]] || die "built containerd says '$v', not $CONTAINERD_VERSION"
  v=$("$out.tmp/sbin/runc" --version)
  [[ $v == "runc version ${RUNC_VERSION#v}"* && $v == *"seccomp"* ]] ||
    die "built runc says '$v', not ${RUNC_VERSION#v} with seccomp"
  mv "$out.tmp" "$out"
}

# runtime_install ROOT: replace Debian's containerd, runc and CNI plugins in the root file
# system ROOT with the built ones, where kind's Dockerfile puts them.
runtime_install() {
  local r=$1 src=$WORK/bin/runtime-$CONTAINERD_VERSION
  # --force-depends: nothing else in the rootfs needs them, and nothing must keep them.
  chroot "$r" dpkg --purge --force-depends containerd runc containernetworking-plugins
  install -m0755 "$src"/bin/* "$r/usr/local/bin/"
  install -m0755 "$src/sbin/runc" "$r/usr/local/sbin/runc"
  install -d "$r/opt/cni/bin"
  install -m0755 "$src"/cni/* "$r/opt/cni/bin/"
  chroot "$r" runc --version
  chroot "$r" containerd --version
}

# runtime_debian ROOT: Debian's containerd 1.6, runc and CNI plugins where kind's unit
# and containerd's defaults look for them.
runtime_debian() {
  local r=$1 p
  ln -sf /usr/bin/containerd "$r/usr/local/bin/containerd"
  install -d "$r/opt/cni/bin"
  for p in host-local loopback ptp portmap; do
    [[ -x $r/usr/lib/cni/$p ]] || die "CNI plugin $p missing from containernetworking-plugins"
    ln -sf "/usr/lib/cni/$p" "$r/opt/cni/bin/$p"
  done
}
