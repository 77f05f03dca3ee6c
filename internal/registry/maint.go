package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// maintenance creates a container from image over volume, with a plain registry's
// configuration (which may delete), running cmd; publish exposes its API on 127.0.0.1.
// It is not started.
func maintenance(ctx context.Context, api docker.API, image, volume string, cmd []string, publish bool) (string, error) {
	if err := docker.EnsureImage(ctx, api, image,
		"offline? load the registry image with `kdev cache import` of an archive made with --images, or `make images`"); err != nil {
		return "", err
	}
	cfg, err := Marshal(LocalConfig())
	if err != nil {
		return "", err
	}
	opts := client.ContainerCreateOptions{
		Config: &container.Config{Image: image, Labels: docker.Labels(docker.RoleMaintenance), Cmd: cmd},
		HostConfig: &container.HostConfig{
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: dataDir}},
		},
	}
	if publish {
		p := network.MustParsePort(registryPort + "/tcp")
		opts.Config.ExposedPorts = network.PortSet{p: {}}
		opts.HostConfig.PortBindings = network.PortMap{p: {{HostIP: loopback}}}
	}
	res, err := api.ContainerCreate(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("create a container over cache volume %s: %w", volume, err)
	}
	tarball, err := configTar(cfg, nil)
	if err == nil {
		_, err = api.CopyToContainer(ctx, res.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: tarball})
	}
	if err != nil {
		_ = remove(context.WithoutCancel(ctx), api, res.ID)
		return "", fmt.Errorf("copy config into a container over %s: %w", volume, err)
	}
	return res.ID, nil
}

// ServeVolume starts a plain registry over a cache volume, which may delete what a
// mirror (a proxy) may not, and returns its URL on this machine and how to remove it.
// The volume's mirror must be stopped: two registries must not write one store.
func ServeVolume(ctx context.Context, api docker.API, image, volume string) (string, func(), error) {
	id, err := maintenance(ctx, api, image, volume, []string{"serve", configPath}, true)
	if err != nil {
		return "", nil, err
	}
	stop := func() { _ = remove(context.WithoutCancel(ctx), api, id) }
	if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		stop()
		return "", nil, fmt.Errorf("start a registry over %s: %w", volume, err)
	}
	obs, err := inspect(ctx, api, id)
	if err == nil && obs == nil {
		err = fmt.Errorf("it is gone")
	}
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("a registry over %s: %w", volume, err)
	}
	if ok, why := waitReady(ctx, api, obs); !ok {
		stop()
		return "", nil, fmt.Errorf("a registry over %s did not answer: %s", volume, why)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", obs.APIPort), stop, nil
}

// CollectGarbage runs distribution's own garbage-collect over a cache volume: it removes
// the blobs no manifest references. The volume's mirror must be stopped. It returns
// what the collector printed.
func CollectGarbage(ctx context.Context, api docker.API, image, volume string) (string, error) {
	id, err := maintenance(ctx, api, image, volume, []string{"garbage-collect", configPath}, false)
	if err != nil {
		return "", err
	}
	defer func() { _ = remove(context.WithoutCancel(ctx), api, id) }()
	if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return "", fmt.Errorf("start garbage-collect over %s: %w", volume, err)
	}
	for {
		res, err := api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return "", fmt.Errorf("garbage-collect over %s: %w", volume, err)
		}
		if st := res.Container.State; st != nil && !st.Running && st.Status != container.StateCreated {
			out := logs(ctx, api, id, "")
			if st.ExitCode != 0 {
				return out, fmt.Errorf("garbage-collect over %s exited %d: %s", volume, st.ExitCode, lastLines(strings.TrimSpace(out), 5))
			}
			return out, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
