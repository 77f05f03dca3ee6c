package registry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// Mirrors returns every kdev mirror on this machine, whatever environment uses it.
func Mirrors(ctx context.Context, api docker.API) ([]*Observed, error) {
	list, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: docker.Filter(docker.RoleMirror)})
	if err != nil {
		return nil, fmt.Errorf("list mirrors: %w", err)
	}
	out := make([]*Observed, 0, len(list.Items))
	for _, c := range list.Items {
		out = append(out, fromSummary(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// fromSummary reads what kdev needs from the container list itself, so that listing
// the mirrors is one Docker call, not one more per mirror.
func fromSummary(c container.Summary) *Observed {
	o := &Observed{ID: c.ID, State: string(c.State), Image: c.Image, Labels: c.Labels, Created: time.Unix(c.Created, 0).UTC()}
	if len(c.Names) > 0 {
		o.Name = strings.TrimPrefix(c.Names[0], "/")
	}
	if c.NetworkSettings != nil {
		for n := range c.NetworkSettings.Networks {
			o.Networks = append(o.Networks, n)
		}
		sort.Strings(o.Networks)
	}
	for _, p := range c.Ports {
		switch strconv.Itoa(int(p.PrivatePort)) {
		case registryPort:
			o.APIPort = int(p.PublicPort)
		case debugPort:
			o.DebugPort = int(p.PublicPort)
		}
	}
	return o
}

// Local returns the environment's local registry container, or nil.
func Local(ctx context.Context, api docker.API, env string) (*Observed, error) {
	o, err := inspect(ctx, api, LocalName(env))
	if err != nil || o == nil || o.Labels[docker.LabelEnv] != env || o.Labels[docker.LabelRole] != docker.RoleRegistry {
		return nil, err
	}
	return o, nil
}

// Registry is the upstream host a mirror serves, from its label.
func (o *Observed) Registry() string { return o.Labels[docker.LabelRegistry] }

// CacheVolume is the volume a mirror's cache lives in: named by its key label, or, for a
// mirror made before mirrors had keys, by its registry alone (what kdev named it then).
func (o *Observed) CacheVolume() string {
	if k := o.Labels[docker.LabelKey]; k != "" {
		return cacheVolume(k)
	}
	return cacheVolume(Slug(o.Registry()))
}

// Remote is the URL a mirror fetches from, from its label.
func (o *Observed) Remote() string { return o.Labels[docker.LabelRemote] }

// Mode is a mirror's mode, from its label.
func (o *Observed) Mode() Mode { return Mode(o.Labels[docker.LabelMode]) }

// Detach disconnects a container from a network; a container already gone is no error.
// The disconnect is forced, which makes Docker publish the container's ports anew when
// the network was the one it was made on (their host ports change; kdev reads them
// from every inspect). A container left on no network is restarted when it is
// attached again (ensure), not here: a proxy whose upstream is unreachable would not
// start again (distribution issue 4038), and EnsureMirror is where that falls back to
// serving the cache.
func Detach(ctx context.Context, api docker.API, o *Observed, net string) error {
	if !slices.Contains(o.Networks, net) {
		return nil
	}
	_, err := api.NetworkDisconnect(ctx, net, client.NetworkDisconnectOptions{Container: o.ID, Force: true})
	// Docker's container list can lag a disconnect or restart that just happened: a
	// container already off the network is what was asked for.
	if docker.IsNotFound(err) || (err != nil && strings.Contains(err.Error(), "is not connected to network")) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("disconnect %s from network %q: %w", o.Name, net, err)
	}
	return nil
}

// Remove deletes a registry container and, with purge, its volume: the cache or the
// pushed images. Without purge the data stays for the next `up`.
func Remove(ctx context.Context, api docker.API, o *Observed, volume string, purge bool) error {
	if err := remove(ctx, api, o.ID); err != nil {
		return err
	}
	if !purge {
		return nil
	}
	return RemoveVolume(ctx, api, volume)
}

// RemoveVolume deletes a named volume; one already gone is no error. A container kdev
// cache left holding it (an export or a prune killed outright) is removed first.
func RemoveVolume(ctx context.Context, api docker.API, name string) error {
	left, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: docker.Filter(docker.RoleMaintenance)})
	if err != nil {
		return fmt.Errorf("list kdev cache's containers: %w", err)
	}
	for _, c := range left.Items {
		for _, m := range c.Mounts {
			if m.Name == name {
				if err := remove(ctx, api, c.ID); err != nil {
					return err
				}
			}
		}
	}
	if _, err := api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{}); err != nil && !docker.IsNotFound(err) {
		return fmt.Errorf("remove volume %q: %w", name, err)
	}
	return nil
}

// VolumeSizes returns the size in bytes of kdev's volumes, by name. Docker computes
// them; -1 means it did not say.
func VolumeSizes(ctx context.Context, api docker.API) (map[string]int64, error) {
	du, err := api.DiskUsage(ctx, client.DiskUsageOptions{Volumes: true, Verbose: true})
	if err != nil {
		return nil, fmt.Errorf("disk usage: %w", err)
	}
	sizes := map[string]int64{}
	for _, v := range du.Volumes.Items {
		if v.Labels[docker.LabelManaged] != "true" {
			continue
		}
		size := int64(-1)
		if v.UsageData != nil {
			size = v.UsageData.Size
		}
		sizes[v.Name] = size
	}
	return sizes, nil
}
