package dockerfake_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockerfake"
)

func newFake(t *testing.T) *dockerfake.Fake {
	t.Helper()
	f := dockerfake.New()
	t.Cleanup(f.Close)
	f.AddRegistryImage(registryImage)
	return f
}

// registrySpec is a container as kdev's registry package asks for one: API and debug
// ports published on 127.0.0.1, the API port at hostPort ("" for any).
func registrySpec(name, net, hostPort string, labels map[string]string) client.ContainerCreateOptions {
	api, dbg := network.MustParsePort("5000/tcp"), network.MustParsePort("5001/tcp")
	lo := netip.MustParseAddr("127.0.0.1")
	return client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: registryImage, Labels: labels, ExposedPorts: network.PortSet{api: {}, dbg: {}}},
		HostConfig: &container.HostConfig{PortBindings: network.PortMap{
			api: {{HostIP: lo, HostPort: hostPort}}, dbg: {{HostIP: lo}},
		}},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: {}}},
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestErrorKinds(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	_, err := f.ContainerInspect(ctx, "nope", client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such container: nope") {
		t.Errorf("inspect of a missing container: %v, want not-found", err)
	}
	if _, err := f.NetworkInspect(ctx, "nope", client.NetworkInspectOptions{}); !docker.IsNotFound(err) {
		t.Errorf("inspect of a missing network: %v, want not-found", err)
	}
	if _, err := f.VolumeRemove(ctx, "nope", client.VolumeRemoveOptions{}); !docker.IsNotFound(err) {
		t.Errorf("remove of a missing volume: %v, want not-found", err)
	}
	if _, err := f.ImageInspect(ctx, "absent:1"); !docker.IsNotFound(err) {
		t.Errorf("inspect of an absent image: %v, want not-found", err)
	}
	spec := registrySpec("a", "bridge", "", nil)
	must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, spec))
	if _, err := f.ContainerCreate(ctx, spec); !docker.IsConflict(err) || !strings.Contains(err.Error(), `"/a" is already in use`) {
		t.Errorf("second container named a: %v, want a conflict", err)
	}
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "n", client.NetworkCreateOptions{}))
	if _, err := f.NetworkCreate(ctx, "n", client.NetworkCreateOptions{}); !docker.IsConflict(err) {
		t.Errorf("second network named n: %v, want a conflict", err)
	}
	if _, err := f.ImagePull(ctx, "docker.io/library/busybox:1", client.ImagePullOptions{}); err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Errorf("pull offline: %v, want a lookup failure", err)
	}
	f.AllowPull("busybox:1", dockerfake.Image{})
	resp := must[client.ImagePullResponse](t)(f.ImagePull(ctx, "busybox:1", client.ImagePullOptions{}))
	if err := resp.Wait(ctx); err != nil || !f.HasImage("busybox:1") {
		t.Errorf("allowed pull: %v, image present %v", err, f.HasImage("busybox:1"))
	}
}

func TestFilters(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "kt", client.NetworkCreateOptions{Labels: docker.Labels(docker.RoleNetwork, docker.LabelEnv, "kt")}))
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "kt-other", client.NetworkCreateOptions{}))
	nets := must[client.NetworkListResult](t)(f.NetworkList(ctx, client.NetworkListOptions{Filters: docker.Filter(docker.RoleNetwork)}))
	if len(nets.Items) != 1 || nets.Items[0].Name != "kt" {
		t.Errorf("networks with kdev's labels: %v, want kt only", nets.Items)
	}
	// The engine matches names as regular expressions: "kt" finds both.
	nets = must[client.NetworkListResult](t)(f.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", "kt")}))
	if len(nets.Items) != 2 {
		t.Errorf("networks named like kt: %d, want 2", len(nets.Items))
	}
	if _, err := f.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("lable", "x")}); err == nil {
		t.Error("a misspelt filter was accepted")
	}

	m := must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, registrySpec("m", "kt", "", docker.Labels(docker.RoleMirror))))
	must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, registrySpec("other", "kt", "", map[string]string{"x": "y"})))
	mirrors := client.ContainerListOptions{All: true, Filters: docker.Filter(docker.RoleMirror)}
	if l := must[client.ContainerListResult](t)(f.ContainerList(ctx, mirrors)); len(l.Items) != 1 || l.Items[0].Names[0] != "/m" {
		t.Errorf("mirrors: %v, want m only", l.Items)
	}
	if l := must[client.ContainerListResult](t)(f.ContainerList(ctx, client.ContainerListOptions{})); len(l.Items) != 0 {
		t.Errorf("running containers before any start: %d", len(l.Items))
	}
	must[client.ContainerStartResult](t)(f.ContainerStart(ctx, m.ID, client.ContainerStartOptions{}))
	if l := must[client.ContainerListResult](t)(f.ContainerList(ctx, client.ContainerListOptions{})); len(l.Items) != 1 {
		t.Errorf("running containers: %d, want the started one", len(l.Items))
	}

	must[client.VolumeCreateResult](t)(f.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "used", Labels: docker.Labels(docker.RoleCache)}))
	must[client.VolumeCreateResult](t)(f.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "loose"}))
	spec := registrySpec("user", "kt", "", nil)
	spec.HostConfig.Binds = []string{"used:/var/lib/registry"}
	must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, spec))
	// Every registry container mounts a volume (its own or an anonymous one): only loose dangles.
	dangling := must[client.VolumeListResult](t)(f.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("dangling", "true")}))
	if len(dangling.Items) != 1 || dangling.Items[0].Name != "loose" {
		t.Errorf("dangling volumes: %v, want loose only", dangling.Items)
	}
	caches := must[client.VolumeListResult](t)(f.VolumeList(ctx, client.VolumeListOptions{Filters: docker.Filter(docker.RoleCache)}))
	if len(caches.Items) != 1 || caches.Items[0].Name != "used" {
		t.Errorf("caches: %v", caches.Items)
	}
	if _, err := f.VolumeRemove(ctx, "used", client.VolumeRemoveOptions{Force: true}); !docker.IsConflict(err) {
		t.Errorf("remove of a mounted volume: %v, want a conflict", err)
	}
}

func get(t *testing.T, port int, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRegistryServes(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	c := must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, registrySpec("m", "bridge", "", docker.Labels(docker.RoleMirror))))
	must[client.ContainerStartResult](t)(f.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}))
	ins := must[client.ContainerInspectResult](t)(f.ContainerInspect(ctx, "m", client.ContainerInspectOptions{}))
	api := ins.Container.NetworkSettings.Ports[network.MustParsePort("5000/tcp")]
	dbg := ins.Container.NetworkSettings.Ports[network.MustParsePort("5001/tcp")]
	if len(api) != 1 || len(dbg) != 1 || api[0].HostIP.String() != "127.0.0.1" {
		t.Fatalf("published ports: api %v debug %v", api, dbg)
	}
	apiPort, dbgPort := atoi(api[0].HostPort), atoi(dbg[0].HostPort)
	if code, body := get(t, apiPort, "/v2/"); code != 200 || body != "{}" {
		t.Errorf("GET /v2/: %d %q", code, body)
	}
	f.SetMetrics("m", dockerfake.Metrics{Requests: dockerfake.Counts{Blob: 3, Manifest: 2}, Hits: dockerfake.Counts{Blob: 1}})
	if code, body := get(t, dbgPort, "/metrics"); code != 200 || !strings.Contains(body, `registry_proxy_requests_total{type="blob"} 3`) {
		t.Errorf("GET /metrics: %d\n%s", code, body)
	}
	list := must[client.ContainerListResult](t)(f.ContainerList(ctx, client.ContainerListOptions{}))
	if !slices.ContainsFunc(list.Items[0].Ports, func(p container.PortSummary) bool { return p.PrivatePort == 5000 && int(p.PublicPort) == apiPort }) {
		t.Errorf("listed ports %v, want 5000 on %d", list.Items[0].Ports, apiPort)
	}
	if err := f.Stop("m"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, apiPort, "/v2/"); code != 0 {
		t.Errorf("a stopped registry answered %d", code)
	}
}

// kdev ensures mirrors from parallel goroutines; -race checks the fake's one lock.
func TestConcurrentUse(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("c%d", i)
			c, err := f.ContainerCreate(ctx, registrySpec(name, "bridge", "", docker.Labels(docker.RoleMirror)))
			if err == nil {
				_, err = f.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
			}
			if err == nil {
				_, err = f.ContainerList(ctx, client.ContainerListOptions{All: true})
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(f.ContainerNames()); n != 8 {
		t.Errorf("%d containers, want 8", n)
	}
}

func atoi(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}
