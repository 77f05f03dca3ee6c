// Package dockertest gives integration tests a real Docker engine, unique names, and
// throwaway registries, and removes what a test made even when the test fails.
package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// RegistryImageEnv names the registry image the tests run: `make images` builds one.
const RegistryImageEnv = "KDEV_TEST_REGISTRY_IMAGE"

// unavailable skips the test outside CI, and fails it in CI, where a missing
// prerequisite is a broken pipeline rather than a reason to test less.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// Connect returns a client of the real engine, or skips (fails in CI) without one.
func Connect(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: needs a Docker engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := docker.Connect(ctx)
	if err != nil {
		unavailable(t, "no Docker engine: "+err.Error())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// RegistryImage returns the registry image to test with, from KDEV_TEST_REGISTRY_IMAGE.
func RegistryImage(t *testing.T, api docker.API) string {
	t.Helper()
	ref := os.Getenv(RegistryImageEnv)
	if ref == "" {
		unavailable(t, RegistryImageEnv+" is not set: run `make images` and export it (make test does both)")
	}
	if _, err := api.ImageInspect(context.Background(), ref); err != nil {
		unavailable(t, "registry image "+ref+" is not on this machine: run `make images`")
	}
	return ref
}

// Name returns a name unique to this run, so that parallel or leftover runs never clash.
func Name(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Registry is a plain registry container started for a test.
type Registry struct {
	ID   string
	Name string
	// URL is how this machine reaches it: http://127.0.0.1:port.
	URL string
	// InNetwork is how containers on its network reach it: http://name:5000.
	InNetwork string
}

// StartRegistry runs a plain (non-proxy) registry named name on network net, published
// on 127.0.0.1, and removes it when the test ends.
func StartRegistry(t *testing.T, api docker.API, image, name, net string) *Registry {
	t.Helper()
	return StartRegistryOn(t, api, image, name, net, "")
}

// StartRegistryOn is StartRegistry with its storage in a named volume (none when "").
func StartRegistryOn(t *testing.T, api docker.API, image, name, net, volume string) *Registry {
	t.Helper()
	return StartRegistryAt(t, api, image, name, net, volume, netip.MustParseAddr("127.0.0.1"))
}

// StartRegistryAt is StartRegistryOn with its port published on hostIP: Docker's bridge
// gateway makes it reachable from containers on any network, as an internet host is.
func StartRegistryAt(t *testing.T, api docker.API, image, name, net, volume string, hostIP netip.Addr) *Registry {
	t.Helper()
	ctx := context.Background()
	port := network.MustParsePort("5000/tcp")
	var mounts []mount.Mount
	if volume != "" {
		mounts = []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: "/var/lib/registry"}}
	}
	res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: image, ExposedPorts: network.PortSet{port: {}}},
		HostConfig: &container.HostConfig{
			PortBindings: network.PortMap{port: {{HostIP: hostIP}}},
			Mounts:       mounts,
		},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: {}}},
	})
	if err != nil {
		t.Fatalf("create registry %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = api.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	})
	if _, err := api.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start registry %s: %v", name, err)
	}
	ins, err := api.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hp := ins.Container.NetworkSettings.Ports[port][0].HostPort
	r := &Registry{ID: res.ID, Name: name, URL: "http://" + hostIP.String() + ":" + hp, InNetwork: "http://" + name + ":5000"}
	WaitHTTP(t, r.URL+"/v2/")
	return r
}

// WaitHTTP waits until url answers with any HTTP status.
func WaitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t *testing.T) int {
	t.Helper()
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, _ := strconv.Atoi(portOf(l.Addr().String()))
	return p
}
