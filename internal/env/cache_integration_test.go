package env

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestCacheExportImport carries a mirror's cache through an archive: exported from a
// serving mirror, imported where the mirror and its cache are gone, then served as
// hits only; imported again over it, changing nothing; and a damaged archive refused
// with the cache left as it was.
func TestCacheExportImport(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name
	upstream := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-upstream-"), net)
	img, err := registrytest.NewImage(3, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatalf("seed upstream: %v", err)
	}
	mirror := config.Mirror{Registry: dockertest.Name("r") + ".test", RemoteURL: upstream.InNetwork, Policy: config.PolicyFallback}
	f.env.Config.Mirrors = []config.Mirror{mirror}
	m := f.up().Mirrors[0]
	if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	blobs := int64(len(img.Layers) + 1)
	f.settled(m, func(c registry.Counters) bool { return c.Misses.Blob >= blobs })

	t.Run("ls", func(t *testing.T) {
		ls, err := f.env.ListCaches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got *cache.Listed
		for i := range ls {
			if ls[i].Key == registry.Key(mirror) {
				got = &ls[i]
			}
		}
		if got == nil || got.Mirror != m.Container.Name || got.Bytes < int64(len(img.Layers))*256<<10 || got.LastUsed.IsZero() ||
			len(got.Repos) != 1 || got.Repos[0].Name != "team/app" || len(got.Repos[0].Tags) != 1 || got.Repos[0].Tags[0] != "v1" {
			t.Fatalf("ls: %+v; want team/app:v1 in the mirror's cache, its size and last use", got)
		}
	})

	var archive bytes.Buffer
	idx, err := f.env.ExportCaches(ctx, &archive, ExportOptions{})
	if err != nil {
		t.Fatalf("export: %v\n%s", err, f.log)
	}
	// The layers, the config and the manifest are all blobs in distribution's storage.
	if len(idx.Caches) != 1 || idx.Caches[0].Key != registry.Key(mirror) || idx.Caches[0].Blobs != int(blobs)+1 {
		t.Fatalf("index %+v; want one cache of %d blobs", idx, blobs+1)
	}

	t.Run("into a machine without the mirror or its cache", func(t *testing.T) {
		removeMirror(f.api, mirror)
		if _, err := f.api.VolumeInspect(ctx, registry.CacheVolume(mirror), client.VolumeInspectOptions{}); err == nil {
			t.Fatal("the cache volume is still there")
		}
		res, err := f.env.ImportCaches(ctx, bytes.NewReader(archive.Bytes()))
		if err != nil {
			t.Fatalf("import: %v\n%s", err, f.log)
		}
		merged := res.Caches
		if len(merged) != 1 || merged[0].AddedBlobs != int(blobs)+1 || merged[0].Kept != 0 {
			t.Fatalf("merged %+v; want every blob added", merged)
		}
		m = f.up().Mirrors[0]
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
			t.Fatal(err)
		}
		c := f.settled(m, func(c registry.Counters) bool { return c.Hits.Blob >= blobs })
		if c.Hits.Blob != blobs || c.Misses.Blob != 0 {
			t.Fatalf("counters %+v; want %d blob hits and no miss: the imported cache serves", c, blobs)
		}
	})

	t.Run("over the same cache, while its mirror serves", func(t *testing.T) {
		res, err := f.env.ImportCaches(ctx, bytes.NewReader(archive.Bytes()))
		if err != nil {
			t.Fatalf("import: %v\n%s", err, f.log)
		}
		merged := res.Caches
		if merged[0].Added != 0 || merged[0].Kept != idx.Caches[0].Files {
			t.Fatalf("merged %+v; want nothing added and all %d files kept", merged[0], idx.Caches[0].Files)
		}
		// Not through up, which would start a stopped mirror itself.
		ins, err := f.api.ContainerInspect(ctx, m.Container.ID, client.ContainerInspectOptions{})
		if err != nil || !ins.Container.State.Running {
			t.Fatalf("mirror after the import: %v; want it running again", err)
		}
	})

	t.Run("a damaged archive is refused and the cache kept", func(t *testing.T) {
		cut := archive.Bytes()[:archive.Len()*2/3]
		_, err := f.env.ImportCaches(ctx, bytes.NewReader(cut))
		var de *cache.DamagedError
		if !errors.As(err, &de) {
			t.Fatalf("import of a cut archive: %v; want it refused as damaged", err)
		}
		m = f.up().Mirrors[0]
		if _, err := registrytest.Pull(mirrorURL(m), "team/app", "v1"); err != nil {
			t.Fatalf("the cache no longer serves after a refused import: %v", err)
		}
		var again bytes.Buffer
		idx2, err := f.env.ExportCaches(ctx, &again, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if idx2.Caches[0].Files != idx.Caches[0].Files || idx2.Caches[0].Bytes != idx.Caches[0].Bytes {
			t.Fatalf("cache after a refused import: %+v; before: %+v", idx2.Caches[0], idx.Caches[0])
		}
	})

	t.Run("with the images kdev runs", func(t *testing.T) {
		var withImages bytes.Buffer
		idx, err := f.env.ExportCaches(ctx, &withImages, ExportOptions{Images: true})
		if err != nil {
			t.Fatal(err)
		}
		if idx.Images == nil || len(idx.Images.Refs) != 1 || idx.Images.Refs[0] != f.image {
			t.Fatalf("index images %+v; want the registry image (this environment has no cluster)", idx.Images)
		}
		// Loaded again into the engine that has it: Docker's own save and load formats,
		// and its answer, are what kdev reads.
		res, err := f.env.ImportCaches(ctx, bytes.NewReader(withImages.Bytes()))
		if err != nil {
			t.Fatalf("import: %v\n%s", err, f.log)
		}
		if len(res.Images) != 1 || res.Images[0] != f.image {
			t.Fatalf("loaded %v; want %s", res.Images, f.image)
		}
	})
}
