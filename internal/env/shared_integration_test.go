package env

import (
	"context"
	"slices"
	"testing"

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
	if _, err := a.api.ContainerRemove(ctx, up1.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
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
	// The environment still using it is served from the cache.
	if _, err := registrytest.Pull(mirrorURL(mb), "team/app", "v1"); err != nil {
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
