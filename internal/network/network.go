package network

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
)

// Info is what kdev observed of an environment's network.
type Info struct {
	Name   string       `json:"name"`
	ID     string       `json:"id"`
	Subnet netip.Prefix `json:"subnet"`
	// Containers are the names of the containers attached to it.
	Containers []string `json:"containers,omitempty"`
}

// API is the part of Docker this package uses.
type API interface {
	NetworkList(ctx context.Context, opts client.NetworkListOptions) (client.NetworkListResult, error)
	NetworkInspect(ctx context.Context, id string, opts client.NetworkInspectOptions) (client.NetworkInspectResult, error)
	NetworkCreate(ctx context.Context, name string, opts client.NetworkCreateOptions) (client.NetworkCreateResult, error)
	NetworkRemove(ctx context.Context, id string, opts client.NetworkRemoveOptions) (client.NetworkRemoveResult, error)
}

// Find returns the named network, or nil when there is none. It does not check who owns it.
func Find(ctx context.Context, api API, name string) (*network.Inspect, error) {
	res, err := api.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if docker.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspect network %q: %w", name, err)
	}
	// Inspect also matches an ID prefix; only an exact name is ours.
	if res.Network.Name != name {
		return nil, nil
	}
	return &res.Network, nil
}

// Ensure makes the environment's network exist and returns it, and whether it was created.
// A same-named network that kdev did not create, or that another environment owns, is an
// error: reusing it would put the cluster next to strangers' containers.
func Ensure(ctx context.Context, api API, env, name, subnet string) (Info, bool, error) {
	nw, err := Find(ctx, api, name)
	if err != nil {
		return Info{}, false, err
	}
	if nw != nil {
		info, err := owned(nw, env)
		if err != nil {
			return Info{}, false, err
		}
		if subnet != "" && info.Subnet.String() != subnet {
			return Info{}, false, fmt.Errorf("network %q has subnet %s but kdev.yaml asks for %s: run `kdev down` first to re-create it", name, info.Subnet, subnet)
		}
		return info, false, nil
	}
	taken, err := takenPrefixes(ctx, api)
	if err != nil {
		return Info{}, false, err
	}
	if subnet != "" {
		p := netip.MustParsePrefix(subnet) // validated by config
		if t, ok := Overlap(p, taken); ok {
			return Info{}, false, &config.Error{Field: "network.subnet", Msg: fmt.Sprintf("%s overlaps %s, already used by a Docker network or a host route; choose another subnet or leave it empty to choose automatically", p, t)}
		}
		return create(ctx, api, env, name, p)
	}
	// A chosen subnet can be taken between the listing and the creation by someone
	// kdev's lock does not serialize (another tool, another machine's kdev on a remote
	// engine): Docker then refuses the overlap, and the next free one is tried.
	for try := 0; ; try++ {
		p, err := ChooseSubnet(taken)
		if err != nil {
			return Info{}, false, err
		}
		info, created, err := create(ctx, api, env, name, p)
		if err == nil || !isOverlap(err) || try == maxSubnetTries-1 {
			return info, created, err
		}
		taken = append(taken, p)
	}
}

// maxSubnetTries bounds the subnets tried when Docker refuses the chosen ones.
const maxSubnetTries = 8

// isOverlap reports Docker's refusal of a subnet that another network took.
func isOverlap(err error) bool {
	s := err.Error()
	return strings.Contains(s, "overlaps with other one") || strings.Contains(s, "Pool overlaps")
}

// create makes the network with subnet p. When a concurrent run created one of the same
// name first, that network is returned, if it is this environment's.
func create(ctx context.Context, api API, env, name string, p netip.Prefix) (Info, bool, error) {
	enableV4 := true
	res, err := api.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver:     "bridge",
		EnableIPv4: &enableV4,
		IPAM:       &network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: p}}},
		// kind sets the same option on its own network: node-to-node traffic
		// must not be masqueraded away from the bridge.
		Options: map[string]string{"com.docker.network.bridge.enable_ip_masquerade": "true"},
		Labels:  docker.Labels(docker.RoleNetwork, docker.LabelEnv, env),
	})
	if err != nil {
		if docker.IsConflict(err) {
			if nw, ferr := Find(ctx, api, name); ferr == nil && nw != nil {
				info, oerr := owned(nw, env)
				return info, false, oerr
			}
		}
		return Info{}, false, fmt.Errorf("create network %q (%s): %w", name, p, err)
	}
	return settle(ctx, api, env, Info{Name: name, ID: res.ID, Subnet: p})
}

// settle makes a racing creation end with one network. Engines before API 1.44
// (Docker 25) accept two networks of one name unless asked to check, and the client
// no longer can ask: of the networks named so, the oldest stays, and a run whose
// network is not the oldest removes its own and returns the oldest.
func settle(ctx context.Context, api API, env string, mine Info) (Info, bool, error) {
	list, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", mine.Name)})
	if err != nil {
		return Info{}, false, fmt.Errorf("list networks named %q: %w", mine.Name, err)
	}
	var same []network.Summary
	for _, n := range list.Items {
		if n.Name == mine.Name {
			same = append(same, n)
		}
	}
	if len(same) < 2 {
		return mine, true, nil
	}
	sort.Slice(same, func(i, j int) bool {
		if !same[i].Created.Equal(same[j].Created) {
			return same[i].Created.Before(same[j].Created)
		}
		return same[i].ID < same[j].ID
	})
	first := same[0]
	if first.ID == mine.ID {
		return mine, true, nil
	}
	if _, err := api.NetworkRemove(ctx, mine.ID, client.NetworkRemoveOptions{}); err != nil && !docker.IsNotFound(err) {
		return Info{}, false, fmt.Errorf("remove network %q (%s), made twice by runs at the same time: %w", mine.Name, mine.ID, err)
	}
	res, err := api.NetworkInspect(ctx, first.ID, client.NetworkInspectOptions{})
	if err != nil {
		return Info{}, false, fmt.Errorf("inspect network %q: %w", mine.Name, err)
	}
	info, err := owned(&res.Network, env)
	return info, false, err
}

// Inspect returns the environment's network, or nil when it does not exist.
func Inspect(ctx context.Context, api API, env, name string) (*Info, error) {
	nw, err := Find(ctx, api, name)
	if err != nil || nw == nil {
		return nil, err
	}
	info, err := owned(nw, env)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// Remove deletes the environment's network if it is there and kdev's. Containers still
// attached make Docker refuse; callers detach them first.
func Remove(ctx context.Context, api API, env, name string) (bool, error) {
	nw, err := Find(ctx, api, name)
	if err != nil || nw == nil {
		return false, err
	}
	if _, err := owned(nw, env); err != nil {
		return false, err
	}
	if len(nw.Containers) > 0 {
		var names []string
		for _, c := range nw.Containers {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		return false, fmt.Errorf("network %q is still used by %s, which kdev did not start: run `docker network disconnect %s <container>` for each (or remove them), then kdev down again",
			name, strings.Join(names, ", "), name)
	}
	if _, err := api.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{}); err != nil && !docker.IsNotFound(err) {
		return false, fmt.Errorf("remove network %q: %w", name, err)
	}
	return true, nil
}

func owned(nw *network.Inspect, env string) (Info, error) {
	l := nw.Labels
	if l[docker.LabelManaged] != "true" || l[docker.LabelRole] != docker.RoleNetwork {
		return Info{}, fmt.Errorf("a Docker network named %q exists and kdev did not create it: set network.name in kdev.yaml to another name, or remove it with `docker network rm %s` if it is unused", nw.Name, nw.Name)
	}
	if l[docker.LabelEnv] != env {
		return Info{}, fmt.Errorf("network %q belongs to kdev environment %q, not %q: set network.name to another name", nw.Name, l[docker.LabelEnv], env)
	}
	info := Info{Name: nw.Name, ID: nw.ID}
	if len(nw.IPAM.Config) > 0 {
		info.Subnet = nw.IPAM.Config[0].Subnet
	}
	for _, c := range nw.Containers {
		info.Containers = append(info.Containers, c.Name)
	}
	sort.Strings(info.Containers)
	return info, nil
}

// takenPrefixes lists the IPv4 subnets of every Docker network and every host route.
func takenPrefixes(ctx context.Context, api API) ([]netip.Prefix, error) {
	res, err := api.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var taken []netip.Prefix
	for _, n := range res.Items {
		for _, c := range n.IPAM.Config {
			if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
				taken = append(taken, c.Subnet)
			}
		}
	}
	return append(taken, HostRoutes()...), nil
}
