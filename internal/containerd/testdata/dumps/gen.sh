#!/usr/bin/env bash
# Regenerates the real `containerd config dump` golden files in this directory.
#
# Usage: gen.sh [WORKDIR]   (default: a fresh temp dir; reused binaries are kept)
#
# Needs only Go and the Go module proxy: every containerd version is built from
# its module source, and kind's containerd config comes from the kind module.
# No daemon runs and nothing needs root: `config dump` only parses and migrates.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
echo "work dir: $work" >&2

# module version; one line per containerd release we keep a dump of.
# v2.3.4 is the containerd in kind v0.33's node image.
builds=(
	"github.com/containerd/containerd v1.6.36"
	"github.com/containerd/containerd v1.7.35"
	"github.com/containerd/containerd/v2 v2.0.14"
	"github.com/containerd/containerd/v2 v2.2.9"
	"github.com/containerd/containerd/v2 v2.3.4"
)
kind_version=v0.33.0

# modsrc MODULE@VERSION prints the module's directory in the module cache.
# (sed, not jq, so that Go is the only dependency.)
modsrc() {
	go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# build MODULE VERSION builds cmd/containerd into $work/bin/containerd-X.Y.Z.
# `go install MODULE/cmd/containerd@VERSION` is not used: the 1.x go.mod files
# carry replace (1.6) or exclude (1.7) directives, which `go install pkg@version`
# refuses. Building inside a copy of the module honours them, as upstream does.
build() {
	local mod=$1 ver=$2
	local bin=$work/bin/containerd-${ver#v} src=$work/src/${ver#v}
	if [[ -x $bin ]]; then return 0; fi
	rm -rf "$src"
	mkdir -p "$work/src" "$work/bin"
	cp -r "$(modsrc "$mod@$ver")" "$src"
	chmod -R u+w "$src"
	# Module zips keep only vendor/modules.txt, which would force -mod=vendor
	# against an empty vendor tree; drop it and resolve through go.sum instead.
	rm -rf "$src/vendor"
	# Static build without the cgo-only snapshotters. no_cri_dockershim only
	# exists in 1.x (dockershim support was removed in 2.0).
	local tags=no_btrfs,no_devmapper,no_zfs
	if [[ $ver == v1.* ]]; then tags+=,no_cri_dockershim; fi
	echo "building containerd $ver" >&2
	(cd "$src" && CGO_ENABLED=0 go build -mod=mod -trimpath -tags "$tags" \
		-ldflags "-X $mod/version.Version=$ver" -o "$bin" ./cmd/containerd)
	"$bin" --version >&2
}

# Input configs. Each lives as config.toml in its own dir and is dumped with a
# relative --config path, because 1.x prints the path in `imports = [...]`; a
# relative path keeps the golden files free of machine-specific directories.
cfg=$work/cfg
mkdir -p "$cfg/kind" "$cfg/kdev" "$cfg/kdev-v3"
kind_cfg=$(modsrc "sigs.k8s.io/kind@$kind_version")/images/base/files/etc/containerd/config.toml
cp "$kind_cfg" "$cfg/kind/config.toml"
chmod u+w "$cfg/kind/config.toml"

# kdev: kind's file as kdev's node images ship it (restrict_oom_score_adj on),
# plus kdev's containerdConfigPatches entry. kind's file has no registry table,
# so the patch merges as an appended table; stop if that ever changes.
registry='[plugins."io.containerd.grpc.v1.cri".registry]'
if grep -qF "$registry" "$cfg/kind/config.toml"; then
	echo "kind's config now has $registry; merge the patch by hand" >&2
	exit 1
fi
sed 's/^\([[:space:]]*restrict_oom_score_adj = \)false$/\1true/' \
	"$cfg/kind/config.toml" >"$cfg/kdev/config.toml"
grep -q 'restrict_oom_score_adj = true' "$cfg/kdev/config.toml"
printf '\n%s\n  config_path = "/etc/containerd/certs.d"\n' "$registry" >>"$cfg/kdev/config.toml"

# kdev-v3: the same registry setting written natively in the version 3 layout.
cat >"$cfg/kdev-v3/config.toml" <<'EOF'
version = 3

[plugins."io.containerd.cri.v1.images".registry]
  config_path = "/etc/containerd/certs.d"
EOF

# dump VERSION INPUT OUTPUT_SUFFIX writes containerd-VERSION-SUFFIX.toml here;
# stdout only, logs go to the work dir.
dump() {
	local ver=$1 in=$2 out=$here/containerd-$1-$3.toml
	mkdir -p "$work/logs"
	(cd "$cfg/$in" && "$work/bin/containerd-$ver" --config config.toml config dump) \
		>"$out" 2>"$work/logs/$ver-$3.log"
	echo "wrote $out" >&2
}

# One build at a time: each is a few minutes of full CPU.
for b in "${builds[@]}"; do
	read -r mod ver <<<"$b"
	build "$mod" "$ver"
	dump "${ver#v}" kind kind
	dump "${ver#v}" kdev kdev
done

dump 2.3.4 kdev-v3 kdev-v3
"$work/bin/containerd-2.3.4" config default >"$here/containerd-2.3.4-default.toml" \
	2>"$work/logs/2.3.4-default.log"
echo "wrote $here/containerd-2.3.4-default.toml" >&2
