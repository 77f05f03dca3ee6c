package env

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/templates"
)

// ClusterResult is what `up` found and did to the cluster.
type ClusterResult struct {
	Observed *cluster.Observed    `json:"observed"`
	Created  bool                 `json:"created"`
	Wiring   []cluster.NodeWiring `json:"wiring"`
}

// upCluster creates the cluster when it is missing, re-creates it when it is half-made,
// refuses a drift that needs a new cluster unless Recreate, and wires every node.
// localRegistryHelp is the KEP-1755 ConfigMap's help: the README's section on it.
const localRegistryHelp = "https://github.com/kdev-dev/kdev#local-registry"

func (e *Env) upCluster(ctx context.Context, res *UpResult) error {
	cfg := e.Config
	obs, err := e.Kind.Observe(ctx, e.Docker, cfg.Name)
	if err != nil {
		return err
	}
	if obs != nil {
		if drift := clusterDrift(cfg, obs); drift != "" {
			if !e.Recreate {
				return fmt.Errorf("cluster %s %s: run `kdev down` first, or `kdev up --recreate`", cfg.Name, drift)
			}
			e.Progress.Warn(fmt.Sprintf("cluster %s %s: re-creating it (--recreate)", cfg.Name, drift))
			obs = nil
		} else if !obs.Running {
			e.Progress.Warn(fmt.Sprintf("cluster %s has nodes that are not running (an interrupted up?): re-creating it", cfg.Name))
			obs = nil
		} else if err := obs.CheckReady(ctx); err != nil {
			e.Progress.Warn(fmt.Sprintf("cluster %s does not answer (%v): re-creating it", cfg.Name, firstLine(err)))
			obs = nil
		}
		if obs == nil {
			if err := e.Kind.Delete(cfg.Name); err != nil {
				return err
			}
		}
	}
	cr := &ClusterResult{}
	res.Cluster = cr
	if obs == nil {
		if obs, err = e.createCluster(ctx); err != nil {
			return err
		}
		cr.Created, res.Changed = true, true
	}
	cr.Observed = obs

	done := e.Progress.Step("containerd wiring")
	files, err := cluster.HostsFiles(e.hosts())
	if err == nil {
		cr.Wiring, err = cluster.Wire(ctx, obs.NodeList(), files)
	}
	rewritten := 0
	for _, w := range cr.Wiring {
		rewritten += len(w.Written) + len(w.Removed)
	}
	summary := fmt.Sprintf("containerd wired: %d mirrors on %d nodes", len(cfg.Mirrors), len(obs.Nodes))
	if rewritten > 0 && !cr.Created {
		summary += fmt.Sprintf(" (repaired %d files)", rewritten)
		res.Changed = true
	}
	done(summary, err)
	if err != nil {
		return err
	}
	e.warnUnreachable(ctx, obs, res)
	if cfg.LocalRegistry.On() {
		inNet := registry.LocalName(cfg.Name) + ":5000"
		err := cluster.ApplyLocalRegistryHosting(ctx, obs.ControlPlaneNode(), cluster.LocalRegistryHosting{
			Host:                     fmt.Sprintf("localhost:%d", cfg.LocalRegistry.Port),
			HostFromContainerRuntime: inNet,
			HostFromClusterNetwork:   inNet,
			Help:                     localRegistryHelp,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// warnUnreachable says which proxy-mode mirrors have lost their upstream: they keep
// serving what their cache holds, but anything not cached will fail to pull.
func (e *Env) warnUnreachable(ctx context.Context, obs *cluster.Observed, res *UpResult) {
	var urls []string
	for _, m := range res.Mirrors {
		if m.Mode == registry.ModeProxy && m.Container != nil {
			urls = append(urls, m.Container.Remote())
		}
	}
	down, err := cluster.ProbeUpstreams(ctx, obs.ControlPlaneNode(), urls)
	if err != nil {
		e.Progress.Warn("could not probe the upstreams: " + firstLine(err))
		return
	}
	for _, m := range res.Mirrors {
		if m.Container == nil {
			continue
		}
		if why := down[m.Container.Remote()]; why != "" {
			e.Progress.Warn(fmt.Sprintf("mirror %s: upstream %s is unreachable (%s); serving the cache only until it is back", m.Registry, m.Container.Remote(), why))
		}
	}
}

func (e *Env) createCluster(ctx context.Context) (*cluster.Observed, error) {
	cfg := e.Config
	title := fmt.Sprintf("Cluster %s (1 control-plane, %d workers, %s)", cfg.Name, expectedWorkers(cfg), shortImage(cfg.Images.Node))
	done := e.Progress.Step(title)
	obs, err := func() (*cluster.Observed, error) {
		version, err := cluster.ContainerdConfigVersion(ctx, e.Docker, cfg.Images.Node)
		if err != nil {
			return nil, err
		}
		raw, err := cluster.KindConfig(cfg.Cluster, version)
		if err != nil {
			return nil, err
		}
		wait := e.Wait
		if wait == 0 {
			wait = 5 * time.Minute
		}
		if err := e.Kind.Create(ctx, cluster.CreateOptions{Name: cfg.Name, Network: cfg.Network.Name,
			NodeImage: cfg.Images.Node, KindConfig: raw, Wait: wait}); err != nil {
			return nil, err
		}
		return e.Kind.Observe(ctx, e.Docker, cfg.Name)
	}()
	done(title, err)
	return obs, err
}

// hosts lists the hosts.toml every node gets: one per mirror, and the local registry
// under both names a user may push to (localhost:<port> and its in-network name).
func (e *Env) hosts() []templates.Hosts {
	cfg := e.Config
	var hs []templates.Hosts
	for _, m := range cfg.Mirrors {
		h := templates.Hosts{Registry: m.Registry, Mirror: registry.MirrorEndpoint(m), Server: m.RemoteURL}
		if m.Policy == config.PolicyStrict {
			h.Server, h.Strict = h.Mirror, true
		}
		hs = append(hs, h)
	}
	if cfg.LocalRegistry.On() {
		local := "http://" + registry.LocalName(cfg.Name) + ":5000"
		for _, name := range []string{fmt.Sprintf("localhost:%d", cfg.LocalRegistry.Port), registry.LocalName(cfg.Name) + ":5000"} {
			hs = append(hs, templates.Hosts{Registry: name, Mirror: local, Server: local, Strict: true})
		}
	}
	return hs
}

// clusterDrift says what differs between the cluster and the config that a new
// cluster would be needed for, or "".
func clusterDrift(cfg *config.Environment, obs *cluster.Observed) string {
	var d []string
	if len(obs.Images) != 1 || obs.Images[0] != cfg.Images.Node {
		d = append(d, fmt.Sprintf("runs node image %s, not %s", strings.Join(obs.Images, ", "), cfg.Images.Node))
	}
	if w := expectedWorkers(cfg); obs.Workers != w {
		d = append(d, fmt.Sprintf("has %d workers, not %d", obs.Workers, w))
	}
	onNet := false
	for _, n := range obs.Networks {
		onNet = onNet || n == cfg.Network.Name
	}
	if !onNet {
		d = append(d, fmt.Sprintf("is not on network %s", cfg.Network.Name))
	}
	return strings.Join(d, " and ")
}

// expectedWorkers counts workers from cluster.kind.nodes when given, else cluster.workers.
func expectedWorkers(cfg *config.Environment) int {
	nodes, ok := cfg.Cluster.Kind["nodes"].([]any)
	if !ok {
		return cfg.Cluster.Workers
	}
	w := 0
	for _, n := range nodes {
		if m, ok := n.(map[string]any); ok && m["role"] == "worker" {
			w++
		}
	}
	return w
}

func shortImage(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	return ref
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
