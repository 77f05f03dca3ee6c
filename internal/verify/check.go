package verify

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/registry"
)

// Target is one mirror to prove.
type Target struct {
	Registry string
	Canary   string
	Mode     registry.Mode
	// MirrorHost is how nodes name the mirror (kdev-mirror-docker-io:5000), the host
	// containerd names when it gives up on it.
	MirrorHost string
	// Counters reads the mirror's counters now.
	Counters func(ctx context.Context) (registry.Counters, error)
}

// Result is one mirror's proof.
type Result struct {
	Registry string        `json:"registry"`
	Canary   string        `json:"canary"`
	Mode     registry.Mode `json:"mode"`
	Verdict  Verdict       `json:"verdict"`
	Reason   string        `json:"reason,omitempty"`
	// Cause is what kdev found wrong around the mirror when the verdict is not pass.
	Cause    string `json:"cause,omitempty"`
	Pulls    []Pull `json:"pulls"`
	Requests int64  `json:"requests"`
	Hits     int64  `json:"hits"`
	Misses   int64  `json:"misses"`
	// CachedBytes are the bytes the mirror sent that it did not fetch from upstream.
	CachedBytes int64 `json:"cachedBytes"`
}

// Check proves every target on the cluster's nodes, mirrors in parallel. Each mirror's
// canary is pulled once per node (twice on a one-node cluster), removed from the node
// before and after each pull, so the first pull must reach the mirror and every later
// one must come from its cache.
func Check(ctx context.Context, cp nodes.Node, ns []nodes.Node, targets []Target) []Result {
	out := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { out[i] = checkOne(ctx, cp, ns, t) })
	}
	wg.Wait()
	return out
}

func checkOne(ctx context.Context, cp nodes.Node, ns []nodes.Node, t Target) Result {
	r := Result{Registry: t.Registry, Canary: t.Canary, Mode: t.Mode}
	if t.Canary == "" {
		r.Verdict, r.Reason = Unavailable, "no canary image: set canary for this mirror in kdev.yaml"
		return r
	}
	order := ns
	if len(order) == 1 {
		order = []nodes.Node{ns[0], ns[0]}
	}
	for i, n := range order {
		p := pull(ctx, cp, n, t, fmt.Sprintf("kdev-canary-%s-%d-%d", registry.Slug(t.Registry), time.Now().UnixNano()%1e6, i))
		r.Pulls = append(r.Pulls, p)
		r.Requests += p.Delta.Requests.Total()
		r.Hits += p.Delta.Hits.Total()
		r.Misses += p.Delta.Misses.Total()
		if i > 0 {
			r.CachedBytes += p.Delta.PushedBytes - p.Delta.PulledBytes
		}
		if p.Error != "" {
			break
		}
	}
	r.Verdict, r.Reason = Judge(t.Mode, r.Pulls)
	return r
}

func pull(ctx context.Context, cp, n nodes.Node, t Target, pod string) Pull {
	p := Pull{Node: n.String()}
	fail := func(err error) Pull { p.Error = err.Error(); return p }
	if err := cluster.RemoveImage(ctx, n, t.Canary); err != nil {
		return fail(err)
	}
	// A stopped mirror has no counters: its delta stays zero, and the pull shows
	// whether containerd needed it.
	before, berr := t.Counters(ctx)
	start := time.Now()
	d, err := cluster.PullViaPod(ctx, cp, n, t.Canary, pod)
	p.Duration = d.Round(time.Millisecond)
	if after, aerr := t.Counters(ctx); berr == nil && aerr == nil {
		p.Delta = after.Sub(before)
	}
	if nh, lerr := cluster.TriedNextHost(ctx, n, start, t.MirrorHost); lerr == nil {
		p.NextHost = nh
	}
	if rerr := cluster.RemoveImage(ctx, n, t.Canary); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fail(err)
	}
	return p
}
