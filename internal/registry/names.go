// Package registry runs kdev's registries as containers: one pull-through mirror per
// upstream, shared by every environment on the machine, and one local registry per
// environment for pushes. It generates their configuration from distribution's own
// types, observes what exists by label, and changes only what differs.
package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kdev-dev/kdev/internal/config"
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

// Key identifies a mirror by what it serves: the registry, the upstream it fetches
// from, and the account it fetches as (a private repository seen through one account
// must not be served to another). Environments with the same key share one mirror and
// one cache; a different upstream for the same registry (a company's Docker Hub proxy,
// a test suite's stand-in) gets a mirror and a cache of its own.
//
// The mirror of a registry's default upstream, anonymous, keeps the plain slug
// (docker-io): the names kdev always used, so existing caches are adopted as they are.
// Every other mirror gets the slug and a short hash of its upstream and account.
func Key(m config.Mirror) string {
	user := ""
	if m.Credentials != nil {
		user = m.Credentials.Username
	}
	if user == "" && strings.TrimSuffix(m.RemoteURL, "/") == config.RemoteFor(m.Registry) {
		return Slug(m.Registry)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(m.Registry) + "\n" + strings.TrimSuffix(m.RemoteURL, "/") + "\n" + user))
	return Slug(m.Registry) + "-" + hex.EncodeToString(sum[:])[:8]
}

// MirrorName is the container name of a mirror. It is never the upstream's host name:
// Docker's DNS would then answer that host, inside the network, with the mirror, and a
// "fallback" to the upstream would loop back to the mirror.
func MirrorName(m config.Mirror) string { return "kdev-mirror-" + Key(m) }

// cacheVolume is the cache volume of the mirror with a key.
func cacheVolume(key string) string { return "kdev-cache-" + key }

// CacheVolumeOf is the cache volume of the mirror whose key is key.
func CacheVolumeOf(key string) string { return cacheVolume(key) }

// CacheVolume is the named volume holding a mirror's cache, shared by every environment
// whose mirror has the same key.
func CacheVolume(m config.Mirror) string { return cacheVolume(Key(m)) }

// LocalName is the container name of an environment's local registry.
func LocalName(env string) string { return env + "-registry" }

// LocalVolume is the volume holding an environment's pushed images.
func LocalVolume(env string) string { return env + "-registry-data" }

// MirrorEndpoint is how containers on the environment network reach a mirror.
func MirrorEndpoint(m config.Mirror) string {
	return "http://" + MirrorName(m) + ":" + registryPort
}
