package env

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/verify"
)

// ErrNoCluster means there is no running cluster to prove the mirrors in.
var ErrNoCluster = errors.New("no running cluster")

// Check proves each configured mirror with its canary (see package verify). For a
// mirror that fails, it runs doctor and names the likely cause.
func (e *Env) Check(ctx context.Context) ([]verify.Result, error) {
	cfg := e.Config
	if e.Cluster == nil {
		return nil, ErrNoCluster
	}
	obs, err := e.Cluster.Observe(ctx, e.Docker, cfg.Name)
	if err != nil {
		return nil, err
	}
	if obs == nil || !obs.Running || obs.ControlPlaneNode() == nil {
		return nil, fmt.Errorf("%w %s: run kdev up first", ErrNoCluster, cfg.Name)
	}
	byReg, err := mirrorsByRegistry(ctx, e.Docker, cfg.Mirrors)
	if err != nil {
		return nil, err
	}
	var targets []verify.Target
	for _, m := range cfg.Mirrors {
		o := byReg[m.Registry]
		t := verify.Target{Registry: m.Registry, Canary: m.Canary, Mode: registry.ModeProxy,
			MirrorHost: strings.TrimPrefix(registry.MirrorEndpoint(m), "http://")}
		if o != nil {
			t.Mode = o.Mode()
		}
		t.Counters = func(ctx context.Context) (registry.Counters, error) {
			if o == nil || o.DebugPort == 0 {
				return registry.Counters{}, fmt.Errorf("mirror of %s is not running", m.Registry)
			}
			return registry.ReadCounters(ctx, nil, o.DebugPort)
		}
		targets = append(targets, t)
	}
	done := e.Progress.Step(fmt.Sprintf("Checking %d mirrors on %d nodes", len(targets), len(obs.Nodes)))
	results := verify.Check(ctx, obs.ControlPlaneNode(), obs.NodeList(), targets)
	if err := ctx.Err(); err != nil {
		// Pulls cut short prove nothing either way: never report them as a bypass.
		done("", err)
		return nil, fmt.Errorf("check interrupted before it could judge the mirrors: %w", err)
	}
	var failed []string
	passed := true
	for _, r := range results {
		if r.Verdict != verify.Pass && !r.Verdict.Inconclusive() {
			failed = append(failed, r.Registry)
		}
		passed = passed && r.Verdict == verify.Pass
	}
	if err := e.recordProof(ctx, obs.ControlPlaneNode(), byReg, passed); err != nil {
		e.Progress.Warn("could not record the check's outcome in the cluster (the next up proves it again): " + firstLine(err))
	}
	if len(failed) > 0 {
		if fs, err := e.Doctor(ctx); err == nil {
			for i := range results {
				results[i].Cause = causeFor(results[i].Registry, fs)
			}
		}
	}
	var err2 error
	if len(failed) > 0 {
		err2 = errors.New("bypassed or missed: " + strings.Join(failed, ", "))
	}
	done(summarize(results), err2)
	return results, nil
}

// causeFor picks the first failed doctor finding about a registry's mirror or wiring,
// or about containerd itself.
func causeFor(reg string, fs []Finding) string {
	for _, f := range fs {
		if f.OK || (f.Registry != reg && !f.everyRegistry) {
			continue
		}
		c := "not " + f.Item
		if f.Detail != "" {
			c += " (" + f.Detail + ")"
		}
		if f.Fix != "" {
			c += "; fix: " + f.Fix
		}
		return c
	}
	return ""
}

func summarize(rs []verify.Result) string {
	var parts []string
	for _, r := range rs {
		hits := int64(0)
		total := int64(0)
		for i, p := range r.Pulls {
			if i > 0 {
				hits += p.Delta.Hits.Total()
				total += p.Delta.Requests.Total()
			}
		}
		switch r.Verdict {
		case verify.Pass:
			if r.Mode == registry.ModeCacheOnly {
				parts = append(parts, r.Registry+" served from cache")
			} else {
				parts = append(parts, fmt.Sprintf("%s hit %d/%d", r.Registry, hits, total))
			}
		default:
			parts = append(parts, fmt.Sprintf("%s %s", r.Registry, r.Verdict))
		}
	}
	title := "Cache verified: "
	for _, r := range rs {
		if r.Verdict != verify.Pass {
			title = "Cache check: "
		}
	}
	return title + strings.Join(parts, ", ")
}
