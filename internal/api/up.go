package api

import "time"

// KindUpResult is the kind of `kdev up -o json`.
const KindUpResult = "UpResult"

// UpResult is what `kdev up` found and did.
type UpResult struct {
	TypeMeta
	// Network is the environment's network after up.
	Network NetworkStatus `json:"network"`
	// NetworkCreated is whether up created the network.
	NetworkCreated bool `json:"networkCreated"`
	// Mirrors are what up did to each configured mirror, in kdev.yaml's order.
	Mirrors []MirrorResult `json:"mirrors"`
	// Detached are mirrors no longer configured that up took off the network.
	Detached []string `json:"detached,omitempty"`
	// Pruned are the caches up trimmed to caches.maxSize.
	Pruned []PrunedCache `json:"pruned,omitempty"`
	// LocalRegistry is what up did to the local registry; absent when it is disabled.
	LocalRegistry *LocalRegistryResult `json:"localRegistry,omitempty"`
	// Cluster is what up did to the cluster; absent when up made none.
	Cluster *ClusterResult `json:"cluster,omitempty"`
	// Check is the cache check up ended with; absent when it did not run one.
	Check []CheckResult `json:"check,omitempty"`
	// ProvenAt is when this very setup passed the check, when up did not repeat it.
	ProvenAt *time.Time `json:"provenAt,omitempty"`
	// Changed is whether up changed anything.
	Changed bool `json:"changed"`
}

// Actions up takes on a container.
const (
	ActionUnchanged = "unchanged"
	ActionConnected = "connected"
	ActionRestarted = "restarted"
	ActionStarted   = "started"
	ActionCreated   = "created"
	ActionRecreated = "recreated"
)

// MirrorResult is what up did to one mirror.
type MirrorResult struct {
	// Registry is the upstream host the mirror stands for.
	Registry string `json:"registry"`
	// Container is the mirror's container after up.
	Container *ContainerStatus `json:"container"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// Mode is proxy, or cache-only when its upstream failed.
	Mode string `json:"mode"`
	// Warning says why the mirror serves only its cache.
	Warning string `json:"warning,omitempty"`
	// Was is the mode the mirror had before, when up changed it.
	Was string `json:"was,omitempty"`
	// Since is when the mirror had entered the mode it Was in.
	Since *time.Time `json:"since,omitempty"`
}

// ContainerStatus is a registry container kdev runs, as observed.
type ContainerStatus struct {
	// Name is the container's name.
	Name string `json:"name"`
	// ID is Docker's container ID.
	ID string `json:"id"`
	// State is Docker's container state.
	State string `json:"state"`
	// Image is the container's image.
	Image string `json:"image"`
	// Networks are the Docker networks it is attached to.
	Networks []string `json:"networks"`
	// APIPort is its registry API's port on 127.0.0.1; absent when unpublished.
	APIPort int `json:"apiPort,omitempty"`
	// DebugPort is its metrics port on 127.0.0.1; absent when unpublished.
	DebugPort int `json:"debugPort,omitempty"`
	// Created is when the container was made (for a mirror, when its mode began).
	Created *time.Time `json:"created,omitempty"`
}

// LocalRegistryResult is what up did to the local registry.
type LocalRegistryResult struct {
	// Container is the registry's container after up.
	Container *ContainerStatus `json:"container"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// Port is the port on 127.0.0.1 it serves on.
	Port int `json:"port"`
}

// ClusterResult is what up found and did to the cluster.
type ClusterResult struct {
	// Observed is the cluster after up.
	Observed *ClusterStatus `json:"observed"`
	// Created is whether up created it.
	Created bool `json:"created"`
	// Wiring is what up found and did on each node's containerd configuration.
	Wiring []NodeWiring `json:"wiring"`
}

// NodeWiring is what up did to one node's containerd configuration.
type NodeWiring struct {
	// Node is the node's name.
	Node string `json:"node"`
	// Written are files that were missing or differed, and were rewritten.
	Written []string `json:"written,omitempty"`
	// Removed are kdev's files for registries no longer mirrored.
	Removed []string `json:"removed,omitempty"`
}

// PrunedCache is a cache trimmed to its bound.
type PrunedCache struct {
	Registry string `json:"registry"`
	Volume   string `json:"volume"`
	// Removed are the repositories removed, least recently used first.
	Removed []string `json:"removed"`
	// Before and After are the bytes of the cache's blobs.
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}
