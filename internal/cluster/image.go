package cluster

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	"github.com/BurntSushi/toml"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

const containerdConfig = "/etc/containerd/config.toml"

// ContainerdConfigVersion reads the version of the node image's containerd config
// without running the image: it creates a container, copies the file out, removes it.
// The version decides which key sets config_path (see templates.ConfigPathPatch).
func ContainerdConfigVersion(ctx context.Context, api docker.API, image string) (int, error) {
	if err := docker.EnsureImage(ctx, api, image,
		"offline? build a node image with `make images` and set images.node in kdev.yaml (or --node-image)"); err != nil {
		return 0, err
	}
	res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: image, Labels: docker.Labels("inspect")},
	})
	if err != nil {
		return 0, fmt.Errorf("inspect node image %s: %w", image, err)
	}
	defer func() {
		_, _ = api.ContainerRemove(context.WithoutCancel(ctx), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}()
	cp, err := api.CopyFromContainer(ctx, res.ID, client.CopyFromContainerOptions{SourcePath: containerdConfig})
	if err != nil {
		return 0, fmt.Errorf("node image %s has no %s: is it a kind node image? %w", image, containerdConfig, err)
	}
	defer cp.Content.Close()
	tr := tar.NewReader(cp.Content)
	if _, err := tr.Next(); err != nil {
		return 0, fmt.Errorf("read %s from %s: %w", containerdConfig, image, err)
	}
	b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("read %s from %s: %w", containerdConfig, image, err)
	}
	v, err := parseConfigVersion(b)
	if err != nil {
		return 0, fmt.Errorf("node image %s: %w", image, err)
	}
	return v, nil
}

// parseConfigVersion returns a containerd config file's version; a file without one is
// version 1, which containerd 1.x and 2.x both read with the CRI plugin's key.
func parseConfigVersion(b []byte) (int, error) {
	var c struct {
		Version int `toml:"version"`
	}
	if _, err := toml.Decode(string(b), &c); err != nil {
		return 0, fmt.Errorf("%s is not valid TOML: %w", containerdConfig, err)
	}
	if c.Version == 0 {
		return 1, nil
	}
	return c.Version, nil
}
