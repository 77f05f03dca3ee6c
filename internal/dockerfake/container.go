package dockerfake

import (
	"context"
	"maps"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

const (
	stateCreated = container.StateCreated
	stateRunning = container.StateRunning
	stateExited  = container.StateExited
)

type ctr struct {
	id, name  string // name without Docker's leading slash
	imageID   string
	created   time.Time
	config    container.Config
	host      container.HostConfig
	registry  bool // its image is a registry image
	state     container.ContainerState
	exitCode  int
	started   time.Time
	finished  time.Time
	networks  map[string]*endpoint // by network name, as the engine keys them
	netOrder  []string             // the order they were attached in
	mounts    []mountPoint
	files     map[string][]byte
	logs      []byte
	published network.PortMap // host ports while running on a network
	servers   []*httptest.Server
}

type endpoint struct {
	networkID, id string
	ip            netip.Addr // set while the container runs
	aliases       []string
}

type mountPoint struct {
	volume, dest string
	anonymous    bool
	readOnly     bool
}

// findContainer resolves a container as the engine does: full ID, name (with or
// without its slash), then a unique ID prefix.
func (f *Fake) findContainer(ref string) (*ctr, error) {
	if c, ok := f.containers[ref]; ok {
		return c, nil
	}
	name := strings.TrimPrefix(ref, "/")
	var prefixed []*ctr
	for _, c := range f.containers {
		if c.name == name {
			return c, nil
		}
		if ref != "" && strings.HasPrefix(c.id, ref) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], nil
	}
	return nil, daemonErr(cerrdefs.ErrNotFound, "No such container: %s", ref)
}

// cname is the name of c for the log of calls, or the reference it was asked by.
func cname(c *ctr, ref string) string {
	if c == nil {
		return ref
	}
	return c.name
}

func (f *Fake) sortedContainers() []*ctr {
	list := make([]*ctr, 0, len(f.containers))
	for _, c := range f.containers {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
	return list
}

// ContainerCreate makes a container in state created. Its image must be on the engine
// (the client does not pull), its name free, and its networks must exist; a named
// volume it mounts is created, as the engine creates it, without labels.
func (f *Fake) ContainerCreate(ctx context.Context, opts client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "ContainerCreate", opts.Name); err != nil {
		return client.ContainerCreateResult{}, err
	}
	var cfg container.Config
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if opts.Image != "" {
		cfg.Image = opts.Image
	}
	if cfg.Image == "" {
		return client.ContainerCreateResult{}, cerrdefs.ErrInvalidArgument.WithMessage("config.Image or Image is required")
	}
	img := f.images[cfg.Image]
	if img == nil {
		return client.ContainerCreateResult{}, daemonErr(cerrdefs.ErrNotFound, "No such image: %s", cfg.Image)
	}
	name := opts.Name
	if name == "" {
		name = "fake_" + f.newID("name")[:8]
	}
	if c, err := f.findContainer(name); err == nil && c.name == name {
		return client.ContainerCreateResult{}, daemonErr(cerrdefs.ErrConflict,
			`Conflict. The container name "/%s" is already in use by container "%s". You have to remove (or rename) that container to be able to reuse that name.`, name, c.id)
	}
	c := &ctr{id: f.newID("container"), name: name, imageID: img.id, created: f.now(), config: cfg,
		registry: img.Registry, state: stateCreated, networks: map[string]*endpoint{}, files: maps.Clone(img.Files)}
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	c.config.Labels = maps.Clone(cfg.Labels)
	if opts.HostConfig != nil {
		c.host = *opts.HostConfig
	}
	if err := f.attachAtCreate(c, opts.NetworkingConfig); err != nil {
		return client.ContainerCreateResult{}, err
	}
	f.mountAtCreate(c, img)
	f.containers[c.id] = c
	return client.ContainerCreateResult{ID: c.id}, nil
}

func (f *Fake) attachAtCreate(c *ctr, nc *network.NetworkingConfig) error {
	var names []string
	if nc != nil {
		for n := range nc.EndpointsConfig {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	if len(names) == 0 {
		mode := string(c.host.NetworkMode)
		if mode == "" || mode == "default" {
			mode = "bridge"
		}
		names = []string{mode}
	}
	for _, ref := range names {
		n, err := f.findNetwork(ref)
		if err != nil {
			return err
		}
		ep := &endpoint{networkID: n.id, id: f.newID("endpoint")}
		if nc != nil && nc.EndpointsConfig[ref] != nil {
			ep.aliases = slices.Clone(nc.EndpointsConfig[ref].Aliases)
		}
		c.networks[n.name] = ep
		c.netOrder = append(c.netOrder, n.name)
	}
	return nil
}

// ContainerInspect returns a container as `docker inspect` shows it.
func (f *Fake) ContainerInspect(ctx context.Context, id string, _ client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, false, "ContainerInspect", cname(c, id)); err != nil {
		return client.ContainerInspectResult{}, err
	}
	if err != nil {
		return client.ContainerInspectResult{}, err
	}
	return client.ContainerInspectResult{Container: f.inspect(c)}, nil
}

// ContainerList lists running containers, or all of them; filters: label, name, id,
// status, network, volume, ancestor.
func (f *Fake) ContainerList(ctx context.Context, opts client.ContainerListOptions) (client.ContainerListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "ContainerList"); err != nil {
		return client.ContainerListResult{}, err
	}
	fl := opts.Filters
	if err := checkFilters(fl, "label", "name", "id", "status", "network", "volume", "ancestor"); err != nil {
		return client.ContainerListResult{}, err
	}
	var out client.ContainerListResult
	for _, c := range f.sortedContainers() {
		if !opts.All && c.state != stateRunning && len(fl["status"]) == 0 {
			continue
		}
		var vols []string
		for _, m := range c.mounts {
			vols = append(vols, m.volume, m.dest)
		}
		nets := slices.Clone(c.netOrder)
		for _, ep := range c.networks {
			nets = append(nets, ep.networkID)
		}
		if matchLabels(fl, c.config.Labels) && matchName(fl, c.name, "/"+c.name) && matchPrefix(fl, "id", c.id) &&
			matchExact(fl, "status", string(c.state)) && matchExact(fl, "network", nets...) &&
			matchExact(fl, "volume", vols...) && matchExact(fl, "ancestor", c.config.Image, c.imageID) {
			out.Items = append(out.Items, f.summary(c))
		}
	}
	return out, nil
}
