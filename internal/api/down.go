package api

// KindDownResult is the kind of `kdev down -o json`.
const KindDownResult = "DownResult"

// DownResult is what `kdev down` removed.
type DownResult struct {
	TypeMeta
	// Cluster is whether down removed the cluster.
	Cluster bool `json:"cluster"`
	// Network is whether down removed the network.
	Network bool `json:"network"`
	// LocalRegistry is whether down removed the local registry container.
	LocalRegistry bool `json:"localRegistry"`
	// Detached are the mirrors taken off the network (they stay, with their caches).
	Detached []string `json:"detached,omitempty"`
	// Purged are the mirrors removed with their caches by --purge.
	Purged []string `json:"purged,omitempty"`
	// Kept are mirrors that --purge left because another environment uses them.
	Kept []KeptMirror `json:"kept,omitempty"`
}

// KeptMirror is a mirror, and its cache, that `down --purge` left for others.
type KeptMirror struct {
	// Registry is the upstream host the mirror stands for.
	Registry string `json:"registry"`
	// Mirror is the mirror's container name.
	Mirror string `json:"mirror"`
	// UsedBy are the environments that still use it.
	UsedBy []string `json:"usedBy"`
}
