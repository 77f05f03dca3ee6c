package env

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/registry"
)

// ExportCaches writes an archive of this environment's mirror caches (every kdev cache
// on the machine with all) to w. It holds the mirrors' lock, so no up re-creates a
// mirror while its cache is read.
func (e *Env) ExportCaches(ctx context.Context, w io.Writer, all bool) (*cache.Index, error) {
	srcs, err := cache.Sources(ctx, e.Docker)
	if err != nil {
		return nil, err
	}
	if !all {
		want := map[string]bool{}
		for _, m := range e.Config.Mirrors {
			want[registry.Key(m)] = true
		}
		var mine []cache.Source
		for _, s := range srcs {
			if want[s.Key] {
				mine = append(mine, s)
			}
		}
		srcs = mine
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no mirror cache of environment %s exists on this machine: run kdev up (and pull through it) first, or use --all", e.Config.Name)
	}
	_, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return cache.Export(ctx, e.Docker, e.Config.Images.Registry, srcs, w, e.Progress.Step)
}

// ImportCaches reads an archive from r, checks it whole in a staging directory (under
// TMPDIR), and only then merges it into the cache volumes, holding the mirrors' lock.
func (e *Env) ImportCaches(ctx context.Context, r io.Reader) ([]cache.Merged, error) {
	dir, err := os.MkdirTemp("", "kdev-cache-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	done := e.Progress.Step("Verify the archive")
	idx, err := cache.Extract(r, dir)
	if err != nil {
		done("", err)
		return nil, err
	}
	blobs := 0
	for _, c := range idx.Caches {
		blobs += c.Blobs
	}
	done(fmt.Sprintf("Verified the archive: %d caches, %d blobs, every digest matches", len(idx.Caches), blobs), nil)
	_, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return cache.Import(ctx, e.Docker, e.Config.Images.Registry, dir, idx, e.Progress.Step)
}
