package env

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestUpgradeAdoptsCache: a mirror and cache made by a kdev that named mirrors by their
// registry alone (kdev-mirror-<slug>, kdev-cache-<slug>, labels without a key) are
// taken over by the mirror of that registry's default upstream, and the cache serves
// what it held: nothing is fetched again after the upgrade.
func TestUpgradeAdoptsCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name
	host := dockertest.Name("r") + ".test"
	m := config.Mirror{Registry: host, RemoteURL: config.RemoteFor(host), Policy: config.PolicyFallback}
	f.env.Config.Mirrors = []config.Mirror{m} // the fixture's cleanup removes its mirror and cache
	slug := registry.Slug(host)
	oldName, oldVolume := "kdev-mirror-"+slug, "kdev-cache-"+slug
	if registry.MirrorName(m) != oldName || registry.CacheVolume(m) != oldVolume {
		t.Fatalf("the default upstream's mirror is %s with %s, want the names kdev always used (%s, %s)",
			registry.MirrorName(m), registry.CacheVolume(m), oldName, oldVolume)
	}

	// The earlier release's cache, with the labels it had, holding an image.
	oldLabels := map[string]string{"dev.kdev.managed": "true", "dev.kdev.role": "cache", "dev.kdev.registry": host}
	if _, err := f.api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: oldVolume, Labels: oldLabels}); err != nil {
		t.Fatal(err)
	}
	filler := dockertest.StartRegistryOn(t, f.api, f.image, dockertest.Name("kt-old-"), net, oldVolume)
	img, err := registrytest.NewImage(2, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(filler.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.ContainerRemove(ctx, filler.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	// The earlier release's mirror container: same name, no key label, an old spec.
	_, err = f.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: oldName,
		Config: &container.Config{Image: f.image, Labels: map[string]string{
			"dev.kdev.managed": "true", "dev.kdev.role": "mirror", "dev.kdev.registry": host,
			"dev.kdev.remote": m.RemoteURL, "dev.kdev.mode": "proxy", "dev.kdev.spec": "from-an-earlier-release"}},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: oldVolume, Target: "/var/lib/registry"}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	// The default upstream (https://<host>) does not exist: the mirror serves its cache.
	res := f.up()
	mr := res.Mirrors[0]
	if mr.Container == nil || mr.Container.Name != oldName || mr.Action != registry.Recreated {
		t.Fatalf("up after the upgrade: %+v, want %s re-created", mr, oldName)
	}
	// The upstream cannot be reached at all, so whatever this pull gets came from the cache.
	if mr.Mode != registry.ModeCacheOnly {
		t.Fatalf("mode %s: the default upstream of %s should be unreachable here", mr.Mode, host)
	}
	if _, err := registrytest.Pull(mirrorURL(mr), "team/app", "v1"); err != nil {
		t.Fatalf("the adopted cache did not serve what it held: %v", err)
	}
	vols, err := f.api.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", "dev.kdev.registry="+host)})
	if err != nil || len(vols.Items) != 1 || vols.Items[0].Name != oldVolume {
		t.Fatalf("cache volumes of %s after the upgrade: %+v (%v), want only %s", host, vols.Items, err, oldVolume)
	}
}
