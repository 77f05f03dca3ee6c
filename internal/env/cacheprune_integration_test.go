package env

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestCachePrune: a cache over its bound loses its least recently used repository,
// and only that: what stays is served as hits, what went is fetched again, and the
// mirror serves again after.
func TestCachePrune(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name
	upstream := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-upstream-"), net)
	images := map[string]*registrytest.Image{}
	for _, repo := range []string{"team/old", "team/app"} {
		img, err := registrytest.NewImage(3, 256<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err := registrytest.Push(upstream.URL, repo, "v1", img); err != nil {
			t.Fatalf("seed upstream: %v", err)
		}
		images[repo] = img
	}
	mirror := config.Mirror{Registry: dockertest.Name("r") + ".test", RemoteURL: upstream.InNetwork, Policy: config.PolicyFallback}
	f.env.Config.Mirrors = []config.Mirror{mirror}
	m := f.up().Mirrors[0]
	blobs := int64(len(images["team/app"].Layers) + 1)
	for _, repo := range []string{"team/old", "team/app"} {
		if _, err := registrytest.Pull(mirrorURL(m), repo, "v1"); err != nil {
			t.Fatal(err)
		}
		want := blobs
		if repo == "team/app" {
			want = 2 * blobs
		}
		f.settled(m, func(c registry.Counters) bool { return c.Misses.Blob >= want })
		time.Sleep(1100 * time.Millisecond) // link times are read to the second
	}

	// Each repository is 3 layers of 256 KiB and a little: one fits in 1 MB, two do not.
	pruned, err := f.env.PruneCaches(ctx, cache.PruneOptions{MaxSize: 1_000_000}, false)
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, f.log)
	}
	p := pruned[0]
	if strings.Join(p.Removed, " ") != "team/old" || p.After > 1_000_000 || p.Before < 2*3*256<<10 {
		t.Fatalf("pruned %+v; want team/old removed, the cache from over 1.5 MB to under 1 MB", p)
	}
	ins, err := f.api.ContainerInspect(ctx, m.Container.ID, client.ContainerInspectOptions{})
	if err != nil || !ins.Container.State.Running {
		t.Fatalf("mirror after prune: %v; want it serving again", err)
	}

	m = f.up().Mirrors[0]
	before := f.counters(m)
	if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	c := f.settled(m, func(c registry.Counters) bool { return c.Hits.Blob-before.Hits.Blob >= blobs })
	if c.Hits.Blob-before.Hits.Blob != blobs || c.Misses.Blob != before.Misses.Blob {
		t.Fatalf("team/app after prune: %+v (before %+v); want hits only: it was kept", c, before)
	}
	if _, err := registrytest.Pull(mirrorURL(m), "team/old", "v1"); err != nil {
		t.Fatal(err)
	}
	// Its layers are its own; a config blob may be the same as team/app's, and kept.
	layers := int64(len(images["team/old"].Layers))
	c2 := f.settled(m, func(c registry.Counters) bool { return c.Misses.Blob-before.Misses.Blob >= layers })
	if c2.Misses.Blob-before.Misses.Blob < layers {
		t.Fatalf("team/old after prune: %+v; want its %d layers fetched again: it was removed", c2, layers)
	}

	// caches.maxSize: up trims the least recently used (team/app, pulled before
	// team/old came back), and a second up finds the cache within its bound.
	f.env.Config.Caches = &config.Caches{MaxSize: "1MB"}
	res := f.up()
	if len(res.Pruned) != 1 || strings.Join(res.Pruned[0].Removed, " ") != "team/app" || !res.Changed {
		t.Fatalf("up with maxSize 1MB pruned %+v; want team/app removed\n%s", res.Pruned, f.log)
	}
	if again := f.up(); len(again.Pruned) != 0 || again.Changed {
		t.Fatalf("second up pruned %+v (changed %v); want nothing: the cache fits", again.Pruned, again.Changed)
	}

	// A kdev cache command killed outright leaves its container over the volume: down
	// --purge still removes the cache.
	left, err := f.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: f.image, Labels: docker.Labels(docker.RoleMaintenance)},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: registry.CacheVolume(mirror), Target: "/var/lib/registry"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.ContainerRemove(ctx, upstream.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Down(ctx, true); err != nil {
		t.Fatalf("down --purge with a leftover container over the cache: %v", err)
	}
	if _, err := f.api.VolumeInspect(ctx, registry.CacheVolume(mirror), client.VolumeInspectOptions{}); err == nil {
		t.Fatal("the cache volume survived down --purge")
	}
	if _, err := f.api.ContainerInspect(ctx, left.ID, client.ContainerInspectOptions{}); err == nil {
		t.Fatal("the leftover container survived down --purge")
	}
}
