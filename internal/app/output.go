package app

import (
	"time"

	"github.com/kdev-dev/kdev/internal/api"
	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/verify"
)

// The converters below turn kdev's internal structs into the -o json documents of
// internal/api, field by field: a field renamed inside kdev fails to compile here
// instead of changing what scripts read. Lists a document always carries are [] when
// empty, never null, and times are in UTC.

func statusDoc(st *env.Status) api.Status {
	doc := api.Status{TypeMeta: api.Meta(api.KindStatus), Name: st.Name,
		Cluster: clusterDoc(st.Cluster), Mirrors: make([]api.MirrorStatus, 0, len(st.Mirrors))}
	if st.Network != nil {
		n := networkDoc(*st.Network)
		doc.Network = &n
	}
	for _, m := range st.Mirrors {
		doc.Mirrors = append(doc.Mirrors, mirrorStatusDoc(m))
	}
	if l := st.LocalRegistry; l != nil {
		doc.LocalRegistry = &api.LocalRegistryStatus{Container: l.Container, State: l.State, Port: l.Port, Enabled: l.Enabled}
	}
	return doc
}

func mirrorStatusDoc(m env.MirrorStatus) api.MirrorStatus {
	doc := api.MirrorStatus{Registry: m.Registry, RemoteURL: m.RemoteURL, Policy: m.Policy, Container: m.Container,
		Address: m.Address, State: m.State, Mode: string(m.Mode), Attached: m.Attached,
		UpstreamReachable: m.UpstreamReachable, UpstreamError: m.UpstreamError, CacheBytes: m.CacheBytes,
		HitRatio: m.HitRatio, MetricsError: m.MetricsError}
	if m.ModeSince != nil {
		doc.ModeSince = timeDoc(*m.ModeSince)
	}
	if m.Counters != nil {
		c := countersDoc(*m.Counters)
		doc.Counters = &c
	}
	return doc
}

func networkDoc(n network.Info) api.NetworkStatus {
	doc := api.NetworkStatus{Name: n.Name, ID: n.ID, Containers: n.Containers}
	if n.Subnet.IsValid() {
		doc.Subnet = n.Subnet.String()
	}
	return doc
}

func clusterDoc(c *cluster.Observed) *api.ClusterStatus {
	if c == nil {
		return nil
	}
	return &api.ClusterStatus{Name: c.Name, Nodes: list(c.Nodes), ControlPlane: c.ControlPlane, Workers: c.Workers,
		Images: list(c.Images), Networks: list(c.Networks), Running: c.Running, State: c.State,
		StartedAt: timeDoc(c.StartedAt), Ready: c.Ready}
}

func countersDoc(c registry.Counters) api.Counters {
	split := func(s registry.Split) api.Split { return api.Split{Blob: s.Blob, Manifest: s.Manifest} }
	return api.Counters{Requests: split(c.Requests), Hits: split(c.Hits), Misses: split(c.Misses),
		PulledBytes: c.PulledBytes, PushedBytes: c.PushedBytes, Served: split(c.Served), Answered: split(c.Answered),
		Upstream: api.Upstream{Responses: c.Upstream.Responses, RateLimited: c.Upstream.RateLimited,
			RateLimitLimit: c.Upstream.Limit, RateLimitRemaining: c.Upstream.Remaining}}
}

func checkDoc(rs []verify.Result) api.CheckReport {
	return api.CheckReport{TypeMeta: api.Meta(api.KindCheckReport), Results: checkResults(rs)}
}

func checkResults(rs []verify.Result) []api.CheckResult {
	out := make([]api.CheckResult, 0, len(rs))
	for _, r := range rs {
		doc := api.CheckResult{Registry: r.Registry, Canary: r.Canary, Mode: string(r.Mode), Verdict: string(r.Verdict),
			Reason: r.Reason, Cause: r.Cause, Pulls: make([]api.Pull, 0, len(r.Pulls)),
			Requests: r.Requests, Hits: r.Hits, Misses: r.Misses, CachedBytes: r.CachedBytes}
		for _, p := range r.Pulls {
			doc.Pulls = append(doc.Pulls, api.Pull{Node: p.Node, DurationMs: p.Duration.Milliseconds(), Error: p.Error,
				Delta: countersDoc(p.Delta), NextHost: p.NextHost})
		}
		out = append(out, doc)
	}
	return out
}

func doctorDoc(fs []env.Finding) api.DoctorReport {
	doc := api.DoctorReport{TypeMeta: api.Meta(api.KindDoctorReport), Findings: make([]api.Finding, 0, len(fs))}
	for _, f := range fs {
		doc.Findings = append(doc.Findings, api.Finding{Item: f.Item, OK: f.OK, Detail: f.Detail, Fix: f.Fix, Registry: f.Registry, Node: f.Node})
	}
	return doc
}

func upDoc(r *env.UpResult) api.UpResult {
	doc := api.UpResult{TypeMeta: api.Meta(api.KindUpResult), Network: networkDoc(r.Network), NetworkCreated: r.NetworkCreated,
		Mirrors: make([]api.MirrorResult, 0, len(r.Mirrors)), Detached: r.Detached, Changed: r.Changed}
	for _, m := range r.Mirrors {
		md := api.MirrorResult{Registry: m.Registry, Container: containerDoc(m.Container), Action: string(m.Action),
			Mode: string(m.Mode), Warning: m.Warning, Was: string(m.Was)}
		if m.Since != nil {
			md.Since = timeDoc(*m.Since)
		}
		doc.Mirrors = append(doc.Mirrors, md)
	}
	if l := r.Local; l != nil {
		doc.LocalRegistry = &api.LocalRegistryResult{Container: containerDoc(l.Container), Action: string(l.Action), Port: l.Port}
	}
	if c := r.Cluster; c != nil {
		doc.Cluster = &api.ClusterResult{Observed: clusterDoc(c.Observed), Created: c.Created, Wiring: make([]api.NodeWiring, 0, len(c.Wiring))}
		for _, w := range c.Wiring {
			doc.Cluster.Wiring = append(doc.Cluster.Wiring, api.NodeWiring{Node: w.Node, Written: w.Written, Removed: w.Removed})
		}
	}
	for _, p := range r.Pruned {
		doc.Pruned = append(doc.Pruned, api.PrunedCache{Registry: p.Registry, Volume: p.Volume, Removed: p.Removed, Before: p.Before, After: p.After})
	}
	if len(r.Check) > 0 {
		doc.Check = checkResults(r.Check)
	}
	if r.ProvenAt != nil {
		doc.ProvenAt = timeDoc(*r.ProvenAt)
	}
	return doc
}

func containerDoc(o *registry.Observed) *api.ContainerStatus {
	if o == nil {
		return nil
	}
	return &api.ContainerStatus{Name: o.Name, ID: o.ID, State: o.State, Image: o.Image, Networks: list(o.Networks),
		APIPort: o.APIPort, DebugPort: o.DebugPort, Created: timeDoc(o.Created)}
}

func downDoc(r *env.DownResult) api.DownResult {
	doc := api.DownResult{TypeMeta: api.Meta(api.KindDownResult), Cluster: r.Cluster, Network: r.Network,
		LocalRegistry: r.LocalRegistry, Detached: r.Detached, Purged: r.Purged}
	for _, k := range r.Kept {
		doc.Kept = append(doc.Kept, api.KeptMirror{Registry: k.Registry, Mirror: k.Mirror, UsedBy: list(k.UsedBy)})
	}
	return doc
}

// timeDoc is t in UTC, nil when t is zero (unknown).
func timeDoc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// list is s, or [] for nil: a list a document always carries is never null.
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
