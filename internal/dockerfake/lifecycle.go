package dockerfake

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// Run is what a started container does.
type Run struct {
	// Exit ends it at once with ExitCode, as a process that fails at start does; a
	// container that does not exit runs until it is stopped or removed.
	Exit     bool
	ExitCode int
	// Logs is what it prints; it is added to what earlier runs printed.
	Logs string
	// Silent keeps a registry container from answering on its published ports, as a
	// mirror stuck pinging an upstream that drops packets: the engine's proxy accepts
	// connections and closes them.
	Silent bool
}

// ContainerStart starts a created or exited container; starting a running one does
// nothing, as the engine answers it with 304 Not Modified.
func (f *Fake) ContainerStart(ctx context.Context, id string, _ client.ContainerStartOptions) (client.ContainerStartResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, true, "ContainerStart", cname(c, id)); err != nil {
		return client.ContainerStartResult{}, err
	}
	if err != nil {
		return client.ContainerStartResult{}, err
	}
	return client.ContainerStartResult{}, f.start(c)
}

// ContainerRestart stops a running container and starts it again; it starts one that
// is not running.
func (f *Fake) ContainerRestart(ctx context.Context, id string, _ client.ContainerRestartOptions) (client.ContainerRestartResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, true, "ContainerRestart", cname(c, id)); err != nil {
		return client.ContainerRestartResult{}, err
	}
	if err != nil {
		return client.ContainerRestartResult{}, err
	}
	if c.state == stateRunning {
		f.stop(c, 0)
	}
	return client.ContainerRestartResult{}, f.start(c)
}

// ContainerRemove deletes a container; a running one only with Force. RemoveVolumes
// also deletes its anonymous volumes, never the named ones.
func (f *Fake) ContainerRemove(ctx context.Context, id string, opts client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, true, "ContainerRemove", cname(c, id)); err != nil {
		return client.ContainerRemoveResult{}, err
	}
	if err != nil {
		return client.ContainerRemoveResult{}, err
	}
	if c.state == stateRunning && !opts.Force {
		return client.ContainerRemoveResult{}, daemonErr(cerrdefs.ErrConflict,
			`cannot remove container "/%s": container is running: stop the container before removing or force remove`, c.name)
	}
	f.removeContainer(c, opts.RemoveVolumes)
	return client.ContainerRemoveResult{}, nil
}

func (f *Fake) removeContainer(c *ctr, anonymousVolumes bool) {
	if c.state == stateRunning {
		f.stop(c, 137)
	}
	delete(f.containers, c.id)
	if !anonymousVolumes {
		return
	}
	for _, m := range c.mounts {
		if m.anonymous && len(f.volumeUsers(m.volume)) == 0 {
			delete(f.volumes, m.volume)
		}
	}
}

// start runs c: its networks must still exist; it gets an address on each and its
// ports published; then it does what OnStart (or the default) says.
func (f *Fake) start(c *ctr) error {
	if c.state == stateRunning {
		return nil
	}
	for _, name := range c.netOrder {
		ep := c.networks[name]
		if n := f.networks[ep.networkID]; n == nil {
			return daemonErr(cerrdefs.ErrNotFound, "failed to set up container networking: network %s not found", name)
		}
	}
	run := f.behaviour(c)
	if len(c.networks) > 0 {
		if err := c.publish(isRegistry(c) && !run.Silent, f.metricsOf(c.name)); err != nil {
			return daemonErr(cerrdefs.ErrUnknown, "failed to set up container networking: driver failed programming external connectivity on endpoint %s (%s): %v", c.name, c.id[:12], err)
		}
	}
	for _, name := range c.netOrder {
		c.networks[name].ip = f.allocIP(f.networks[c.networks[name].networkID])
	}
	c.state, c.exitCode, c.started = stateRunning, 0, f.now()
	c.logs = append(c.logs, run.Logs...)
	if run.Exit {
		f.stop(c, run.ExitCode)
	}
	return nil
}

// stop ends c's process: its ports close and its addresses are released.
func (f *Fake) stop(c *ctr, code int) {
	c.unpublish()
	for _, ep := range c.networks {
		ep.ip = netip.Addr{}
	}
	c.state, c.exitCode, c.finished = stateExited, code, f.now()
}

// behaviour is what c does when it starts: OnStart's answer, else a registry serves
// unless it is a proxy whose upstream SetUpstreamDown took away, and anything else runs.
func (f *Fake) behaviour(c *ctr) Run {
	if f.OnStart != nil {
		return f.OnStart(f.view(c))
	}
	if !isRegistry(c) {
		return Run{}
	}
	l := c.config.Labels
	if remote := l[docker.LabelRemote]; f.down[remote] && l[docker.LabelMode] != "cache-only" {
		return Run{Exit: true, ExitCode: 2, Logs: fmt.Sprintf(
			"time=%q level=info msg=\"redis not configured\" service=registry\n"+
				"panic: Get \"%s/v2/\": dial tcp: lookup upstream on 127.0.0.11:53: no such host\n\n"+
				"goroutine 1 [running]:\nmain.main()\n", stamp(f.clock), remote)}
	}
	return Run{Logs: fmt.Sprintf("time=%q level=info msg=\"listening on [::]:%d\" service=registry version=v3.0.0\n", stamp(f.clock), apiPort)}
}

// isRegistry says whether c serves the registry API: its image is a registry image,
// or kdev labelled it as one of its registries.
func isRegistry(c *ctr) bool {
	switch c.config.Labels[docker.LabelRole] {
	case docker.RoleMirror, docker.RoleRegistry, "probe":
		return true
	}
	return c.registry
}

// view is the test's copy of c.
func (f *Fake) view(c *ctr) Container {
	v := Container{ID: c.id, Name: c.name, Image: c.config.Image, Labels: maps.Clone(c.config.Labels),
		State: string(c.state), ExitCode: c.exitCode, Networks: slices.Clone(c.netOrder),
		Env: slices.Clone(c.config.Env), Cmd: slices.Clone(c.config.Cmd), Files: maps.Clone(c.files),
		Logs: string(c.logs), Ports: map[string]int{}}
	for _, m := range c.mounts {
		v.Volumes = append(v.Volumes, m.volume)
	}
	for p, binds := range c.published {
		for _, b := range binds {
			v.Ports[p.String()] = atoi(b.HostPort)
		}
	}
	return v
}

// ContainerStop stops a running container (exit code 0, as after a graceful SIGTERM);
// a container that is not running is left as it is.
func (f *Fake) ContainerStop(ctx context.Context, id string, _ client.ContainerStopOptions) (client.ContainerStopResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, true, "ContainerStop", cname(c, id)); err != nil {
		return client.ContainerStopResult{}, err
	}
	if err != nil {
		return client.ContainerStopResult{}, err
	}
	if c.state == stateRunning {
		f.stop(c, 0)
	}
	return client.ContainerStopResult{}, nil
}
