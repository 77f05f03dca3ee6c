package cache

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/ui"
)

// Where a registry container keeps its storage, and distribution's layout in it.
const (
	dataDir = "/var/lib/registry"
	v2Dir   = dataDir + "/docker/registry/v2"
)

// Source is a cache volume on this machine.
type Source struct {
	Cache
	Volume string
}

// Sources lists kdev's cache volumes, keyed as the mirrors that use them are. A cache
// made before mirrors had keys is keyed by its registry alone, as it was named.
func Sources(ctx context.Context, api docker.API) ([]Source, error) {
	res, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: docker.Filter(docker.RoleCache)})
	if err != nil {
		return nil, fmt.Errorf("list cache volumes: %w", err)
	}
	var out []Source
	for _, v := range res.Items {
		key := v.Labels[docker.LabelKey]
		if key == "" {
			key = registry.Slug(v.Labels[docker.LabelRegistry])
		}
		if registry.CacheVolumeOf(key) != v.Name {
			continue // not a volume kdev named: leave it alone
		}
		out = append(out, Source{Cache: Cache{Key: key, Registry: v.Labels[docker.LabelRegistry], Remote: v.Labels[docker.LabelRemote]}, Volume: v.Name})
	}
	return out, nil
}

// Export writes an archive of the sources' caches to w. A mirror is read while it
// serves: distribution moves a blob into place whole, so every blob read is complete
// (each is verified), and a link caught half-written is left out. step reports each
// cache.
func Export(ctx context.Context, api docker.API, image string, srcs []Source, images []string, w io.Writer, step func(string) func(string, error)) (*Index, error) {
	aw, err := NewWriter(w)
	if err != nil {
		return nil, err
	}
	if err := exportCaches(ctx, api, image, srcs, aw, step); err != nil {
		return nil, err
	}
	if len(images) > 0 {
		done := step("Images " + strings.Join(images, ", "))
		err := aw.AddImages(ctx, api, images, "")
		summary := "Images " + strings.Join(images, ", ")
		if err == nil {
			summary += ": " + ui.Bytes(aw.idx.Images.Bytes)
		}
		done(summary, err)
		if err != nil {
			return nil, err
		}
	}
	return aw.Close()
}

func exportCaches(ctx context.Context, api docker.API, image string, srcs []Source, aw *Writer, step func(string) func(string, error)) error {
	for _, s := range srcs {
		done := step("Cache " + s.Registry + " (" + s.Volume + ")")
		var skipped []Skipped
		err := withContainer(ctx, api, image, s.Volume, false, func(id string) error {
			rc, err := api.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: v2Dir})
			if docker.IsNotFound(err) {
				_, err = aw.AddCache(s.Cache, eofReader{}) // an empty cache
				return err
			}
			if err != nil {
				return fmt.Errorf("read cache volume %s: %w", s.Volume, err)
			}
			defer rc.Content.Close()
			skipped, err = aw.AddCache(s.Cache, rc.Content)
			return err
		})
		c := aw.idx.Caches
		summary := "Cache " + s.Registry
		if err == nil && len(c) > 0 {
			last := c[len(c)-1]
			summary = fmt.Sprintf("Cache %s: %d blobs, %s", s.Registry, last.Blobs, ui.Bytes(last.Bytes))
			if len(skipped) > 0 {
				summary += fmt.Sprintf(" (%d links being written left out)", len(skipped))
			}
		}
		done(summary, err)
		if err != nil {
			return err
		}
	}
	return nil
}

// eofReader is an empty tar stream's reader: tar reports io.EOF at once.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// withContainer runs fn with a container that has volume at dataDir: the mirror's own
// when one uses it (stopped for fn and started again after, when stop is set and it
// runs), else a throwaway container made from image, never started, removed after.
func withContainer(ctx context.Context, api docker.API, image, volume string, stop bool, fn func(id string) error) error {
	mirrors, err := registry.Mirrors(ctx, api)
	if err != nil {
		return err
	}
	for _, m := range mirrors {
		if m.CacheVolume() != volume {
			continue
		}
		if !stop || m.State != "running" {
			return fn(m.ID)
		}
		if _, err := api.ContainerStop(ctx, m.ID, client.ContainerStopOptions{}); err != nil {
			return fmt.Errorf("stop mirror %s: %w", m.Name, err)
		}
		ferr := fn(m.ID)
		if _, err := api.ContainerStart(context.WithoutCancel(ctx), m.ID, client.ContainerStartOptions{}); err != nil && ferr == nil {
			ferr = fmt.Errorf("start mirror %s again: %w", m.Name, err)
		}
		return ferr
	}
	if err := docker.EnsureImage(ctx, api, image,
		"offline? load the registry image with `kdev cache import --images` or `make images`, and set images.registry"); err != nil {
		return err
	}
	res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: image, Labels: docker.Labels(docker.RoleMaintenance)},
		HostConfig: &container.HostConfig{
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: dataDir}},
		},
	})
	if err != nil {
		return fmt.Errorf("create a container to reach cache volume %s: %w", volume, err)
	}
	defer func() {
		_, _ = api.ContainerRemove(context.WithoutCancel(ctx), res.ID, client.ContainerRemoveOptions{Force: true})
	}()
	return fn(res.ID)
}
