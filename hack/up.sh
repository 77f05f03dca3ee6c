#!/usr/bin/env bash
# up.sh is `make up`: Docker ready, kdev built, then `kdev up`. When the public registry
# image cannot be pulled (an offline machine), it builds one from distribution's source
# and says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
hack/ensure-docker.sh
args=()
public=registry:3
if docker image inspect "$public" >/dev/null 2>&1 || docker pull -q "$public" >/dev/null 2>&1; then
  :
else
  echo "• $public cannot be pulled here: building the registry image offline (make images)" >&2
  images/build.sh registry >/dev/null
  ref=$(sed -n 's/^REGISTRY_IMAGE=//p' bin/images.env)
  args+=(--registry-image "$ref")
fi
exec bin/kdev up "${args[@]}" "$@"
