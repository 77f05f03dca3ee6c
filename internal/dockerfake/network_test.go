package dockerfake_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	kdevnet "github.com/kdev-dev/kdev/internal/network"
)

func TestSubnets(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	p := netip.MustParsePrefix("172.30.0.0/24")
	ipam := func(p netip.Prefix) *network.IPAM { return &network.IPAM{Config: []network.IPAMConfig{{Subnet: p}}} }
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "a", client.NetworkCreateOptions{IPAM: ipam(p)}))
	_, err := f.NetworkCreate(ctx, "b", client.NetworkCreateOptions{IPAM: ipam(netip.MustParsePrefix("172.30.0.0/16"))})
	if err == nil || !strings.Contains(err.Error(), "Pool overlaps with other one on this address space") {
		t.Fatalf("overlapping subnet: %v, want Docker's refusal", err)
	}

	// kdev's own Ensure, racing another tool for the subnet it chose: the engine refuses
	// the first choice, and the next one is taken.
	f.FailOn("NetworkCreate", "kt", fmt.Errorf("%w", err))
	info, created, err := kdevnet.Ensure(ctx, f, "kt", "kt", "")
	if err != nil || !created {
		t.Fatalf("Ensure after a refused subnet: %v (created %v)", err, created)
	}
	if n := strings.Count(strings.Join(f.Calls(), "\n"), "NetworkCreate kt"); n != 2 {
		t.Errorf("NetworkCreate kt called %d times, want 2: %v", n, f.Calls())
	}
	again, created, err := kdevnet.Ensure(ctx, f, "kt", "kt", "")
	if err != nil || created || again.Subnet != info.Subnet {
		t.Errorf("second Ensure: %+v created %v err %v, want %s found", again, created, err, info.Subnet)
	}
}

// An engine before API 1.44 accepts a second network of one name; kdev's settle keeps
// the oldest. The race is staged by hiding the first network from Find.
func TestDuplicateNetworksSettle(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	f.AllowDuplicateNetworks = true
	first, _, err := kdevnet.Ensure(ctx, f, "kt", "kt", "")
	if err != nil {
		t.Fatal(err)
	}
	_, notFound := f.NetworkInspect(ctx, "absent", client.NetworkInspectOptions{})
	f.FailOn("NetworkInspect", "kt", notFound)
	got, created, err := kdevnet.Ensure(ctx, f, "kt", "kt", "")
	if err != nil || created || got.ID != first.ID {
		t.Fatalf("racing Ensure: %+v created %v err %v, want the first network %s", got, created, err, first.ID)
	}
	if n := len(slices.DeleteFunc(f.NetworkNames(), func(s string) bool { return s != "kt" })); n != 1 {
		t.Errorf("networks after settle: %v, want one kt", f.NetworkNames())
	}
}

func TestNetworkRemoveRefusedWhileRunning(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "kt", client.NetworkCreateOptions{}))
	c := must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, registrySpec("m", "kt", "", nil)))
	must[client.ContainerStartResult](t)(f.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}))
	ins := must[client.NetworkInspectResult](t)(f.NetworkInspect(ctx, "kt", client.NetworkInspectOptions{}))
	if ep, ok := ins.Network.Containers[c.ID]; !ok || ep.Name != "m" || !ins.Network.IPAM.Config[0].Subnet.Contains(ep.IPv4Address.Addr()) {
		t.Fatalf("network's containers: %+v, want m with an address in the subnet", ins.Network.Containers)
	}
	if _, err := f.NetworkRemove(ctx, "kt", client.NetworkRemoveOptions{}); err == nil || !strings.Contains(err.Error(), "active endpoints") {
		t.Fatalf("remove with a running container attached: %v, want a refusal", err)
	}
	if err := f.Stop("m"); err != nil {
		t.Fatal(err)
	}
	must[client.NetworkRemoveResult](t)(f.NetworkRemove(ctx, "kt", client.NetworkRemoveOptions{}))
	if _, err := f.ContainerStart(ctx, "m", client.ContainerStartOptions{}); !docker.IsNotFound(err) {
		t.Errorf("start on a removed network: %v, want not-found", err)
	}
}
