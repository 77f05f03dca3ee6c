package dockerfake

import (
	"context"
	"maps"
	"net/netip"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

type netw struct {
	id, name, driver string
	created          time.Time
	subnet           netip.Prefix // invalid for host and none
	labels, options  map[string]string
	predefined       bool
}

func (f *Fake) addPredefined() {
	for _, p := range []struct{ name, driver, subnet string }{
		{"bridge", "bridge", "172.17.0.0/16"}, {"host", "host", ""}, {"none", "null", ""},
	} {
		n := &netw{id: f.newID("network"), name: p.name, driver: p.driver, created: f.now(), predefined: true}
		if p.subnet != "" {
			n.subnet = netip.MustParsePrefix(p.subnet)
		}
		f.networks[n.id] = n
	}
}

// findNetwork resolves a network as the engine does: full ID, then name, then a
// unique ID prefix.
func (f *Fake) findNetwork(ref string) (*netw, error) {
	if n, ok := f.networks[ref]; ok {
		return n, nil
	}
	var named, prefixed []*netw
	for _, n := range f.networks {
		if n.name == ref {
			named = append(named, n)
		}
		if strings.HasPrefix(n.id, ref) {
			prefixed = append(prefixed, n)
		}
	}
	for _, set := range [][]*netw{named, prefixed} {
		switch {
		case len(set) == 1:
			return set[0], nil
		case len(set) > 1:
			return nil, daemonErr(cerrdefs.ErrInvalidArgument, "network %s is ambiguous (%d matches found based on name)", ref, len(set))
		}
	}
	return nil, daemonErr(cerrdefs.ErrNotFound, "network %s not found", ref)
}

// NetworkList lists networks; filters: label, name (a regular expression), id, driver.
func (f *Fake) NetworkList(ctx context.Context, opts client.NetworkListOptions) (client.NetworkListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "NetworkList"); err != nil {
		return client.NetworkListResult{}, err
	}
	if err := checkFilters(opts.Filters, "label", "name", "id", "driver"); err != nil {
		return client.NetworkListResult{}, err
	}
	var out client.NetworkListResult
	for _, n := range f.sortedNetworks() {
		if matchLabels(opts.Filters, n.labels) && matchName(opts.Filters, n.name) &&
			matchPrefix(opts.Filters, "id", n.id) && matchExact(opts.Filters, "driver", n.driver) {
			out.Items = append(out.Items, network.Summary{Network: n.summary()})
		}
	}
	return out, nil
}

func (f *Fake) sortedNetworks() []*netw {
	list := make([]*netw, 0, len(f.networks))
	for _, n := range f.networks {
		list = append(list, n)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
	return list
}

func (n *netw) summary() network.Network {
	s := network.Network{Name: n.name, ID: n.id, Created: n.created, Scope: "local", Driver: n.driver,
		EnableIPv4: true, Labels: maps.Clone(n.labels), Options: maps.Clone(n.options),
		IPAM: network.IPAM{Driver: "default"}}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if n.subnet.IsValid() {
		s.IPAM.Config = []network.IPAMConfig{{Subnet: n.subnet, Gateway: n.subnet.Addr().Next()}}
	}
	return s
}

// NetworkInspect returns a network with its running containers, as the engine lists
// only containers with an active endpoint.
func (f *Fake) NetworkInspect(ctx context.Context, id string, _ client.NetworkInspectOptions) (client.NetworkInspectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "NetworkInspect", id); err != nil {
		return client.NetworkInspectResult{}, err
	}
	n, err := f.findNetwork(id)
	if err != nil {
		return client.NetworkInspectResult{}, err
	}
	ins := network.Inspect{Network: n.summary(), Containers: map[string]network.EndpointResource{}}
	for _, c := range f.containers {
		ep := c.networks[n.name]
		if c.state != stateRunning || ep == nil || ep.networkID != n.id {
			continue
		}
		r := network.EndpointResource{Name: c.name, EndpointID: ep.id}
		if ep.ip.IsValid() {
			r.IPv4Address = netip.PrefixFrom(ep.ip, n.subnet.Bits())
		}
		ins.Containers[c.id] = r
	}
	return client.NetworkInspectResult{Network: ins}, nil
}

// NetworkCreate makes a network; a subnet that overlaps another network's is refused
// as the engine refuses it, and so is a taken name unless AllowDuplicateNetworks.
func (f *Fake) NetworkCreate(ctx context.Context, name string, opts client.NetworkCreateOptions) (client.NetworkCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "NetworkCreate", name); err != nil {
		return client.NetworkCreateResult{}, err
	}
	if !f.AllowDuplicateNetworks {
		for _, n := range f.networks {
			if n.name == name {
				return client.NetworkCreateResult{}, daemonErr(cerrdefs.ErrConflict, "network with name %s already exists", name)
			}
		}
	}
	var subnet netip.Prefix
	if opts.IPAM != nil && len(opts.IPAM.Config) > 0 {
		subnet = opts.IPAM.Config[0].Subnet
		if !subnet.IsValid() || subnet.Masked() != subnet {
			return client.NetworkCreateResult{}, daemonErr(cerrdefs.ErrInvalidArgument, "invalid subnet %s", subnet)
		}
		if f.overlaps(subnet) {
			return client.NetworkCreateResult{}, daemonErr(cerrdefs.ErrPermissionDenied, "invalid pool request: Pool overlaps with other one on this address space")
		}
	} else {
		p, err := f.defaultPool()
		if err != nil {
			return client.NetworkCreateResult{}, err
		}
		subnet = p
	}
	driver := opts.Driver
	if driver == "" {
		driver = "bridge"
	}
	n := &netw{id: f.newID("network"), name: name, driver: driver, created: f.now(), subnet: subnet,
		labels: maps.Clone(opts.Labels), options: maps.Clone(opts.Options)}
	f.networks[n.id] = n
	return client.NetworkCreateResult{ID: n.id}, nil
}

func (f *Fake) overlaps(p netip.Prefix) bool {
	for _, n := range f.networks {
		if n.subnet.IsValid() && n.subnet.Overlaps(p) {
			return true
		}
	}
	return false
}

// defaultPool picks a subnet as the engine's default address pools do: the first free
// /16 from 172.17 to 172.31.
func (f *Fake) defaultPool() (netip.Prefix, error) {
	for b := byte(17); b <= 31; b++ {
		if p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, b, 0, 0}), 16); !f.overlaps(p) {
			return p, nil
		}
	}
	return netip.Prefix{}, daemonErr(cerrdefs.ErrPermissionDenied, "all predefined address pools have been fully subnetted")
}

// NetworkRemove deletes a network; the engine refuses while a running container is
// attached, and never removes a predefined one.
func (f *Fake) NetworkRemove(ctx context.Context, id string, _ client.NetworkRemoveOptions) (client.NetworkRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.findNetwork(id)
	name := id
	if err == nil {
		name = n.name
	}
	if err := f.enter(ctx, true, "NetworkRemove", name); err != nil {
		return client.NetworkRemoveResult{}, err
	}
	if err != nil {
		return client.NetworkRemoveResult{}, err
	}
	if n.predefined {
		return client.NetworkRemoveResult{}, daemonErr(cerrdefs.ErrPermissionDenied, "%s is a pre-defined network and cannot be removed", n.name)
	}
	for _, c := range f.sortedContainers() {
		if ep := c.networks[n.name]; ep != nil && ep.networkID == n.id && c.state == stateRunning {
			return client.NetworkRemoveResult{}, daemonErr(cerrdefs.ErrPermissionDenied,
				"error while removing network: network %s id %s has active endpoints (name:%q id:%q)", n.name, n.id, c.name, c.id[:12])
		}
	}
	delete(f.networks, n.id)
	return client.NetworkRemoveResult{}, nil
}
