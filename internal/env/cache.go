package env

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/registry"
)

// ExportOptions choose what an archive holds beside this environment's caches.
type ExportOptions struct {
	// All exports every kdev cache on the machine.
	All bool
	// Images adds the node and registry images, so a machine that cannot pull them
	// starts from the archive alone.
	Images bool
}

// ExportCaches writes an archive of this environment's mirror caches to w. It holds the
// mirrors' lock, so no up re-creates a mirror while its cache is read.
func (e *Env) ExportCaches(ctx context.Context, w io.Writer, o ExportOptions) (*cache.Index, error) {
	srcs, release, err := e.cachesLocked(ctx, o.All)
	if err != nil {
		return nil, err
	}
	defer release()
	var refs []string
	if o.Images {
		if refs, err = e.imagesToExport(ctx); err != nil {
			return nil, err
		}
	}
	return cache.Export(ctx, e.Docker, e.Config.Images.Registry, srcs, refs, w, e.Progress.Step)
}

// imagesToExport are the images kdev runs, which must be on this machine.
func (e *Env) imagesToExport(ctx context.Context) ([]string, error) {
	refs := []string{e.Config.Images.Registry}
	if e.Cluster != nil {
		refs = append(refs, e.Config.Images.Node)
	}
	for _, ref := range refs {
		if _, err := e.Docker.ImageInspect(ctx, ref); err != nil {
			return nil, fmt.Errorf("image %s is not on this machine, so it cannot be exported: run kdev up first (it pulls or builds what it runs): %w", ref, err)
		}
	}
	return refs, nil
}

// Imported is what an import did.
type Imported struct {
	Caches []cache.Merged
	// Images are the images loaded into the engine from the archive.
	Images []string
}

// ImportCaches reads an archive from r, checks it whole in a staging directory (under
// TMPDIR), and only then merges it into the cache volumes, holding the mirrors' lock.
func (e *Env) ImportCaches(ctx context.Context, r io.Reader) (*Imported, error) {
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
	res := &Imported{}
	// Images first: the registry image is what a cache volume is reached through.
	if idx.Images != nil {
		done := e.Progress.Step("Images " + strings.Join(idx.Images.Refs, ", "))
		res.Images, err = cache.LoadImages(ctx, e.Docker, dir)
		done("Loaded images "+strings.Join(res.Images, ", "), err)
		if err != nil {
			return res, err
		}
	}
	_, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res.Caches, err = cache.Import(ctx, e.Docker, e.Config.Images.Registry, dir, idx, e.Progress.Step)
	return res, err
}

// ListCaches describes every kdev mirror cache on the machine: caches are shared by
// environments, so every one is listed, this environment's or not.
func (e *Env) ListCaches(ctx context.Context) ([]cache.Listed, error) {
	return cache.List(ctx, e.Docker, e.Config.Images.Registry)
}

// caches are the cache volumes of this environment's mirrors, or every kdev cache on
// the machine with all; none is an error that says what to do.
func (e *Env) caches(ctx context.Context, all bool) ([]cache.Source, error) {
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
	return srcs, nil
}

// cachesLocked takes the shared mirrors' lock, then lists the caches as caches does;
// the caller releases the lock.
func (e *Env) cachesLocked(ctx context.Context, all bool) ([]cache.Source, func(), error) {
	_, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return nil, nil, err
	}
	srcs, err := e.caches(ctx, all)
	if err != nil {
		release()
		return nil, nil, err
	}
	return srcs, release, nil
}

// PruneCaches trims this environment's caches (every kdev cache with all), holding the
// mirrors' lock: the repositories o chooses, then the blobs nothing references.
func (e *Env) PruneCaches(ctx context.Context, o cache.PruneOptions, all bool) ([]cache.Pruned, error) {
	srcs, release, err := e.cachesLocked(ctx, all)
	if err != nil {
		return nil, err
	}
	defer release()
	return cache.Prune(ctx, e.Docker, e.Config.Images.Registry, srcs, o, e.Progress.Step)
}

// boundCaches enforces caches.maxSize before the mirrors are ensured: a cache whose
// volume has grown past the bound loses its least recently used repositories. A cache
// that fits, by the size of the blobs its repositories need, is not touched, and its
// mirror keeps serving.
func (e *Env) boundCaches(ctx context.Context, res *UpResult) error {
	bound := e.Config.CacheMaxSize()
	if bound == 0 {
		return nil
	}
	srcs, err := e.caches(ctx, false)
	if err != nil {
		return nil // no cache yet: nothing to bound
	}
	sizes, err := registry.VolumeSizes(ctx, e.Docker)
	if err != nil {
		return err
	}
	var over []cache.Source
	for _, s := range srcs {
		if sizes[s.Volume] > bound {
			over = append(over, s)
		}
	}
	if len(over) == 0 {
		return nil
	}
	_, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return err
	}
	defer release()
	pruned, err := cache.Prune(ctx, e.Docker, e.Config.Images.Registry, over, cache.PruneOptions{MaxSize: bound, OnlyOver: true}, e.Progress.Step)
	for _, p := range pruned {
		if len(p.Removed) > 0 {
			res.Pruned = append(res.Pruned, p)
			res.Changed = true
		}
	}
	return err
}
