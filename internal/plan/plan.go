// Package plan turns a configuration into what `up` makes of it, without Docker: the
// network, each mirror with its identity (container, cache volume, in-network
// endpoint), the local registry, the cluster with its kind configuration, and the files
// every node gets. Building a plan validates everything `up` could reject, so a mistake
// is caught before anything exists; `kdev up --dry-run` prints it.
package plan

import (
	"fmt"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/templates"
)

// Plan is an environment as up would make it.
type Plan struct {
	Environment   string
	Network       Network
	Mirrors       []Mirror
	LocalRegistry *Local
	// Cluster is nil for an environment of mirrors and registry only.
	Cluster *Cluster
	// Hosts are the hosts.toml every node gets, one per registry, in config order.
	Hosts []templates.Hosts
	// Files are Hosts rendered: what up writes into every node.
	Files []cluster.File
}

// Network is the environment's Docker network.
type Network struct {
	Name string
	// Subnet is the configured subnet; "" means the first free private /24 at up.
	Subnet string
}

// Mirror is one pull-through cache as up makes it.
type Mirror struct {
	Registry string
	Upstream string
	Policy   config.Policy
	// Account is the upstream user the mirror fetches as; "" is anonymous.
	Account string
	// Container and CacheVolume are named by the mirror's identity (registry,
	// upstream, account), so environments that agree on all three share them.
	Container   string
	CacheVolume string
	// Endpoint is the mirror as nodes reach it on the network.
	Endpoint string
	Canary   string
	// TrustsCA says whether the mirror trusts authorities beside the public ones.
	TrustsCA bool
}

// Local is the environment's own registry.
type Local struct {
	Container string
	Volume    string
	Port      int
	// Endpoint is the registry as nodes reach it on the network.
	Endpoint string
}

// Cluster is the Kind cluster.
type Cluster struct {
	Name               string
	NodeImage          string
	ControlPlanes      int
	Workers            int
	ParallelImagePulls int
	// ContainerdConfigVersion is the node image's containerd config version (2 for
	// containerd 1.x, 3 for 2.x); 0 when not known yet: up reads it from the image.
	ContainerdConfigVersion int
	// KindConfig is the kind configuration for that version; nil when it is 0.
	KindConfig []byte
}

// Options are what a plan needs beyond the configuration.
type Options struct {
	// Cluster includes the cluster (kdev makes one unless told not to).
	Cluster bool
	// ContainerdConfigVersion, when known, renders the kind configuration for it.
	ContainerdConfigVersion int
}

// Build plans cfg. Its errors are the configuration errors up would meet: a CA file
// that cannot be read, a cluster.kind that kind would refuse (*config.Error, naming
// the field).
func Build(cfg *config.Environment, o Options) (*Plan, error) {
	p := &Plan{
		Environment: cfg.Name,
		Network:     Network{Name: cfg.Network.Name, Subnet: cfg.Network.Subnet},
	}
	for _, m := range cfg.Mirrors {
		ca, err := cfg.CABundle(m)
		if err != nil {
			return nil, err
		}
		pm := Mirror{
			Registry: m.Registry, Upstream: m.RemoteURL, Policy: m.Policy,
			Container: registry.MirrorName(m), CacheVolume: registry.CacheVolume(m),
			Endpoint: registry.MirrorEndpoint(m), Canary: m.Canary, TrustsCA: len(ca) > 0,
		}
		if m.Credentials != nil {
			pm.Account = m.Credentials.Username
		}
		p.Mirrors = append(p.Mirrors, pm)
	}
	if cfg.LocalRegistry.On() {
		p.LocalRegistry = &Local{
			Container: registry.LocalName(cfg.Name), Volume: registry.LocalVolume(cfg.Name),
			Port: cfg.LocalRegistry.Port, Endpoint: localEndpoint(cfg),
		}
	}
	hs, err := Hosts(cfg)
	if err != nil {
		return nil, err
	}
	p.Hosts = hs
	if p.Files, err = cluster.HostsFiles(hs); err != nil {
		return nil, err
	}
	if !o.Cluster {
		return p, nil
	}
	c := &Cluster{
		Name: cfg.Name, NodeImage: cfg.Images.Node, ControlPlanes: 1,
		Workers: Workers(cfg), ParallelImagePulls: cfg.Cluster.ParallelImagePulls,
		ContainerdConfigVersion: o.ContainerdConfigVersion,
	}
	if n := controlPlanes(cfg); n > 0 {
		c.ControlPlanes = n
	}
	// Whatever the node image, kind must accept cluster.kind: check it now.
	if err := cluster.ValidateKind(cfg.Cluster); err != nil {
		return nil, err
	}
	if c.ContainerdConfigVersion != 0 {
		if c.KindConfig, err = cluster.KindConfig(cfg.Cluster, c.ContainerdConfigVersion); err != nil {
			return nil, err
		}
	}
	p.Cluster = c
	return p, nil
}

func localEndpoint(cfg *config.Environment) string {
	return "http://" + registry.LocalName(cfg.Name) + ":5000"
}

// Hosts lists the hosts.toml every node gets: one per mirror, and the local registry
// under both names a user may push to (localhost:<port> and its in-network name).
// Each mirror's authorities go with it, whatever its policy: the probe from a node
// trusts them; a fallback to an HTTPS upstream trusts them too.
func Hosts(cfg *config.Environment) ([]templates.Hosts, error) {
	var hs []templates.Hosts
	for _, m := range cfg.Mirrors {
		h := templates.Hosts{Registry: m.Registry, Mirror: registry.MirrorEndpoint(m), Server: m.RemoteURL}
		if m.Policy == config.PolicyStrict {
			h.Server, h.Strict = h.Mirror, true
		}
		ca, err := cfg.CABundle(m)
		if err != nil {
			return nil, err
		}
		h.CA = string(ca)
		hs = append(hs, h)
	}
	if cfg.LocalRegistry.On() {
		local := localEndpoint(cfg)
		for _, name := range []string{fmt.Sprintf("localhost:%d", cfg.LocalRegistry.Port), registry.LocalName(cfg.Name) + ":5000"} {
			hs = append(hs, templates.Hosts{Registry: name, Mirror: local, Server: local, Strict: true})
		}
	}
	return hs, nil
}

// Workers counts workers from cluster.kind.nodes when given, else cluster.workers.
func Workers(cfg *config.Environment) int {
	return countRole(cfg, "worker", cfg.Cluster.Workers)
}

func controlPlanes(cfg *config.Environment) int { return countRole(cfg, "control-plane", 0) }

func countRole(cfg *config.Environment, role string, otherwise int) int {
	nodes, ok := cfg.Cluster.Kind["nodes"].([]any)
	if !ok {
		return otherwise
	}
	n := 0
	for _, node := range nodes {
		m, ok := node.(map[string]any)
		if !ok {
			continue
		}
		// kind's default role is control-plane.
		if r, _ := m["role"].(string); r == role || (r == "" && role == "control-plane") {
			n++
		}
	}
	return n
}
