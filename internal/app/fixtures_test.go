package app

import (
	"net/netip"
	"time"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/verify"
)

// Fixed internal values the golden JSON files are made from: one of each shape a
// document can take (a mirror missing and one rate-limited, a check that passed, one
// bypassed and one that could not run).

var (
	t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// t1 is in another zone on purpose: documents carry UTC.
	t1 = time.Date(2026, 12, 1, 10, 30, 0, 0, time.FixedZone("CET", 3600))
)

func fixedNetwork() network.Info {
	return network.Info{Name: "web", ID: "4f2c0a9e1b7d", Subnet: netip.MustParsePrefix("172.30.0.0/24"),
		Containers: []string{"web-control-plane", "web-worker", "kdev-mirror-docker-io"}}
}

func fixedCluster() *cluster.Observed {
	return &cluster.Observed{Name: "web", Nodes: []string{"web-control-plane", "web-worker"}, ControlPlane: "web-control-plane",
		Workers: 1, Images: []string{"kindest/node:v1.34.0"}, Networks: []string{"web"}, Running: true,
		State: cluster.StateRunning, StartedAt: t0, Ready: true}
}

func fixedCounters() registry.Counters {
	return registry.Counters{
		Requests: registry.Split{Blob: 6, Manifest: 4}, Hits: registry.Split{Blob: 4, Manifest: 2},
		Misses: registry.Split{Blob: 2, Manifest: 2}, PulledBytes: 2400000, PushedBytes: 4800000,
		Served: registry.Split{Blob: 6, Manifest: 4}, Answered: registry.Split{Blob: 6, Manifest: 5},
		Upstream: registry.Upstream{Responses: 9, RateLimited: 1, Limit: 100, Remaining: 0},
	}
}

func fixedStatus() *env.Status {
	n, c := fixedNetwork(), fixedCounters()
	return &env.Status{Name: "web", Network: &n, Cluster: fixedCluster(),
		Mirrors: []env.MirrorStatus{
			{Registry: "docker.io", RemoteURL: "https://registry-1.docker.io", Policy: "fallback", Container: "kdev-mirror-docker-io",
				Address: "127.0.0.1:32768", State: "running", Mode: registry.ModeProxy, ModeSince: &t1, Attached: true,
				UpstreamReachable: true, CacheBytes: 52000000, Counters: &c, HitRatio: c.HitRatio()},
			{Registry: "quay.io", RemoteURL: "https://quay.io", Policy: "strict", Container: "kdev-mirror-quay-io",
				State: "missing", UpstreamError: "no answer within 200ms: slow or down (kdev doctor waits longer)",
				CacheBytes: -1, HitRatio: -1},
		},
		LocalRegistry: &env.LocalStatus{Container: "web-registry", State: "running", Port: 5001, Enabled: true},
	}
}

func fixedCheck() []verify.Result {
	hit := registry.Counters{Requests: registry.Split{Blob: 2, Manifest: 2}, Hits: registry.Split{Blob: 2, Manifest: 2},
		Served: registry.Split{Blob: 2, Manifest: 2}, Answered: registry.Split{Blob: 2, Manifest: 2}, PushedBytes: 1000,
		Upstream: registry.Upstream{Limit: -1, Remaining: -1}}
	miss := hit
	miss.Hits, miss.Misses, miss.PulledBytes = registry.Split{}, registry.Split{Blob: 2, Manifest: 2}, 1000
	return []verify.Result{
		{Registry: "docker.io", Canary: "docker.io/library/busybox:1.37.0", Mode: registry.ModeProxy, Verdict: verify.Pass,
			Pulls: []verify.Pull{
				{Node: "web-control-plane", Duration: 1740 * time.Millisecond, Delta: miss},
				{Node: "web-worker", Duration: 1150 * time.Millisecond, Delta: hit},
			}, Requests: 8, Hits: 4, Misses: 4, CachedBytes: 1000},
		{Registry: "quay.io", Canary: "quay.io/prometheus/busybox:latest", Mode: registry.ModeProxy, Verdict: verify.Bypassed,
			Reason: `containerd on web-worker logged "trying next host": it went past the mirror to the upstream`,
			Cause:  "not mirror kdev-mirror-quay-io running (state exited); fix: run kdev up",
			Pulls: []verify.Pull{{Node: "web-worker", Duration: 1480 * time.Millisecond, NextHost: true,
				Delta: registry.Counters{Upstream: registry.Upstream{Limit: -1, Remaining: -1}}}}},
		{Registry: "ghcr.io", Canary: "ghcr.io/containerd/busybox:1.36", Mode: registry.ModeCacheOnly, Verdict: verify.Unavailable,
			Reason: "no pull was made"},
	}
}

func fixedDoctor() []env.Finding {
	return []env.Finding{
		{Item: "docker answers", OK: true, Detail: "Docker 28.5.1"},
		{Item: "mirror kdev-mirror-docker-io running", OK: true, Registry: "docker.io"},
		{Item: "docker.io/hosts.toml in web-worker", OK: false, Detail: "missing", Fix: "run kdev up", Registry: "docker.io", Node: "web-worker"},
	}
}

func fixedUp() *env.UpResult {
	mirror := &registry.Observed{Name: "kdev-mirror-docker-io", ID: "9d1e7c3a", State: "running", Image: "kdev.local/registry:3",
		Networks: []string{"web"}, APIPort: 32768, DebugPort: 32769, Created: t0}
	quay := &registry.Observed{Name: "kdev-mirror-quay-io", ID: "5b8f2e11", State: "running", Image: "kdev.local/registry:3",
		Networks: []string{"web"}, APIPort: 32770, DebugPort: 32771, Created: t1}
	local := &registry.Observed{Name: "web-registry", ID: "77aa01c4", State: "running", Image: "kdev.local/registry:3",
		Networks: []string{"web"}, APIPort: 5001, Created: t0}
	return &env.UpResult{Network: fixedNetwork(), NetworkCreated: true,
		Mirrors: []registry.MirrorResult{
			{Registry: "docker.io", Container: mirror, Action: registry.Created, Mode: registry.ModeProxy},
			{Registry: "quay.io", Container: quay, Action: registry.Recreated, Mode: registry.ModeCacheOnly,
				Warning: "its upstream https://quay.io cannot be reached: serving its cache only", Was: registry.ModeProxy, Since: &t0},
		},
		Detached: []string{"kdev-mirror-ghcr-io"},
		Local:    &registry.LocalResult{Container: local, Action: registry.Started, Port: 5001},
		Cluster: &env.ClusterResult{Observed: fixedCluster(), Created: true, Wiring: []cluster.NodeWiring{
			{Node: "web-control-plane", Written: []string{"/etc/containerd/certs.d/docker.io/hosts.toml"}},
			{Node: "web-worker", Written: []string{"/etc/containerd/certs.d/docker.io/hosts.toml"},
				Removed: []string{"/etc/containerd/certs.d/ghcr.io/hosts.toml"}},
		}},
		Check:   fixedCheck()[:1],
		Changed: true,
	}
}

// fixedUpUnchanged is a second up: nothing changed, and the check that passed before
// was not repeated.
func fixedUpUnchanged() *env.UpResult {
	res := fixedUp()
	res.NetworkCreated, res.Changed, res.Check, res.ProvenAt = false, false, nil, &t1
	res.Cluster.Created, res.Cluster.Wiring = false, []cluster.NodeWiring{{Node: "web-control-plane"}, {Node: "web-worker"}}
	for i := range res.Mirrors {
		res.Mirrors[i].Action = registry.Unchanged
	}
	res.Local.Action = registry.Unchanged
	res.Detached = nil
	return res
}

func fixedDown() *env.DownResult {
	return &env.DownResult{Cluster: true, Network: true, LocalRegistry: true,
		Detached: []string{"kdev-mirror-docker-io", "kdev-mirror-quay-io"},
		Purged:   []string{"kdev-mirror-quay-io"},
		Kept:     []env.KeptMirror{{Registry: "docker.io", Mirror: "kdev-mirror-docker-io", UsedBy: []string{"api"}}}}
}

func fixedCaches() []cache.Listed {
	return []cache.Listed{
		{Source: cache.Source{Cache: cache.Cache{Key: "docker-io", Registry: "docker.io", Remote: "https://registry-1.docker.io"}, Volume: "kdev-cache-docker-io"},
			Bytes: 52_000_000, Mirror: "kdev-mirror-docker-io", MirrorState: "running", LastUsed: t1,
			Repos: []cache.Repo{{Name: "library/busybox", Tags: []string{"1.37.0"}, LastUsed: t1}, {Name: "team/app", LastUsed: t0}}},
		{Source: cache.Source{Cache: cache.Cache{Key: "quay-io-1a2b3c4d", Registry: "quay.io", Remote: "https://quay.example"}, Volume: "kdev-cache-quay-io-1a2b3c4d"},
			Bytes: -1},
	}
}
