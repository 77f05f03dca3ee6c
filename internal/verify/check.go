package verify

import (
	"context"
	"fmt"
	"sync"
	"time"

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

// Check proves every target on the cluster's nodes. Each mirror's canary is pulled
// once per node (twice on a one-node cluster), removed from the node before and after
// each pull, so the first pull must reach the mirror and every later one must come from
// its cache. All mirrors are proven at once: each round pulls every canary on one node
// through one pod, and each mirror's counters tell its own pulls apart.
func Check(ctx context.Context, cp cluster.Node, ns []cluster.Node, targets []Target) []Result {
	out := make([]Result, len(targets))
	var live []int // the targets still being proven
	for i, t := range targets {
		out[i] = Result{Registry: t.Registry, Canary: t.Canary, Mode: t.Mode}
		if t.Canary == "" {
			out[i].Verdict, out[i].Reason = Unavailable, "no canary image: set canary for this mirror in kdev.yaml"
			continue
		}
		live = append(live, i)
	}
	order := ns
	if len(order) == 1 {
		order = []cluster.Node{ns[0], ns[0]}
	}
	for round, n := range order {
		if len(live) == 0 {
			break
		}
		pod := fmt.Sprintf("kdev-canary-%d-%d", time.Now().UnixNano()%1e6, round)
		pulls := pullRound(ctx, cp, n, targets, live, pod)
		var next []int
		for k, i := range live {
			p, r := pulls[k], &out[i]
			r.Pulls = append(r.Pulls, p)
			r.Requests += p.Delta.Requests.Total()
			r.Hits += p.Delta.Hits.Total()
			r.Misses += p.Delta.Misses.Total()
			if round > 0 {
				r.CachedBytes += p.Delta.PushedBytes - p.Delta.PulledBytes
			}
			if p.Error == "" {
				next = append(next, i)
			}
		}
		live = next
	}
	for i, t := range targets {
		if out[i].Verdict == "" {
			out[i].Verdict, out[i].Reason = Judge(t.Mode, out[i].Pulls)
		}
	}
	return out
}

// pullRound pulls the canaries of targets[idx] on node n, all in one pod, and returns
// one Pull per target, in idx's order.
func pullRound(ctx context.Context, cp, n cluster.Node, targets []Target, idx []int, pod string) []Pull {
	pulls := make([]Pull, len(idx))
	images := make([]string, len(idx))
	hosts := make([]string, len(idx))
	for k, i := range idx {
		pulls[k].Node = n.Name()
		images[k], hosts[k] = targets[i].Canary, targets[i].MirrorHost
	}
	failAll := func(err error) []Pull {
		for k := range pulls {
			pulls[k].Error = err.Error()
		}
		return pulls
	}
	if err := n.RemoveImages(ctx, images); err != nil {
		return failAll(err)
	}
	// A stopped mirror has no counters: its delta stays zero, and the pull shows
	// whether containerd needed it.
	before := readCounters(ctx, targets, idx)
	start := time.Now()
	res, err := cp.PullViaPod(ctx, n.Name(), images, pod)
	after := readCounters(ctx, targets, idx)
	tried, lerr := n.TriedNextHost(ctx, start, hosts)
	if rerr := n.RemoveImages(ctx, images); rerr != nil && err == nil {
		err = rerr
	}
	for k := range pulls {
		p := &pulls[k]
		if before[k].err == nil && after[k].err == nil {
			p.Delta = after[k].c.Sub(before[k].c)
		}
		if lerr == nil {
			p.NextHost = tried[hosts[k]]
		}
		switch {
		case err != nil:
			p.Error = err.Error()
		case res[k].Err != nil:
			p.Error = res[k].Err.Error()
		default:
			p.Duration = res[k].Duration.Round(time.Millisecond)
		}
	}
	return pulls
}

type counted struct {
	c   registry.Counters
	err error
}

// readCounters reads the counters of targets[idx], at once.
func readCounters(ctx context.Context, targets []Target, idx []int) []counted {
	out := make([]counted, len(idx))
	var wg sync.WaitGroup
	for k, i := range idx {
		wg.Go(func() { out[k].c, out[k].err = targets[i].Counters(ctx) })
	}
	wg.Wait()
	return out
}
