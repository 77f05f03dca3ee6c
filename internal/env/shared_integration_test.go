package env

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestSharedMirror: two environments with the same registry and upstream share one
// mirror and one cache; a third with another upstream for that registry gets its own.
// Purging one environment keeps what another still uses, and says so.
func TestSharedMirror(t *testing.T) {
	ctx := context.Background()
	a := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	b := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	c := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	netA := a.up().Network.Name
	netC := c.up().Network.Name
	host := dockertest.Name("r") + ".test"
	up1 := dockertest.StartRegistry(t, a.api, a.image, dockertest.Name("kt-up1-"), netA)
	up2 := dockertest.StartRegistry(t, c.api, c.image, dockertest.Name("kt-up2-"), netC)
	img, err := registrytest.NewImage(1, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(up1.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	shared := config.Mirror{Registry: host, RemoteURL: up1.InNetwork, Policy: config.PolicyFallback}
	other := config.Mirror{Registry: host, RemoteURL: up2.InNetwork, Policy: config.PolicyFallback}
	a.env.Config.Mirrors = []config.Mirror{shared}
	b.env.Config.Mirrors = []config.Mirror{shared}
	c.env.Config.Mirrors = []config.Mirror{other}

	ma := a.up().Mirrors[0]
	if _, err := registrytest.Pull(mirrorURL(ma), "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	mb := b.up().Mirrors[0]
	mc := c.up().Mirrors[0]
	// The second environment only attaches the mirror to its network: no new container.
	if mb.Container.ID != ma.Container.ID || mb.Action == registry.Created || mb.Action == registry.Recreated {
		t.Fatalf("same registry and upstream: %s and %s (%s); want one shared mirror, not re-made", ma.Container.Name, mb.Container.Name, mb.Action)
	}
	if mc.Container.Name == ma.Container.Name || registry.CacheVolume(other) == registry.CacheVolume(shared) {
		t.Fatalf("another upstream shares mirror %s: want one of its own", mc.Container.Name)
	}

	// The upstream is the test's and sits on a's network: it goes first. From now on
	// only the cache can serve the image.
	if _, err := a.api.ContainerRemove(ctx, up1.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		t.Fatal(err)
	}
	down, err := a.env.Down(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(down.Kept) != 1 || down.Kept[0].Mirror != ma.Container.Name || !slices.Equal(down.Kept[0].UsedBy, []string{b.env.Config.Name}) || len(down.Purged) != 0 {
		t.Fatalf("purge of %s: kept %+v, purged %v; want the shared mirror kept for %s", a.env.Config.Name, down.Kept, down.Purged, b.env.Config.Name)
	}
	if _, err := a.api.VolumeInspect(ctx, registry.CacheVolume(shared), client.VolumeInspectOptions{}); err != nil {
		t.Fatalf("the shared cache is gone after one environment's purge: %v", err)
	}
	// Detaching it from the network it was made on moves its published port: the image
	// is served from the cache at the address b's status gives now.
	st, err := b.env.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mirrors[0].State != "running" || st.Mirrors[0].Address == "" {
		t.Fatalf("the shared mirror after the other's purge: %+v", st.Mirrors[0])
	}
	if _, err := registrytest.Pull("http://"+st.Mirrors[0].Address, "team/app", "v1"); err != nil {
		t.Fatalf("pull through the shared mirror after the other's purge: %v", err)
	}
	if _, err := c.api.ContainerInspect(ctx, mc.Container.ID, client.ContainerInspectOptions{}); err != nil {
		t.Fatalf("the other upstream's mirror is gone after an unrelated purge: %v", err)
	}

	down, err = b.env.Down(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(down.Purged) != 1 || len(down.Kept) != 0 {
		t.Fatalf("purge of the last user: purged %v, kept %+v; want the mirror and cache removed", down.Purged, down.Kept)
	}
}

// TestReattachedMirrorRestarts: `down` leaves a mirror running on no network; the next
// `up` attaches it and restarts it, so that no keep-alive connection to the upstream
// from its old address is reused (such a request hangs until containerd gives up and
// goes around the mirror). A tag the cache does not hold is then fetched at once.
func TestReattachedMirrorRestarts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	// An upstream outside every kdev network, reached as an internet host is: through
	// a port published on Docker's bridge gateway (docker0, 172.17.0.1 here).
	upstream := dockertest.StartRegistryAt(t, f.api, f.image, dockertest.Name("kt-up-"), "bridge", "", bridgeGateway(t, f.api))
	img, err := registrytest.NewImage(1, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	remote := upstream.URL
	f.env.Config.Mirrors = []config.Mirror{{Registry: dockertest.Name("r") + ".test", RemoteURL: remote, Policy: config.PolicyFallback}}
	m := f.up().Mirrors[0]
	if m.Mode != registry.ModeProxy {
		t.Fatalf("mirror of %s: %s (%s)", remote, m.Mode, m.Warning)
	}
	if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Down(ctx, false); err != nil {
		t.Fatal(err)
	}
	again := f.up().Mirrors[0]
	if again.Action != registry.Restarted || again.Container.ID != m.Container.ID {
		t.Fatalf("up after down: %s (%s), want the same mirror restarted", again.Action, again.Container.Name)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v2", img); err != nil {
		t.Fatal(err)
	}
	if _, err := registrytest.Pull(mirrorURL(again), "team/app", "v2"); err != nil {
		t.Fatalf("a new tag through the re-attached mirror: %v", err)
	}
}

// bridgeGateway is docker0's address; Docker 20.10 may not report the gateway of its
// default bridge, whose first address it is.
func bridgeGateway(t *testing.T, api *client.Client) netip.Addr {
	t.Helper()
	ins, err := api.NetworkInspect(context.Background(), "bridge", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ins.Network.IPAM.Config {
		if c.Gateway.IsValid() {
			return c.Gateway
		}
		if c.Subnet.IsValid() {
			return c.Subnet.Addr().Next()
		}
	}
	t.Fatal("the default bridge has no subnet")
	return netip.Addr{}
}

// TestHalfMadeMirrorRemade: a mirror container that was created and never started (a
// run interrupted between creating it and copying its config in) is made again by the
// next up, never started as it is: without its config it would be an open registry
// that fetches from nowhere.
func TestHalfMadeMirrorRemade(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name
	upstream := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-up-"), net)
	img, err := registrytest.NewImage(1, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	f.env.Config.Mirrors = []config.Mirror{{Registry: dockertest.Name("r") + ".test", RemoteURL: upstream.InNetwork, Policy: config.PolicyFallback}}
	m := f.up().Mirrors[0]
	ins, err := f.api.ContainerInspect(ctx, m.Container.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.ContainerRemove(ctx, m.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	// The same name and labels, the image's own command, no config, never started.
	half, err := f.api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: m.Container.Name,
		Config: &container.Config{Image: f.image, Labels: ins.Container.Config.Labels}})
	if err != nil {
		t.Fatal(err)
	}
	again := f.up().Mirrors[0]
	if again.Action != registry.Recreated || again.Container.ID == half.ID || again.Container.State != "running" {
		t.Fatalf("up after a half-made mirror: %s, container %.12s (%s); want it re-created, not %.12s started",
			again.Action, again.Container.ID, again.Container.State, half.ID)
	}
	if _, err := registrytest.Pull(mirrorURL(again), "team/app", "v1"); err != nil {
		t.Fatalf("pull through the re-made mirror: %v", err)
	}
}
