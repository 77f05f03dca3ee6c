package dockerfake_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockerfake"
	kdevnet "github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

const registryImage = "kdev.local/registry:3.1.2"

// TestMirrorDrift runs kdev's registry package against drift injected behind its back:
// each kind is repaired with the least disruptive action.
func TestMirrorDrift(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	if _, _, err := kdevnet.Ensure(ctx, f, "kt", "kt", ""); err != nil {
		t.Fatal(err)
	}
	m := config.Mirror{Registry: "r.test", RemoteURL: "http://up.test:5000"}
	name := registry.MirrorName(m)
	ensure := func(want registry.Action) registry.MirrorResult {
		t.Helper()
		f.ResetCalls()
		res, err := registry.EnsureMirror(ctx, f, m, registryImage, registry.Access{}, []string{"kt"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != want {
			t.Fatalf("action %s, want %s; calls %v", res.Action, want, f.Calls())
		}
		return res
	}
	res := ensure(registry.Created)
	f.SetMetrics(name, dockerfake.Metrics{Requests: dockerfake.Counts{Blob: 4}, Hits: dockerfake.Counts{Blob: 3}})
	c, err := registry.ReadCounters(ctx, nil, res.Container.DebugPort)
	if err != nil || c.Requests.Blob != 4 || c.HitRatio() != 0.75 {
		t.Fatalf("counters %+v (%v), want 4 requests, 3 hits", c, err)
	}
	ensure(registry.Unchanged)

	if err := f.Stop(name); err != nil {
		t.Fatal(err)
	}
	ensure(registry.Started)
	if got := f.Calls(); !slices.Equal(got, []string{"ContainerStart " + name}) {
		t.Errorf("calls to start a stopped mirror: %v", got)
	}

	// Left on no network, a running mirror loses its ports and is attached and restarted.
	if err := f.Disconnect(name, "kt"); err != nil {
		t.Fatal(err)
	}
	ensure(registry.Restarted)
	if got := f.Calls(); !slices.Equal(got, []string{"NetworkConnect kt " + name, "ContainerRestart " + name}) {
		t.Errorf("calls to mend a detached mirror: %v", got)
	}
}

// TestUpstreamDown follows a mirror whose upstream goes away and comes back: it serves
// its cache only, then the probe finds the upstream again and it proxies anew.
func TestUpstreamDown(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	if _, _, err := kdevnet.Ensure(ctx, f, "kt", "kt", ""); err != nil {
		t.Fatal(err)
	}
	m := config.Mirror{Registry: "r.test", RemoteURL: "http://up.test:5000"}
	f.SetUpstreamDown(m.RemoteURL, true)
	res, err := registry.EnsureMirror(ctx, f, m, registryImage, registry.Access{}, []string{"kt"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != registry.ModeCacheOnly || !strings.Contains(res.Warning, `Get "http://up.test:5000/v2/"`) {
		t.Fatalf("mode %s warning %q, want cache-only because of the upstream", res.Mode, res.Warning)
	}

	// A probe that still fails (scripted by OnStart) keeps it cache-only, untouched.
	f.OnStart = func(c dockerfake.Container) dockerfake.Run {
		if strings.HasSuffix(c.Name, "-probe") {
			return dockerfake.Run{Exit: true, ExitCode: 2, Logs: `panic: Get "http://up.test:5000/v2/": i/o timeout` + "\n"}
		}
		return dockerfake.Run{Logs: "listening on [::]:5000\n"}
	}
	if res, err = registry.EnsureMirror(ctx, f, m, registryImage, registry.Access{}, []string{"kt"}); err != nil || res.Mode != registry.ModeCacheOnly || res.Action != registry.Unchanged {
		t.Fatalf("with the probe failing: %+v %v, want cache-only unchanged", res, err)
	}

	f.OnStart = nil
	f.SetUpstreamDown(m.RemoteURL, false)
	f.ResetCalls()
	if res, err = registry.EnsureMirror(ctx, f, m, registryImage, registry.Access{}, []string{"kt"}); err != nil || res.Mode != registry.ModeProxy || res.Action != registry.Recreated {
		t.Fatalf("upstream back: %+v %v, want the proxy re-created", res, err)
	}
	probe := registry.MirrorName(m) + "-probe"
	if calls := strings.Join(f.Calls(), "\n"); !strings.Contains(calls, "ContainerCreate "+probe) || !strings.Contains(calls, "ContainerRemove "+probe) {
		t.Errorf("calls %s\nwant the probe made and removed", calls)
	}
	// The probe's anonymous volume went with it: only the cache is left.
	if got := f.VolumeNames(); !slices.Equal(got, []string{registry.CacheVolume(m)}) {
		t.Errorf("volumes %v, want the cache only", got)
	}
}
