package api

// KindPlan names the Plan document.
const KindPlan = "Plan"

// Plan is `kdev up --dry-run -o json`: the environment as up would make it from the
// configuration, computed without creating or changing anything.
type Plan struct {
	TypeMeta
	// Environment is the environment's name.
	Environment string      `json:"environment"`
	Network     PlanNetwork `json:"network"`
	// Mirrors are the pull-through caches, one per upstream, in configuration order.
	Mirrors       []PlanMirror `json:"mirrors"`
	LocalRegistry *PlanLocal   `json:"localRegistry,omitempty"`
	Cluster       *PlanCluster `json:"cluster,omitempty"`
	// NodeFiles are the files up writes into every node: one hosts.toml per registry,
	// and the authorities' file beside it where a node trusts a private CA.
	NodeFiles []PlanFile `json:"nodeFiles"`
}

// PlanNetwork is the environment's Docker network.
type PlanNetwork struct {
	Name string `json:"name"`
	// Subnet is the configured subnet; absent means the first free private /24.
	Subnet string `json:"subnet,omitempty"`
}

// PlanMirror is one mirror as up makes it.
type PlanMirror struct {
	// Registry is the host nodes pull from, such as docker.io.
	Registry string `json:"registry"`
	// Upstream is where the mirror fetches what it does not have.
	Upstream string `json:"upstream"`
	// Policy is fallback (nodes go to the upstream when the mirror fails) or strict.
	Policy string `json:"policy"`
	// Account is the upstream user the mirror fetches as; absent when anonymous.
	Account string `json:"account,omitempty"`
	// Container and CacheVolume are named by the mirror's identity (registry,
	// upstream, account): environments that agree on all three share them.
	Container   string `json:"container"`
	CacheVolume string `json:"cacheVolume"`
	// Endpoint is the mirror's URL as nodes reach it on the network.
	Endpoint string `json:"endpoint"`
	// Canary is the image the check pulls to prove cache hits; absent when none.
	Canary string `json:"canary,omitempty"`
	// TrustsCA is true when the mirror trusts authorities beside the public ones.
	TrustsCA bool `json:"trustsCA"`
}

// PlanLocal is the environment's own registry.
type PlanLocal struct {
	Container string `json:"container"`
	Volume    string `json:"volume"`
	// Address is where to push from this machine, such as localhost:5001.
	Address string `json:"address"`
	// Endpoint is the registry's URL as nodes reach it on the network.
	Endpoint string `json:"endpoint"`
}

// PlanCluster is the Kind cluster.
type PlanCluster struct {
	Name               string `json:"name"`
	NodeImage          string `json:"nodeImage"`
	ControlPlanes      int    `json:"controlPlanes"`
	Workers            int    `json:"workers"`
	ParallelImagePulls int    `json:"parallelImagePulls"`
	// ContainerdConfigVersion is the node image's containerd config version (2 for
	// containerd 1.x, 3 for 2.x); absent when the image is not on this machine yet.
	ContainerdConfigVersion int `json:"containerdConfigVersion,omitempty"`
	// KindConfig is the kind configuration (YAML) up creates the cluster with; absent
	// when the containerd config version is not known.
	KindConfig string `json:"kindConfig,omitempty"`
}

// PlanFile is a file written into every node.
type PlanFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}
