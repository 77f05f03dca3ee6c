package env

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestMirrorLifecycle drives one mirror through what users meet: a miss then a hit that
// the mirror's own metrics count, an idempotent second up, a deleted container re-created
// with its cache, a changed upstream, an unreachable upstream, and down with and without purge.
func TestMirrorLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name

	upstream := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-upstream-"), net)
	img, err := registrytest.NewImage(3, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatalf("seed upstream: %v", err)
	}
	host := dockertest.Name("r") + ".test"
	f.env.Config.Mirrors = []config.Mirror{{Registry: host, RemoteURL: upstream.InNetwork, Policy: config.PolicyFallback}}

	res := f.up()
	m := res.Mirrors[0]
	if m.Action != registry.Created || m.Mode != registry.ModeProxy || m.Warning != "" {
		t.Fatalf("first up: %+v", m)
	}

	t.Run("first pull is a miss, second a hit", func(t *testing.T) {
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
			t.Fatal(err)
		}
		blobs := int64(len(img.Layers) + 1)
		c := f.settled(m, func(c registry.Counters) bool { return c.Misses.Blob >= blobs })
		if c.Misses.Blob != blobs || c.Hits.Blob != 0 || c.Misses.Manifest < 1 {
			t.Fatalf("after the first pull: %+v, want %d blob misses and no hits", c, blobs)
		}
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
			t.Fatal(err)
		}
		c2 := f.settled(m, func(c registry.Counters) bool { return c.Hits.Blob >= blobs })
		if c2.Hits.Blob != blobs || c2.Misses.Blob != blobs {
			t.Fatalf("after the second pull: %+v, want %d new blob hits and no new misses", c2, blobs)
		}
	})

	t.Run("second up changes nothing", func(t *testing.T) {
		again := f.up()
		if again.Changed || again.Mirrors[0].Action != registry.Unchanged || again.Mirrors[0].Container.ID != m.Container.ID {
			t.Fatalf("second up changed something: %+v", again)
		}
	})

	t.Run("deleted mirror is re-created with its cache", func(t *testing.T) {
		if _, err := f.api.ContainerRemove(ctx, m.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		m = f.up().Mirrors[0]
		if m.Action != registry.Created {
			t.Fatalf("action %s, want created", m.Action)
		}
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", img.Digest); err != nil {
			t.Fatal(err)
		}
		if c := f.counters(m); c.Misses.Blob != 0 || c.Hits.Blob == 0 {
			t.Fatalf("pull after re-creation: %+v, want only blob hits (the cache survived)", c)
		}
	})

	t.Run("another remoteURL gets its own mirror and cache; the first keeps its own", func(t *testing.T) {
		other := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-upstream2-"), net)
		first := f.env.Config.Mirrors[0]
		second := first
		second.RemoteURL = other.InNetwork
		t.Cleanup(func() { removeMirror(f.api, second) })
		f.env.Config.Mirrors[0] = second
		up := f.up()
		o := up.Mirrors[0]
		if o.Action != registry.Created || o.Container.Name != registry.MirrorName(second) || o.Container.Name == m.Container.Name ||
			o.Container.Labels["dev.kdev.remote"] != other.InNetwork {
			t.Fatalf("got %+v, want a new mirror of its own for the new remote", o)
		}
		if len(up.Detached) != 1 {
			t.Errorf("detached %v, want the first upstream's mirror detached from the network", up.Detached)
		}
		// The other upstream does not have the image: its own, empty cache cannot serve it.
		if _, err := registrytest.Pull(mirrorURL(o), "team/app", img.Digest); err == nil {
			t.Fatal("the new upstream's mirror served content cached from the first upstream")
		}
		f.env.Config.Mirrors[0] = first
		m = f.up().Mirrors[0]
		if m.Container.Name != registry.MirrorName(first) {
			t.Fatalf("back to the first remote: mirror %s", m.Container.Name)
		}
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", img.Digest); err != nil {
			t.Fatalf("the first upstream's cache was lost: %v", err)
		}
	})

	t.Run("unreachable upstream: the mirror serves its cache", func(t *testing.T) {
		if _, err := f.api.ContainerRemove(ctx, upstream.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Fatal(err)
		}
		// A running proxy keeps serving; the failure (distribution issue 4038) is at start.
		if _, err := f.api.ContainerRemove(ctx, m.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		m = f.up().Mirrors[0]
		if m.Mode != registry.ModeCacheOnly || !strings.Contains(m.Warning, "unreachable") {
			t.Fatalf("got %+v, want cache-only with a warning", m)
		}
		if !strings.Contains(f.log.String(), "! mirror "+host+": upstream "+upstream.InNetwork+" is unreachable") {
			t.Errorf("no warning in progress:\n%s", f.log)
		}
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
			t.Fatalf("cache-only mirror did not serve the cached tag: %v", err)
		}
		st, err := f.env.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ms := st.Mirrors[0]; ms.Mode != registry.ModeCacheOnly || ms.UpstreamReachable || ms.State != "running" || !ms.Attached {
			t.Fatalf("status: %+v", ms)
		}
		// The address status gives scripts is the mirror's own, and it serves there.
		if addr := st.Mirrors[0].Address; addr != fmt.Sprintf("127.0.0.1:%d", m.Container.APIPort) {
			t.Fatalf("status address %q, mirror published on %d", addr, m.Container.APIPort)
		} else if _, err := registrytest.Pull("http://"+addr, "team/app", "v1"); err != nil {
			t.Fatalf("pull from status's address %s: %v", addr, err)
		}
	})

	t.Run("upstream back: the next up returns to proxy mode", func(t *testing.T) {
		back := dockertest.StartRegistry(t, f.api, f.image, upstream.Name, net)
		if err := registrytest.Push(back.URL, "team/app", "v1", img); err != nil {
			t.Fatal(err)
		}
		m = f.up().Mirrors[0]
		if m.Mode != registry.ModeProxy || m.Action != registry.Recreated {
			t.Fatalf("got %+v, want proxy mode again", m)
		}
	})

	t.Run("down keeps the mirror and its cache; purge removes them", func(t *testing.T) {
		down, err := f.env.Down(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if !down.Network || len(down.Detached) != 1 {
			t.Fatalf("down: %+v", down)
		}
		if nw, _ := network.Find(ctx, f.api, net); nw != nil {
			t.Fatal("network still exists after down")
		}
		if _, err := f.api.ContainerInspect(ctx, registry.MirrorName(f.env.Config.Mirrors[0]), client.ContainerInspectOptions{}); err != nil {
			t.Fatalf("mirror gone after down: %v", err)
		}
		purged, err := f.env.Down(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(purged.Purged) != 1 {
			t.Fatalf("purge: %+v", purged)
		}
		if _, err := f.api.VolumeInspect(ctx, registry.CacheVolume(f.env.Config.Mirrors[0]), client.VolumeInspectOptions{}); err == nil {
			t.Fatal("cache volume still exists after down --purge")
		}
	})
}

func TestNetworkCollisions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")

	t.Run("a same-named network kdev did not create", func(t *testing.T) {
		name := f.env.Config.Network.Name
		if _, err := f.api.NetworkCreate(ctx, name, client.NetworkCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = f.api.NetworkRemove(context.Background(), name, client.NetworkRemoveOptions{}) })
		_, err := f.env.Up(ctx)
		if err == nil || !strings.Contains(err.Error(), "kdev did not create it") {
			t.Fatalf("got %v, want a refusal to reuse the network", err)
		}
		if _, err := f.env.Down(ctx, true); err == nil || !strings.Contains(err.Error(), "kdev did not create it") {
			t.Fatalf("down on a foreign network: got %v, want a refusal", err)
		}
		if nw, _ := network.Find(ctx, f.api, name); nw == nil {
			t.Fatal("down removed a network that kdev did not create")
		}
	})

	t.Run("down with a container kdev did not start on the network", func(t *testing.T) {
		g := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
		net := g.up().Network.Name
		other := dockertest.StartRegistry(t, g.api, dockertest.RegistryImage(t, g.api), dockertest.Name("kdev-test-foreign"), net)
		_, err := g.env.Down(ctx, false)
		if err == nil || !strings.Contains(err.Error(), other.Name) || !strings.Contains(err.Error(), "docker network disconnect") {
			t.Fatalf("got %v, want an error naming %s and how to detach it", err, other.Name)
		}
		if _, err := g.api.NetworkDisconnect(ctx, net, client.NetworkDisconnectOptions{Container: other.ID, Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := g.env.Down(ctx, false); err != nil {
			t.Fatalf("down once the network is free: %v", err)
		}
		if nw, _ := network.Find(ctx, g.api, net); nw != nil {
			t.Fatal("the network is still there after down")
		}
	})

	t.Run("a configured subnet that overlaps another network", func(t *testing.T) {
		taken := f.up2(t).Subnet
		g := newFixture(t, fmt.Sprintf("network:\n  subnet: %s\nmirrors: []\nlocalRegistry:\n  enabled: false\n", taken))
		_, err := g.env.Up(ctx)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Field != "network.subnet" || !strings.Contains(err.Error(), "overlaps") {
			t.Fatalf("got %v, want a config error on network.subnet", err)
		}
	})
}

// up2 brings up a second, unrelated environment and returns its network.
func (f *fixture) up2(t *testing.T) network.Info {
	g := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	return g.up().Network
}

func TestLocalRegistry(t *testing.T) {
	port := dockertest.FreePort(t)
	f := newFixture(t, fmt.Sprintf("mirrors: []\nlocalRegistry:\n  port: %d\n", port))
	res := f.up()
	if res.Local == nil || res.Local.Action != registry.Created {
		t.Fatalf("local registry: %+v", res.Local)
	}
	img, err := registrytest.NewImage(1, 1024)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := registrytest.Push(url, "me/app", "dev", img); err != nil {
		t.Fatalf("push to localhost:%d: %v", port, err)
	}
	if _, err := registrytest.Pull(url, "me/app", "dev"); err != nil {
		t.Fatal(err)
	}

	g := newFixture(t, fmt.Sprintf("mirrors: []\nlocalRegistry:\n  port: %d\n", port))
	_, err = g.env.Up(context.Background())
	var pe *registry.PortInUseError
	if !errors.As(err, &pe) || pe.Port != port || pe.Container != registry.LocalName(f.env.Config.Name) {
		t.Fatalf("got %v, want port %d in use by %s", err, port, registry.LocalName(f.env.Config.Name))
	}
	if o, _ := registry.Local(context.Background(), g.api, g.env.Config.Name); o != nil {
		t.Fatalf("a half-made local registry was left behind: %+v", o)
	}
}
