package config

import "time"

// Defaults for an environment without a kdev.yaml, or for the fields it leaves out.
const (
	DefaultName          = "kdev"
	DefaultRegistryImage = "registry:3"
	DefaultLocalPort     = 5001 // 5000 is taken by AirPlay on macOS.
	// DefaultParallelImagePulls bounds each kubelet's concurrent image pulls. The
	// kubelet's own default pulls one image at a time, so a pod's images, and pods
	// started together, wait in one queue even when every layer is in the cache.
	DefaultParallelImagePulls = 5
	// DefaultProbeTimeout is how long the probe from a node waits for an upstream: a
	// registry that takes 5 s for /v2/ is slow, not dead. MaxProbeTimeout bounds it, as
	// up waits for it once per run.
	DefaultProbeTimeout = 10 * time.Second
	MaxProbeTimeout     = 2 * time.Minute
)

// DefaultNodeImage is the node image of the kind library kdev is built with. It is
// written out here because only internal/cluster imports kind (and cluster imports
// config); TestDefaultNodeImageIsKinds there fails when a kind upgrade changes it.
const DefaultNodeImage = "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"

// knownRemotes maps a registry host to the URL its mirror fetches from, where the
// two differ or where a host is mirrored by default.
var knownRemotes = map[string]string{
	"docker.io":       "https://registry-1.docker.io",
	"registry.k8s.io": "https://registry.k8s.io",
	"ghcr.io":         "https://ghcr.io",
	"quay.io":         "https://quay.io",
}

// defaultCanaries are small images, never preloaded in kind's node images, that
// `kdev check` pulls through each default mirror to prove it.
var defaultCanaries = map[string]string{
	"docker.io":       "docker.io/library/busybox:1.37.0",
	"registry.k8s.io": "registry.k8s.io/e2e-test-images/busybox:1.36.1-1",
	"ghcr.io":         "ghcr.io/containerd/busybox:1.36",
	"quay.io":         "quay.io/prometheus/busybox:latest",
}

// defaultMirrors is the order in which the default mirrors are listed.
var defaultMirrors = []string{"docker.io", "registry.k8s.io", "ghcr.io", "quay.io"}

// Default returns the configuration used when there is no kdev.yaml.
func Default() *Environment {
	e := &Environment{APIVersion: APIVersion, Kind: Kind}
	e.applyDefaults()
	return e
}

// RemoteFor returns the default remote URL for a registry host.
func RemoteFor(registry string) string {
	if u, ok := knownRemotes[registry]; ok {
		return u
	}
	return "https://" + registry
}

func (e *Environment) applyDefaults() {
	if e.Name == "" {
		e.Name = DefaultName
	}
	if e.Network.Name == "" {
		e.Network.Name = e.Name
	}
	if e.Mirrors == nil {
		for _, r := range defaultMirrors {
			e.Mirrors = append(e.Mirrors, Mirror{Registry: r})
		}
	}
	for i := range e.Mirrors {
		m := &e.Mirrors[i]
		if m.RemoteURL == "" && m.Registry != "" {
			m.RemoteURL = RemoteFor(m.Registry)
		}
		if m.Policy == "" {
			m.Policy = PolicyFallback
		}
		if m.Canary == "" {
			m.Canary = defaultCanaries[m.Registry]
		}
	}
	if e.LocalRegistry.Port == 0 {
		e.LocalRegistry.Port = DefaultLocalPort
	}
	if e.UpstreamProbeTimeout == "" {
		e.UpstreamProbeTimeout = DefaultProbeTimeout.String()
	}
	if e.Cluster.ParallelImagePulls == 0 {
		e.Cluster.ParallelImagePulls = DefaultParallelImagePulls
	}
	if e.LocalRegistry.Enabled == nil {
		on := true
		e.LocalRegistry.Enabled = &on
	}
	if e.Images.Registry == "" {
		e.Images.Registry = DefaultRegistryImage
	}
	if e.Images.Node == "" {
		e.Images.Node = DefaultNodeImage
	}
}
