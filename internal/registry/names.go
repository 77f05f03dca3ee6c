// Package registry runs kdev's registries as containers: one pull-through mirror per
// upstream, shared by every environment on the machine, and one local registry per
// environment for pushes. It generates their configuration from distribution's own
// types, observes what exists by label, and changes only what differs.
package registry

import (
	"strings"
)

// Ports inside every registry container.
const (
	registryPort = "5000"
	debugPort    = "5001"
	configPath   = "/etc/distribution/config.yml"
	dataDir      = "/var/lib/registry"
)

// Slug turns a registry host into a name part: docker.io becomes docker-io.
func Slug(registry string) string {
	return strings.NewReplacer(".", "-", ":", "-").Replace(strings.ToLower(registry))
}

// MirrorName is the container name of a registry's mirror. It is never the upstream's
// host name: Docker's DNS would then answer that host, inside the network, with the
// mirror, and a "fallback" to the upstream would loop back to the mirror.
func MirrorName(registry string) string { return "kdev-mirror-" + Slug(registry) }

// CacheVolume is the named volume holding a registry's cache, shared by all environments.
func CacheVolume(registry string) string { return "kdev-cache-" + Slug(registry) }

// LocalName is the container name of an environment's local registry.
func LocalName(env string) string { return env + "-registry" }

// LocalVolume is the volume holding an environment's pushed images.
func LocalVolume(env string) string { return env + "-registry-data" }

// MirrorEndpoint is how containers on the environment network reach a mirror.
func MirrorEndpoint(registry string) string {
	return "http://" + MirrorName(registry) + ":" + registryPort
}
