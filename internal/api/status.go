package api

import "time"

// KindStatus is the kind of `kdev status -o json`.
const KindStatus = "Status"

// Status is what exists of an environment and how healthy it is.
type Status struct {
	TypeMeta
	// Name is the environment's name.
	Name string `json:"name"`
	// Network is the environment's Docker network; null when it does not exist.
	Network *NetworkStatus `json:"network"`
	// Cluster is the Kind cluster; null when it does not exist.
	Cluster *ClusterStatus `json:"cluster"`
	// Mirrors are the configured mirrors, in kdev.yaml's order, each as observed.
	Mirrors []MirrorStatus `json:"mirrors"`
	// LocalRegistry is the environment's own registry.
	LocalRegistry *LocalRegistryStatus `json:"localRegistry"`
}

// NetworkStatus is a Docker network as observed.
type NetworkStatus struct {
	// Name is the network's name.
	Name string `json:"name"`
	// ID is Docker's network ID.
	ID string `json:"id"`
	// Subnet is the network's IPv4 subnet in CIDR form.
	Subnet string `json:"subnet"`
	// Containers are the names of the containers attached to it.
	Containers []string `json:"containers,omitempty"`
}

// ClusterStatus is an existing Kind cluster as seen from its node containers.
type ClusterStatus struct {
	// Name is the cluster's name (the environment's).
	Name string `json:"name"`
	// Nodes are the node containers' names.
	Nodes []string `json:"nodes"`
	// ControlPlane is the control-plane node's name.
	ControlPlane string `json:"controlPlane"`
	// Workers is the number of worker nodes.
	Workers int `json:"workers"`
	// Images are the node images in use, usually one.
	Images []string `json:"images"`
	// Networks are the Docker networks the control plane is attached to.
	Networks []string `json:"networks"`
	// Running is false when any node container is not running.
	Running bool `json:"running"`
	// State is running, starting, stopped or incomplete (an interrupted create).
	State string `json:"state"`
	// StartedAt is when the last node container (re)started; absent when unknown.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// Ready is whether the API server answered /readyz.
	Ready bool `json:"ready"`
}

// MirrorStatus is one configured mirror as observed.
type MirrorStatus struct {
	// Registry is the upstream host the mirror stands for, such as docker.io.
	Registry string `json:"registry"`
	// RemoteURL is where the mirror fetches from.
	RemoteURL string `json:"remoteURL"`
	// Policy is fallback or strict.
	Policy string `json:"policy"`
	// Container is the mirror's container name.
	Container string `json:"container"`
	// Address is where this machine reaches the mirror's registry API
	// (127.0.0.1:PORT); absent when it is not published.
	Address string `json:"address,omitempty"`
	// State is Docker's container state, or "missing".
	State string `json:"state"`
	// Mode is proxy or cache-only (its upstream failed); absent when missing.
	Mode string `json:"mode,omitempty"`
	// ModeSince is when the mirror entered its mode.
	ModeSince *time.Time `json:"modeSince,omitempty"`
	// Attached is whether the mirror is on the environment's network.
	Attached bool `json:"attached"`
	// UpstreamReachable is whether remoteURL answered just now, asked as the mirror
	// asks it, within a fraction of a second.
	UpstreamReachable bool `json:"upstreamReachable"`
	// UpstreamError says why the upstream did not answer.
	UpstreamError string `json:"upstreamError,omitempty"`
	// CacheBytes is the size of the cache volume, -1 when unknown.
	CacheBytes int64 `json:"cacheBytes"`
	// Counters are the mirror's counters since it started; absent when unread.
	Counters *Counters `json:"counters,omitempty"`
	// HitRatio is hits over requests since the mirror started, -1 with no requests.
	HitRatio float64 `json:"hitRatio"`
	// MetricsError says why the counters could not be read.
	MetricsError string `json:"metricsError,omitempty"`
}

// LocalRegistryStatus is the environment's local registry as observed.
type LocalRegistryStatus struct {
	// Container is the registry's container name.
	Container string `json:"container"`
	// State is Docker's container state, or "missing".
	State string `json:"state"`
	// Port is the port on 127.0.0.1 (and localhost in the nodes) it serves on.
	Port int `json:"port"`
	// Enabled is whether kdev.yaml enables it.
	Enabled bool `json:"enabled"`
}
