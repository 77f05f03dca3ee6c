package env

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

// Status is what exists of an environment and how healthy it is. `kdev status -o json`
// prints api.Status, converted from it in internal/app: this struct may change freely.
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
	State string        `json:"state"`
	Mode  registry.Mode `json:"mode,omitempty"`
	// ModeSince is when the mirror entered its mode (it is made again when the mode
	// changes).
	ModeSince *time.Time `json:"modeSince,omitempty"`
	Attached  bool       `json:"attached"`
	// UpstreamReachable is whether remoteURL answered just now, asked from this machine
	// as the mirror asks it (its authorities, its proxy), within StatusProbeBudget.
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
	if e.Cluster != nil {
		wg.Go(func() { st.Cluster, obsErr = e.Cluster.Observe(ctx, e.Docker, cfg.Name) })
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
	c := st.Cluster
	for i, m := range cfg.Mirrors {
		ms := &st.Mirrors[i]
		*ms = MirrorStatus{Registry: m.Registry, RemoteURL: m.RemoteURL, Policy: string(m.Policy),
			Container: registry.MirrorName(m), State: "missing", CacheBytes: -1, HitRatio: -1}
		if s, ok := sizes[registry.CacheVolume(m)]; ok {
			ms.CacheBytes = s
		}
		// The upstream is asked as the mirror asks it (its authorities, its proxy), within
		// a budget: status answers in a fraction of a second whatever the upstream does.
		wg.Go(func() { ms.UpstreamReachable, ms.UpstreamError = e.probe(ctx, m, StatusProbeBudget) })
		o := byReg[m.Registry]
		if o == nil {
			continue
		}
		ms.State, ms.Mode = o.State, o.Mode()
		if !o.Created.IsZero() {
			since := o.Created
			ms.ModeSince = &since
		}
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
	if c != nil && c.Running && c.ControlPlaneNode() != nil {
		wg.Go(func() { _ = c.CheckReady(ctx) }) // Ready stays false when it does not answer
	}
	wg.Wait()
	ls := &LocalStatus{Container: registry.LocalName(cfg.Name), State: "missing", Port: cfg.LocalRegistry.Port, Enabled: cfg.LocalRegistry.On()}
	if local != nil {
		ls.State = local.State
	}
	st.LocalRegistry = ls
	return st, nil
}

// StatusProbeBudget bounds status's question to each upstream: an upstream that has not
// answered by then is reported as such, not waited for (doctor waits longer).
const StatusProbeBudget = 200 * time.Millisecond

// probe asks m's upstream for /v2/ as its mirror would (trusting the same authorities,
// through the same proxy), within limit: any HTTP answer, 401 included, means it is
// there. Otherwise it says what happened, and what to do when it knows.
func (e *Env) probe(ctx context.Context, m config.Mirror, limit time.Duration) (bool, string) {
	hc, err := e.upstreamClient(m)
	if err != nil {
		return false, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err = get(ctx, hc, m.RemoteURL+"/v2/")
	if err == nil {
		return true, ""
	}
	// What the answer said wins over the budget: on a loaded machine a certificate
	// may be refused just after the budget ran out, and that is still the reason.
	if why := registry.Diagnose(err.Error()); why != "" && !errors.Is(err, context.DeadlineExceeded) {
		return false, why + " (" + err.Error() + ")"
	}
	if ctx.Err() != nil {
		return false, fmt.Sprintf("no answer within %s: slow or down (kdev doctor waits longer)", limit)
	}
	return false, err.Error()
}

// upstreamClient is an HTTP client that reaches m's upstream as its mirror does.
func (e *Env) upstreamClient(m config.Mirror) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	ca, err := e.Config.CABundle(m)
	if err != nil {
		return nil, err
	}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM(ca)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	if e.Proxy.Set() {
		pc := httpproxy.Config{HTTPProxy: e.Proxy.HTTP, HTTPSProxy: e.Proxy.HTTPS, NoProxy: e.Proxy.No}
		pf := pc.ProxyFunc()
		tr.Proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL) }
	} else {
		tr.Proxy = nil // the mirrors get no proxy from kdev: neither does this question
	}
	return &http.Client{Transport: tr}, nil
}
