package env

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

// Status is what exists of an environment and how healthy it is. Its JSON form is what
// `kdev status -o json` prints: keep it stable.
type Status struct {
	Name          string            `json:"name"`
	Network       *network.Info     `json:"network"`
	Cluster       *cluster.Observed `json:"cluster"`
	Mirrors       []MirrorStatus    `json:"mirrors"`
	LocalRegistry *LocalStatus      `json:"localRegistry"`
}

// MirrorStatus is one configured mirror as observed.
type MirrorStatus struct {
	Registry  string `json:"registry"`
	RemoteURL string `json:"remoteURL"`
	Policy    string `json:"policy"`
	Container string `json:"container"`
	// Address is where this machine reaches the mirror's API (published on 127.0.0.1
	// only), for scripts: `crane ls 127.0.0.1:PORT/library/busybox`.
	Address string `json:"address,omitempty"`
	// State is Docker's container state, or "missing".
	State    string        `json:"state"`
	Mode     registry.Mode `json:"mode,omitempty"`
	Attached bool          `json:"attached"`
	// UpstreamReachable is whether remoteURL answered just now: asked from a node (as
	// the mirror sees it) when the cluster runs, else from this machine.
	UpstreamReachable bool   `json:"upstreamReachable"`
	UpstreamError     string `json:"upstreamError,omitempty"`
	// CacheBytes is the size of the cache volume, -1 when unknown.
	CacheBytes int64              `json:"cacheBytes"`
	Counters   *registry.Counters `json:"counters,omitempty"`
	// HitRatio is hits over requests since the mirror started, -1 with no requests.
	HitRatio     float64 `json:"hitRatio"`
	MetricsError string  `json:"metricsError,omitempty"`
}

// LocalStatus is the local registry as observed.
type LocalStatus struct {
	Container string `json:"container"`
	State     string `json:"state"`
	Port      int    `json:"port"`
	Enabled   bool   `json:"enabled"`
}

// Status observes the environment without changing anything. It asks Docker for every
// piece at once, then the cluster and the mirrors at once: `kdev status` is meant to be
// run often (prompts, watch, Makefiles), so its time is the slowest question, not the sum.
func (e *Env) Status(ctx context.Context) (*Status, error) {
	cfg := e.Config
	st := &Status{Name: cfg.Name}
	var (
		wg                         sync.WaitGroup
		netErr, obsErr, mErr, lErr error
		byReg                      map[string]*registry.Observed
		sizes                      map[string]int64
		local                      *registry.Observed
	)
	wg.Go(func() { st.Network, netErr = network.Inspect(ctx, e.Docker, cfg.Name, cfg.Network.Name) })
	if e.Kind != nil {
		wg.Go(func() { st.Cluster, obsErr = e.Kind.Observe(ctx, e.Docker, cfg.Name) })
	}
	wg.Go(func() { byReg, mErr = mirrorsByRegistry(ctx, e.Docker, cfg.Mirrors) })
	wg.Go(func() {
		var err error
		if sizes, err = registry.VolumeSizes(ctx, e.Docker); err != nil {
			sizes = map[string]int64{}
		}
	})
	wg.Go(func() { local, lErr = registry.Local(ctx, e.Docker, cfg.Name) })
	wg.Wait()
	if err := errors.Join(netErr, obsErr, mErr, lErr); err != nil {
		return nil, err
	}

	hc := &http.Client{Timeout: 2 * time.Second}
	st.Mirrors = make([]MirrorStatus, len(cfg.Mirrors))
	// From a node, upstreams are seen as the mirrors see them; without a cluster, from here.
	c := st.Cluster
	inCluster := c != nil && c.Running && c.ControlPlaneNode() != nil
	for i, m := range cfg.Mirrors {
		ms := &st.Mirrors[i]
		*ms = MirrorStatus{Registry: m.Registry, RemoteURL: m.RemoteURL, Policy: string(m.Policy),
			Container: registry.MirrorName(m), State: "missing", CacheBytes: -1, HitRatio: -1}
		if s, ok := sizes[registry.CacheVolume(m)]; ok {
			ms.CacheBytes = s
		}
		o := byReg[m.Registry]
		if !inCluster {
			wg.Go(func() { ms.UpstreamReachable, ms.UpstreamError = reachable(ctx, hc, m.RemoteURL) })
		}
		if o == nil {
			continue
		}
		ms.State, ms.Mode = o.State, o.Mode()
		if o.APIPort != 0 {
			ms.Address = fmt.Sprintf("127.0.0.1:%d", o.APIPort)
		}
		for _, n := range o.Networks {
			ms.Attached = ms.Attached || n == cfg.Network.Name
		}
		if o.State != "running" || o.DebugPort == 0 {
			continue
		}
		wg.Go(func() {
			c, err := registry.ReadCounters(ctx, hc, o.DebugPort)
			if err != nil {
				ms.MetricsError = err.Error()
				return
			}
			ms.Counters, ms.HitRatio = &c, c.HitRatio()
		})
	}
	if inCluster {
		wg.Go(func() { _ = c.CheckReady(ctx) }) // Ready stays false when it does not answer
		wg.Go(func() {
			var urls []string
			for _, m := range cfg.Mirrors {
				urls = append(urls, m.RemoteURL)
			}
			inNet, err := cluster.ProbeUpstreams(ctx, c.ControlPlaneNode(), urls)
			for i, m := range cfg.Mirrors {
				ms := &st.Mirrors[i]
				if err != nil { // ask from here, then
					ms.UpstreamReachable, ms.UpstreamError = reachable(ctx, hc, m.RemoteURL)
					continue
				}
				ms.UpstreamError = inNet[m.RemoteURL]
				ms.UpstreamReachable = ms.UpstreamError == ""
			}
		})
	}
	wg.Wait()
	ls := &LocalStatus{Container: registry.LocalName(cfg.Name), State: "missing", Port: cfg.LocalRegistry.Port, Enabled: cfg.LocalRegistry.On()}
	if local != nil {
		ls.State = local.State
	}
	st.LocalRegistry = ls
	return st, nil
}

// reachable asks an upstream's /v2/ from this machine: any HTTP answer, 401 included,
// means it is there.
func reachable(ctx context.Context, hc *http.Client, remote string) (bool, string) {
	err := get(ctx, hc, remote+"/v2/")
	return err == nil, errText(err)
}
