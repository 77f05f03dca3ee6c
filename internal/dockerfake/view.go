package dockerfake

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// inspect renders c as the engine's inspect answer, copied so that a caller cannot
// change the fake's state through it.
func (f *Fake) inspect(c *ctr) container.InspectResponse {
	cfg := c.config
	cfg.Labels = maps.Clone(c.config.Labels)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Env, cfg.Cmd = slices.Clone(c.config.Env), slices.Clone(c.config.Cmd)
	host := c.host
	host.PortBindings = maps.Clone(c.host.PortBindings)
	host.Mounts = slices.Clone(c.host.Mounts)
	st := &container.State{Status: c.state, Running: c.state == stateRunning, ExitCode: c.exitCode,
		StartedAt: stamp(c.started), FinishedAt: stamp(c.finished)}
	if st.Running {
		st.Pid = 1000 + len(c.id)%100
	}
	path, args := "", []string(nil)
	if cmd := append(slices.Clone(cfg.Entrypoint), cfg.Cmd...); len(cmd) > 0 {
		path, args = cmd[0], cmd[1:]
	}
	return container.InspectResponse{
		ID: c.id, Created: c.created.Format(time.RFC3339Nano), Path: path, Args: args, State: st,
		Image: c.imageID, Name: "/" + c.name, Driver: "overlay2", Platform: "linux",
		HostConfig: &host, Config: &cfg, Mounts: f.mountPoints(c),
		NetworkSettings: &container.NetworkSettings{
			SandboxID: c.id[:12], Ports: c.portMap(), Networks: f.endpoints(c),
		},
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(time.RFC3339Nano)
}

// portMap is what inspect shows of ports: the published bindings while the container
// runs on a network, nothing otherwise.
func (c *ctr) portMap() network.PortMap {
	out := network.PortMap{}
	for p, b := range c.published {
		out[p] = slices.Clone(b)
	}
	return out
}

func (f *Fake) endpoints(c *ctr) map[string]*network.EndpointSettings {
	out := map[string]*network.EndpointSettings{}
	for name, ep := range c.networks {
		es := &network.EndpointSettings{NetworkID: ep.networkID, EndpointID: ep.id, Aliases: slices.Clone(ep.aliases),
			IPAddress: ep.ip, DNSNames: []string{c.name, c.id[:12]}}
		if n := f.networks[ep.networkID]; n != nil && n.subnet.IsValid() && ep.ip.IsValid() {
			es.Gateway, es.IPPrefixLen = n.subnet.Addr().Next(), n.subnet.Bits()
		}
		out[name] = es
	}
	return out
}

func (f *Fake) mountPoints(c *ctr) []container.MountPoint {
	var out []container.MountPoint
	for _, m := range c.mounts {
		out = append(out, container.MountPoint{Type: mount.TypeVolume, Name: m.volume,
			Source: "/var/lib/docker/volumes/" + m.volume + "/_data", Destination: m.dest,
			Driver: "local", RW: !m.readOnly})
	}
	return out
}

// summary renders c as one item of the engine's container list.
func (f *Fake) summary(c *ctr) container.Summary {
	s := container.Summary{
		ID: c.id, Names: []string{"/" + c.name}, Image: c.config.Image, ImageID: c.imageID,
		Created: c.created.Unix(), Labels: maps.Clone(c.config.Labels), State: c.state,
		Status: c.status(), Mounts: f.mountPoints(c),
		NetworkSettings: &container.NetworkSettingsSummary{Networks: f.endpoints(c)},
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.HostConfig.NetworkMode = string(c.host.NetworkMode)
	if s.HostConfig.NetworkMode == "" {
		s.HostConfig.NetworkMode = "bridge"
	}
	for p := range c.config.ExposedPorts {
		if _, ok := c.published[p]; !ok {
			s.Ports = append(s.Ports, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	for p, binds := range c.published {
		for _, b := range binds {
			hp, _ := strconv.Atoi(b.HostPort)
			s.Ports = append(s.Ports, container.PortSummary{IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(hp), Type: string(p.Proto())})
		}
	}
	slices.SortFunc(s.Ports, func(a, b container.PortSummary) int { return int(a.PrivatePort) - int(b.PrivatePort) })
	return s
}

func (c *ctr) status() string {
	switch c.state {
	case stateRunning:
		return "Up 1 second"
	case stateExited:
		return fmt.Sprintf("Exited (%d) 1 second ago", c.exitCode)
	default:
		return "Created"
	}
}

// loopback is where the fake listens for every published port, whatever address the
// container asked for: a test must not open ports on the LAN.
var loopback = netip.MustParseAddr("127.0.0.1")
