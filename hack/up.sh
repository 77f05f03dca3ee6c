#!/usr/bin/env bash
# up.sh is `make up`: Docker ready, kdev built, then `kdev up`. Where the public images
# cannot be pulled (an offline machine), it builds kdev's offline ones (`make images`)
# and says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
hack/ensure-docker.sh

pullable() { docker image inspect "$1" >/dev/null 2>&1 || docker pull -q "$1" >/dev/null 2>&1; }
envvar() { sed -n "s/^$1=//p" bin/images.env; }

args=()
if ! pullable registry:3; then
  echo "• registry:3 cannot be pulled here: building the registry image from distribution's source" >&2
  images/build.sh registry >/dev/null
  args+=(--registry-image "$(envvar REGISTRY_IMAGE)")
fi
node=$(bin/kdev config view -o json "$@" | sed -n 's/.*"node": "\(.*\)".*/\1/p')
if ! pullable "$node"; then
  echo "• $node cannot be pulled here: building a Kind node image offline (minutes the first time)" >&2
  images/build.sh node >/dev/null
  args+=(--node-image "$(envvar NODE_IMAGE)")
fi
exec bin/kdev up "${args[@]}" "$@"
