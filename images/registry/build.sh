#!/usr/bin/env bash
# build.sh builds the mirror and local-registry image from distribution v3 with no
# registry access: main.go (distribution's registry with the filesystem driver and the
# proxy only) as a static binary in a FROM scratch image, laid out like the official
# registry:3 image (same entrypoint, config path and data folder), so kdev treats both
# alike. Last line on stdout: REGISTRY_IMAGE=<ref>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"

# The version of distribution that go.mod requires, in a require block or on one line.
version=$(awk '{for (i = 1; i < NF; i++) if ($i == "github.com/distribution/distribution/v3") {print $(i + 1); exit}}' "$here/go.mod")
[ -n "$version" ] || die "images/registry/go.mod requires no github.com/distribution/distribution/v3"
ref=${KDEV_REGISTRY_IMAGE:-kdev.local/registry:${version#v}}
hash=$(inputs_hash "$here/build.sh" "$here/go.mod" "$here/go.sum" "$here/config.yml" "$here/main.go" "$here/upstream.go" "$here/../lib.sh" -- "$ref")

if image_current "$ref" "$hash"; then
  log "registry image $ref is up to date"
  echo "REGISTRY_IMAGE=$ref"
  exit 0
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
build_binary() {
  cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$ctx/registry" .
}
build_image() {
  cp "$here/config.yml" "$ctx/config.yml"
  # TLS to real upstreams needs a CA bundle; scratch has none.
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY registry /bin/registry
COPY config.yml /etc/distribution/config.yml
# distribution v3 exports OpenTelemetry traces by default and logs a failure every
# few seconds when no collector listens; the official registry:3 image turns it off too.
ENV OTEL_TRACES_EXPORTER=none
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["/bin/registry"]
CMD ["serve", "/etc/distribution/config.yml"]
LABEL dev.kdev.inputs="$hash" org.opencontainers.image.version="$version"
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$ref" "$ctx"
}
phase "registry binary" build_binary
phase "registry image" build_image
echo "REGISTRY_IMAGE=$ref"
