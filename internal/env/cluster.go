package env

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/plan"
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
	obs, err := e.Cluster.Observe(ctx, e.Docker, cfg.Name)
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
		} else if obs, err = e.revive(ctx, obs, res); err != nil {
			return err
		}
		if obs == nil {
			if err := e.Cluster.Delete(cfg.Name); err != nil {
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
	files, err := e.hostsFiles()
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

// revive brings an existing cluster back to answering, keeping it and its workloads:
// it starts stopped nodes (a Docker or machine restart) and waits for a starting API
// server. It returns nil, for re-creation, only for a cluster that was never finished
// (an interrupted create) or, with --recreate, one that does not come back.
func (e *Env) revive(ctx context.Context, obs *cluster.Observed, res *UpResult) (*cluster.Observed, error) {
	name := e.Config.Name
	if obs.State == cluster.StateIncomplete {
		e.Progress.Warn(fmt.Sprintf("cluster %s was never finished (an interrupted up): re-creating it", name))
		return nil, nil
	}
	if obs.State == cluster.StateStopped {
		done := e.Progress.Step(fmt.Sprintf("Starting cluster %s (its nodes were stopped)", name))
		err := obs.Start(ctx, e.Docker)
		res.Changed = true
		if err == nil {
			obs, err = e.Cluster.Observe(ctx, e.Docker, name)
		}
		if err == nil && obs == nil {
			err = fmt.Errorf("cluster %s disappeared while it was started", name)
		}
		done("", err)
		if err != nil {
			return nil, err
		}
	}
	if obs.CheckReady(ctx) == nil {
		return obs, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if obs.Running {
		if ok, err := obs.Initialized(ctx); err == nil && !ok {
			e.Progress.Warn(fmt.Sprintf("cluster %s was never finished (kubeadm did not complete): re-creating it", name))
			return nil, nil
		}
	}
	wait := e.wait()
	title := fmt.Sprintf("Cluster %s is starting: waiting up to %s for its API server", name, wait)
	done := e.Progress.Step(title)
	err := obs.WaitAnswer(ctx, wait)
	if err == nil {
		done(fmt.Sprintf("Cluster %s answers again (kept, with its workloads)", name), nil)
		return obs, nil
	}
	done("", err)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if e.Recreate {
		e.Progress.Warn(fmt.Sprintf("cluster %s does not answer: re-creating it (--recreate)", name))
		return nil, nil
	}
	return nil, fmt.Errorf("cluster %s is there but does not answer (%v): see `docker logs %s`; `kdev up --recreate` replaces it, losing its workloads",
		name, firstLine(err), obs.ControlPlane)
}

func (e *Env) wait() time.Duration {
	if e.Wait == 0 {
		return 5 * time.Minute
	}
	return e.Wait
}

// warnUnreachable says which proxy-mode mirrors have lost their upstream: they keep
// serving what their cache holds, but anything not cached will fail to pull.
func (e *Env) warnUnreachable(ctx context.Context, obs *cluster.Observed, res *UpResult) {
	proxied := map[string]bool{}
	for _, m := range res.Mirrors {
		if m.Mode == registry.ModeProxy && m.Container != nil {
			proxied[m.Registry] = true
		}
	}
	down, err := obs.ControlPlaneNode().ProbeUpstreams(ctx, e.upstreams(proxied), e.Config.ProbeTimeout())
	if err != nil {
		e.Progress.Warn("could not probe the upstreams: " + firstLine(err))
		return
	}
	for _, m := range res.Mirrors {
		if m.Container == nil {
			continue
		}
		switch why := down[m.Container.Remote()]; {
		case why == "":
		case strings.HasPrefix(why, "slow"):
			e.Progress.Warn(fmt.Sprintf("mirror %s: upstream %s is %s; what is not cached yet will be slow to pull", m.Registry, m.Container.Remote(), why))
		default:
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
		if err := e.Cluster.Create(ctx, cluster.CreateOptions{Name: cfg.Name, Network: cfg.Network.Name,
			NodeImage: cfg.Images.Node, KindConfig: raw, Wait: e.wait()}); err != nil {
			return nil, err
		}
		return e.Cluster.Observe(ctx, e.Docker, cfg.Name)
	}()
	done(title, err)
	return obs, err
}

// hosts lists the hosts.toml every node gets, as the plan has them.
func (e *Env) hosts() ([]templates.Hosts, error) { return plan.Hosts(e.Config) }

// upstreams are the upstreams of the mirrors of the registries in only (all when nil),
// as their mirrors reach them: with the authorities written into the nodes and the
// mirrors' proxy.
func (e *Env) upstreams(only map[string]bool) []cluster.Upstream {
	cas := map[string]string{}
	if hs, err := e.hosts(); err == nil {
		for _, h := range hs {
			cas[h.Registry] = h.CAPath()
		}
	}
	var out []cluster.Upstream
	for _, m := range e.Config.Mirrors {
		if only != nil && !only[m.Registry] {
			continue
		}
		out = append(out, cluster.Upstream{URL: m.RemoteURL, CAFile: cas[m.Registry], Env: e.proxyEnv()})
	}
	return out
}

// hostsFiles are the files every node gets: hosts() rendered.
func (e *Env) hostsFiles() ([]cluster.File, error) {
	hs, err := e.hosts()
	if err != nil {
		return nil, err
	}
	return cluster.HostsFiles(hs)
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
func expectedWorkers(cfg *config.Environment) int { return plan.Workers(cfg) }

func shortImage(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	return ref
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
