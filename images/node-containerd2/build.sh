#!/usr/bin/env bash
# build.sh builds the Kind node image with the container runtime of kind v0.33's own base
# image (containerd v2.3.4, runc v1.4.3, CNI plugins v1.9.1, built from their Go modules)
# instead of Debian's containerd 1.6: the runtime users actually run. Everything else is
# images/node's build, sharing its work dir and caches. The last line on stdout is
# NODE_IMAGE_CONTAINERD2=<ref>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.3.4}
export RUNC_VERSION=${RUNC_VERSION:-v1.4.3}
export CNI_PLUGINS_VERSION=${CNI_PLUGINS_VERSION:-v1.9.1}
out=$("$here/../node/build.sh")
ref=${out##*NODE_IMAGE=}
[[ $out == *NODE_IMAGE=* && -n $ref ]] || { echo "✗ images/node/build.sh printed no NODE_IMAGE line" >&2; exit 1; }
echo "NODE_IMAGE_CONTAINERD2=$ref"
