//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// freshRunner is issue 13's promise: a CI runner that has none of this environment's
// caches or images, and whose upstreams are gone, starts from a `kdev cache export
// --images` archive alone. Its images are aliases of the suite's (kdev.local/e2e-*),
// so that removing them removes nothing another environment runs; their layers stay
// on the engine, so the load is faster than on a runner that never had them.
func freshRunner(t *testing.T, s *suite, docs string, pods []string) {
	s.run(t, "a fresh runner starts from a cache archive alone, its upstreams gone", func(t *testing.T) {
		ctx := context.Background()
		s.deletePods(pods...)
		node, reg := "kdev.local/e2e-node:"+s.name, "kdev.local/e2e-registry:"+s.name
		for src, dst := range map[string]string{s.nodeImage: node, s.regImage: reg} {
			if _, err := s.api.ImageTag(ctx, client.ImageTagOptions{Source: src, Target: dst}); err != nil {
				t.Fatal(err)
			}
		}
		untag := func() {
			for _, ref := range []string{node, reg} {
				_, _ = s.api.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{})
			}
		}
		origNode, origReg := s.nodeImage, s.regImage
		s.nodeImage, s.regImage = node, reg
		t.Cleanup(func() {
			// The suite's cleanup (down --purge) runs after this, with the images it knows.
			s.nodeImage, s.regImage = origNode, origReg
		})

		archive := filepath.Join(s.dir, "kdev-cache.tar.zst")
		s.mustKdev("cache", "export", "-o", archive, "--images")
		s.mustKdev("down", "--purge")
		for _, u := range s.upstreams {
			if _, err := s.api.VolumeInspect(ctx, s.cacheOf(u.registry), client.VolumeInspectOptions{}); err == nil {
				t.Fatalf("%s's cache is still there after down --purge", u.registry)
			}
		}
		untag()
		t.Cleanup(untag)
		if _, err := s.api.ImageInspect(ctx, node); err == nil {
			t.Fatal("the node image alias is still there")
		}

		s.mustKdev("cache", "import", archive)
		code, _, errb := s.kdev("up")
		if code != 0 {
			t.Fatalf("up from the archive: exit %d\n%s", code, errb)
		}
		if !strings.Contains(errb, "kdev.local/e2e-node:"+s.name+" (on this machine)") {
			t.Errorf("up did not say the node image was there:\n%s", errb)
		}
		s.runPods(docs, pods...)
		for _, u := range s.upstreams {
			// The upstreams are gone: every pull was served from the imported cache.
			c := s.counters(u.registry)
			if c.Misses.Total() != 0 || c.Served.Blob == 0 {
				t.Errorf("%s: mirror counted %+v; want blobs served and no miss", u.registry, c)
			}
		}
	})
}
