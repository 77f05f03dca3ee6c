package dockerfake

import (
	"context"
	"net/netip"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// NetworkConnect attaches a container; a running one gets an address at once.
func (f *Fake) NetworkConnect(ctx context.Context, id string, opts client.NetworkConnectOptions) (client.NetworkConnectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, cerr := f.findContainer(opts.Container)
	n, nerr := f.findNetwork(id)
	if err := f.enter(ctx, true, "NetworkConnect", nameOr(n, id), cname(c, opts.Container)); err != nil {
		return client.NetworkConnectResult{}, err
	}
	if cerr != nil {
		return client.NetworkConnectResult{}, cerr
	}
	if nerr != nil {
		return client.NetworkConnectResult{}, nerr
	}
	if ep := c.networks[n.name]; ep != nil && ep.networkID == n.id {
		return client.NetworkConnectResult{}, daemonErr(cerrdefs.ErrPermissionDenied, "endpoint with name %s already exists in network %s", c.name, n.name)
	}
	ep := &endpoint{networkID: n.id, id: f.newID("endpoint")}
	if opts.EndpointConfig != nil {
		ep.aliases = opts.EndpointConfig.Aliases
	}
	c.networks[n.name] = ep
	c.netOrder = append(c.netOrder, n.name)
	if c.state == stateRunning {
		ep.ip = f.allocIP(n)
	}
	return client.NetworkConnectResult{}, nil
}

// NetworkDisconnect detaches a container. A running container left on no network
// loses its published ports, as it does on the engine: there is no endpoint to map them.
func (f *Fake) NetworkDisconnect(ctx context.Context, id string, opts client.NetworkDisconnectOptions) (client.NetworkDisconnectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, cerr := f.findContainer(opts.Container)
	n, nerr := f.findNetwork(id)
	if err := f.enter(ctx, true, "NetworkDisconnect", nameOr(n, id), cname(c, opts.Container)); err != nil {
		return client.NetworkDisconnectResult{}, err
	}
	if nerr != nil {
		return client.NetworkDisconnectResult{}, nerr
	}
	if cerr != nil {
		return client.NetworkDisconnectResult{}, cerr
	}
	return client.NetworkDisconnectResult{}, f.detach(c, n)
}

func (f *Fake) detach(c *ctr, n *netw) error {
	if ep := c.networks[n.name]; ep == nil || ep.networkID != n.id {
		return daemonErr(cerrdefs.ErrInvalidArgument, "container %s is not connected to network %s", c.id, n.name)
	}
	delete(c.networks, n.name)
	c.netOrder = deleteValue(c.netOrder, n.name)
	if c.state == stateRunning && len(c.networks) == 0 {
		c.unpublish()
	}
	return nil
}

// allocIP returns the lowest free address of n's subnet after its gateway.
func (f *Fake) allocIP(n *netw) netip.Addr {
	if !n.subnet.IsValid() {
		return netip.Addr{}
	}
	used := map[netip.Addr]bool{}
	for _, c := range f.containers {
		if ep := c.networks[n.name]; ep != nil && ep.networkID == n.id && ep.ip.IsValid() {
			used[ep.ip] = true
		}
	}
	for a := n.subnet.Addr().Next().Next(); n.subnet.Contains(a); a = a.Next() {
		if !used[a] {
			return a
		}
	}
	return netip.Addr{}
}

func nameOr(n *netw, ref string) string {
	if n == nil {
		return ref
	}
	return n.name
}

func deleteValue(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
