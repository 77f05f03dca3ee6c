package dockerfake

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

type vol struct {
	name      string
	labels    map[string]string
	created   time.Time
	anonymous bool
	size      int64
}

func (v *vol) volume() volume.Volume {
	l := maps.Clone(v.labels)
	if l == nil {
		l = map[string]string{}
	}
	return volume.Volume{Name: v.name, Driver: "local", Labels: l, Scope: "local", Options: map[string]string{},
		CreatedAt: v.created.Format(time.RFC3339), Mountpoint: "/var/lib/docker/volumes/" + v.name + "/_data"}
}

// volumeUsers returns the IDs of the containers, in any state, that mount the volume.
func (f *Fake) volumeUsers(name string) []string {
	var ids []string
	for _, c := range f.sortedContainers() {
		for _, m := range c.mounts {
			if m.volume == name {
				ids = append(ids, c.id)
				break
			}
		}
	}
	return ids
}

func (f *Fake) sortedVolumes() []*vol {
	list := make([]*vol, 0, len(f.volumes))
	for _, v := range f.volumes {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list
}

// VolumeList lists volumes; filters: label, name, dangling (mounted by no container).
func (f *Fake) VolumeList(ctx context.Context, opts client.VolumeListOptions) (client.VolumeListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "VolumeList"); err != nil {
		return client.VolumeListResult{}, err
	}
	if err := checkFilters(opts.Filters, "label", "name", "dangling", "driver"); err != nil {
		return client.VolumeListResult{}, err
	}
	dangling, byUse, err := boolFilter(opts.Filters, "dangling")
	if err != nil {
		return client.VolumeListResult{}, err
	}
	var out client.VolumeListResult
	for _, v := range f.sortedVolumes() {
		if byUse && dangling != (len(f.volumeUsers(v.name)) == 0) {
			continue
		}
		if matchLabels(opts.Filters, v.labels) && matchName(opts.Filters, v.name) && matchExact(opts.Filters, "driver", "local") {
			out.Items = append(out.Items, v.volume())
		}
	}
	return out, nil
}

// VolumeCreate makes a named volume; one that exists is returned as it is, labels
// unchanged, as the engine does.
func (f *Fake) VolumeCreate(ctx context.Context, opts client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "VolumeCreate", opts.Name); err != nil {
		return client.VolumeCreateResult{}, err
	}
	name, anonymous := opts.Name, opts.Name == ""
	if anonymous {
		name = f.newID("volume")
	}
	v := f.volumes[name]
	if v == nil {
		v = &vol{name: name, labels: maps.Clone(opts.Labels), created: f.now(), anonymous: anonymous}
		f.volumes[name] = v
	}
	return client.VolumeCreateResult{Volume: v.volume()}, nil
}

// VolumeRemove deletes a volume; the engine refuses one that a container mounts, even
// forced, and Force makes a missing one no error.
func (f *Fake) VolumeRemove(ctx context.Context, id string, opts client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "VolumeRemove", id); err != nil {
		return client.VolumeRemoveResult{}, err
	}
	if f.volumes[id] == nil {
		if opts.Force {
			return client.VolumeRemoveResult{}, nil
		}
		return client.VolumeRemoveResult{}, daemonErr(cerrdefs.ErrNotFound, "get %s: no such volume", id)
	}
	if users := f.volumeUsers(id); len(users) > 0 {
		return client.VolumeRemoveResult{}, daemonErr(cerrdefs.ErrConflict, "remove %s: volume is in use - %v", id, users)
	}
	delete(f.volumes, id)
	return client.VolumeRemoveResult{}, nil
}

// SetVolumeSize sets the size DiskUsage reports for a volume.
func (f *Fake) SetVolumeSize(name string, bytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.volumes[name]; v != nil {
		v.size = bytes
	}
}

// DiskUsage reports the volumes with their sizes (SetVolumeSize, else 0) and how many
// containers use each; containers and images are counted only.
func (f *Fake) DiskUsage(ctx context.Context, opts client.DiskUsageOptions) (client.DiskUsageResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "DiskUsage"); err != nil {
		return client.DiskUsageResult{}, err
	}
	all := !opts.Volumes && !opts.Containers && !opts.Images && !opts.BuildCache
	var du client.DiskUsageResult
	if all || opts.Volumes {
		for _, v := range f.sortedVolumes() {
			item := v.volume()
			users := int64(len(f.volumeUsers(v.name)))
			item.UsageData = &volume.UsageData{Size: v.size, RefCount: users}
			du.Volumes.Items = append(du.Volumes.Items, item)
			du.Volumes.TotalCount++
			du.Volumes.TotalSize += v.size
			if users > 0 {
				du.Volumes.ActiveCount++
			} else {
				du.Volumes.Reclaimable += v.size
			}
		}
	}
	if all || opts.Containers {
		du.Containers.TotalCount = int64(len(f.containers))
	}
	if all || opts.Images {
		du.Images.TotalCount = int64(len(f.images))
	}
	return du, nil
}

// mountAtCreate mounts the container's volumes, and an anonymous volume on every path
// the image declares VOLUME for that nothing else is mounted on.
func (f *Fake) mountAtCreate(c *ctr, img *image) {
	for _, m := range c.host.Mounts {
		if m.Type != mount.TypeVolume {
			continue
		}
		c.mounts = append(c.mounts, f.mountVolume(m.Source, m.Target, m.ReadOnly))
	}
	for _, b := range c.host.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 || strings.HasPrefix(parts[0], "/") {
			continue // a bind mount of a host path: nothing to model
		}
		ro := len(parts) > 2 && strings.Contains(parts[2], "ro")
		c.mounts = append(c.mounts, f.mountVolume(parts[0], parts[1], ro))
	}
	for _, dest := range img.Volumes {
		if !slices.ContainsFunc(c.mounts, func(m mountPoint) bool { return m.dest == dest }) {
			c.mounts = append(c.mounts, f.mountVolume("", dest, false))
		}
	}
}

func (f *Fake) mountVolume(name, dest string, ro bool) mountPoint {
	mp := mountPoint{volume: name, dest: dest, readOnly: ro}
	if name == "" {
		mp.volume, mp.anonymous = f.newID("volume"), true
	}
	if f.volumes[mp.volume] == nil {
		f.volumes[mp.volume] = &vol{name: mp.volume, created: f.now(), anonymous: mp.anonymous}
	}
	return mp
}
