package env

import (
	"context"
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

// Status observes the environment without changing anything.
func (e *Env) Status(ctx context.Context) (*Status, error) {
	cfg := e.Config
	st := &Status{Name: cfg.Name}
	var err error
	if st.Network, err = network.Inspect(ctx, e.Docker, cfg.Name, cfg.Network.Name); err != nil {
		return nil, err
	}
	if e.Kind != nil {
		if st.Cluster, err = e.Kind.Observe(ctx, e.Docker, cfg.Name); err != nil {
			return nil, err
		}
		if st.Cluster != nil && st.Cluster.Running {
			_ = st.Cluster.CheckReady(ctx) // Ready stays false when it does not answer
		}
	}
	byReg, err := mirrorsByRegistry(ctx, e.Docker)
	if err != nil {
		return nil, err
	}
	sizes, err := registry.VolumeSizes(ctx, e.Docker)
	if err != nil {
		sizes = map[string]int64{}
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	// From a node, upstreams are seen as the mirrors see them; without a cluster, from here.
	var inNet map[string]string
	if c := st.Cluster; c != nil && c.Running && c.ControlPlaneNode() != nil {
		var urls []string
		for _, m := range cfg.Mirrors {
			urls = append(urls, m.RemoteURL)
		}
		inNet, _ = cluster.ProbeUpstreams(ctx, c.ControlPlaneNode(), urls)
	}
	st.Mirrors = make([]MirrorStatus, len(cfg.Mirrors))
	var wg sync.WaitGroup
	for i, m := range cfg.Mirrors {
		ms := &st.Mirrors[i]
		*ms = MirrorStatus{Registry: m.Registry, RemoteURL: m.RemoteURL, Policy: string(m.Policy),
			Container: registry.MirrorName(m.Registry), State: "missing", CacheBytes: -1, HitRatio: -1}
		if s, ok := sizes[registry.CacheVolume(m.Registry)]; ok {
			ms.CacheBytes = s
		}
		o := byReg[m.Registry]
		if inNet == nil {
			wg.Go(func() { ms.UpstreamReachable, ms.UpstreamError = reachable(ctx, hc, m.RemoteURL) })
		} else {
			ms.UpstreamError = inNet[m.RemoteURL]
			ms.UpstreamReachable = ms.UpstreamError == ""
		}
		if o == nil {
			continue
		}
		ms.State, ms.Mode = o.State, o.Mode()
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
	wg.Wait()
	ls := &LocalStatus{Container: registry.LocalName(cfg.Name), State: "missing", Port: cfg.LocalRegistry.Port, Enabled: cfg.LocalRegistry.On()}
	if o, err := registry.Local(ctx, e.Docker, cfg.Name); err != nil {
		return nil, err
	} else if o != nil {
		ls.State = o.State
	}
	st.LocalRegistry = ls
	return st, nil
}

// reachable asks an upstream's /v2/ from this machine: any HTTP answer, 401 included,
// means it is there.
func reachable(ctx context.Context, hc *http.Client, remote string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, remote+"/v2/", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	resp.Body.Close()
	return true, ""
}
