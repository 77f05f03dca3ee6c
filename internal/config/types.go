// Package config holds kdev's versioned configuration: the kdev.yaml types, their
// defaults and their validation. It does no I/O beyond reading the file it is given.
package config

import "time"

// APIVersion and Kind identify a kdev.yaml document.
const (
	APIVersion = "kdev.dev/v1alpha1"
	Kind       = "Environment"
)

// Policy says what containerd does when a mirror cannot serve a pull.
type Policy string

const (
	// PolicyFallback lets containerd go to the upstream when the mirror fails (laptops).
	PolicyFallback Policy = "fallback"
	// PolicyStrict makes the mirror the only server, so a bypass fails loudly (CI).
	PolicyStrict Policy = "strict"
)

// Environment is one kdev.yaml document.
type Environment struct {
	APIVersion    string        `yaml:"apiVersion" json:"apiVersion"`
	Kind          string        `yaml:"kind" json:"kind"`
	Name          string        `yaml:"name" json:"name"`
	Network       Network       `yaml:"network" json:"network"`
	Mirrors       []Mirror      `yaml:"mirrors" json:"mirrors"`
	LocalRegistry LocalRegistry `yaml:"localRegistry" json:"localRegistry"`
	Images        Images        `yaml:"images" json:"images"`
	Cluster       Cluster       `yaml:"cluster" json:"cluster"`
	// CAFiles are PEM bundles of certificate authorities every mirror trusts for its
	// upstream, beside the public ones: a company's TLS-inspecting proxy, a private
	// registry's own CA.
	CAFiles []string `yaml:"caFiles,omitempty" json:"caFiles,omitempty"`
	// UpstreamProbeTimeout is how long up's and doctor's probe from a node waits for
	// each upstream's /v2/ (a Go duration: 10s, 1m30s) before calling it unreachable;
	// an answer after SlowUpstream is reported as slow. Default DefaultProbeTimeout.
	UpstreamProbeTimeout string `yaml:"upstreamProbeTimeout" json:"upstreamProbeTimeout"`
	// Caches bound this environment's mirror caches; nil: no bound.
	Caches *Caches `yaml:"caches,omitempty" json:"caches,omitempty"`
}

// ProbeTimeout is UpstreamProbeTimeout as a duration (the default when it does not
// parse, which Validate refuses).
func (e *Environment) ProbeTimeout() time.Duration {
	d, err := time.ParseDuration(e.UpstreamProbeTimeout)
	if err != nil || d <= 0 {
		return DefaultProbeTimeout
	}
	return d
}

// Caches bound the caches of an environment's mirrors.
type Caches struct {
	// MaxSize bounds each cache (5GB, 500MB): up removes its least recently used
	// repositories, then the blobs nothing references, when it has grown past it.
	MaxSize string `yaml:"maxSize,omitempty" json:"maxSize,omitempty"`
}

// CacheMaxSize is the bound of each cache in bytes, 0 for none. The configuration
// must be valid.
func (e *Environment) CacheMaxSize() int64 {
	if e.Caches == nil || e.Caches.MaxSize == "" {
		return 0
	}
	n, _ := ParseSize(e.Caches.MaxSize)
	return n
}

// Network is the environment's dedicated Docker network.
type Network struct {
	// Name defaults to the environment's name.
	Name string `yaml:"name" json:"name"`
	// Subnet is a private IPv4 CIDR; empty means chosen automatically.
	Subnet string `yaml:"subnet,omitempty" json:"subnet,omitempty"`
}

// Mirror is one pull-through cache in front of one upstream registry.
type Mirror struct {
	// Registry is the host name nodes pull from, such as docker.io.
	Registry string `yaml:"registry" json:"registry"`
	// RemoteURL is where the mirror fetches from, such as https://registry-1.docker.io.
	RemoteURL string `yaml:"remoteURL" json:"remoteURL"`
	Policy    Policy `yaml:"policy" json:"policy"`
	// Canary is an image reference used to prove that the cache is hit.
	Canary      string       `yaml:"canary,omitempty" json:"canary,omitempty"`
	Credentials *Credentials `yaml:"credentials,omitempty" json:"credentials,omitempty"`
	// CAFile is a PEM bundle of certificate authorities this mirror trusts for its
	// upstream, besides the public ones and caFiles.
	CAFile string `yaml:"caFile,omitempty" json:"caFile,omitempty"`
}

// Credentials log a mirror in to its upstream. The password is never written into
// kdev.yaml itself: it is read from a file or an environment variable at `up` time.
type Credentials struct {
	Username     string `yaml:"username" json:"username"`
	PasswordFile string `yaml:"passwordFile,omitempty" json:"passwordFile,omitempty"`
	PasswordEnv  string `yaml:"passwordEnv,omitempty" json:"passwordEnv,omitempty"`
}

// LocalRegistry is the registry that users push their own images to.
type LocalRegistry struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	Port    int   `yaml:"port" json:"port"`
}

// On reports whether the local registry is enabled.
func (l LocalRegistry) On() bool { return l.Enabled == nil || *l.Enabled }

// Images names the container images kdev runs.
type Images struct {
	Registry string `yaml:"registry" json:"registry"`
	Node     string `yaml:"node" json:"node"`
}

// Cluster describes the Kind cluster.
type Cluster struct {
	Workers int `yaml:"workers" json:"workers"`
	// ParallelImagePulls is how many images each node's kubelet pulls at once; 1 is the
	// kubelet's own default, one pull at a time. Default DefaultParallelImagePulls.
	ParallelImagePulls int `yaml:"parallelImagePulls" json:"parallelImagePulls"`
	// Kind holds raw kind v1alpha4 Cluster fields merged into the generated config.
	Kind map[string]any `yaml:"kind,omitempty" json:"kind,omitempty"`
}
