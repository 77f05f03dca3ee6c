package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/docker"
	kdevnet "github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

const envName = "kbench"

// upstream is a plain registry standing in for a public one, reached only through a link.
type upstream struct {
	registry string
	id       string
	hostAddr string // 127.0.0.1:port, where this machine reaches it
	link     *link
}

// startUpstream runs a registry on Docker's default bridge, away from the bench
// network, so that nodes and mirrors can reach it only through its shaped link.
func startUpstream(ctx context.Context, api docker.API, image, reg string) (*upstream, error) {
	port := network.MustParsePort("5000/tcp")
	res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       "kbench-upstream-" + strings.NewReplacer(".", "-", ":", "-").Replace(reg),
		Config:     &container.Config{Image: image, ExposedPorts: network.PortSet{port: {}}},
		HostConfig: &container.HostConfig{PortBindings: network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("create upstream for %s: %w", reg, err)
	}
	u := &upstream{registry: reg, id: res.ID}
	if _, err := api.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return u, err
	}
	ins, err := api.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		return u, err
	}
	u.hostAddr = "127.0.0.1:" + ins.Container.NetworkSettings.Ports[port][0].HostPort
	return u, waitHTTP("http://" + u.hostAddr + "/v2/")
}

func (u *upstream) remove(api docker.API) {
	_, _ = api.ContainerRemove(context.Background(), u.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
}

// bench holds what every run shares.
type bench struct {
	api       docker.API
	kdev      string
	dir       string
	nodeImage string
	regImage  string
	line      *line // the one imitated internet connection every link shares
	upstreams []*upstream
	images    []benchImage
	archive   []byte // the image set as an OCI layout tarball, for the floor
	// serialPulls makes each kubelet pull one image at a time: the kubelet's own
	// default, where kdev's is parallel.
	serialPulls bool
	log         func(format string, args ...any)
	// runner runs one sample of a scenario; nil is runOnce (tests replace it).
	runner func(ctx context.Context, sc scenario) (time.Duration, error)
	// cachesFull is whether a run of this harness left the mirrors' caches full.
	cachesFull bool
	// subnet and linkAddrs are chosen by the first openLinks and kept for every later
	// run: a mirror's identity includes its upstream URL, so a link that moved to
	// another address would make the next run's mirror a new one, with an empty cache.
	subnet    string
	linkAddrs map[string]string
}

// openLinks makes the bench network (kdev adopts it by its labels) and starts one
// shaped link per upstream on its gateway address, before any mirror starts and pings
// its upstream.
func (b *bench) openLinks(ctx context.Context) (map[string]string, error) {
	info, _, err := kdevnet.Ensure(ctx, b.api, envName, envName, b.subnet)
	if err != nil {
		return nil, err
	}
	b.subnet = info.Subnet.String()
	gw := info.Subnet.Addr().Next()
	if b.linkAddrs == nil {
		b.linkAddrs = map[string]string{}
	}
	urls := map[string]string{}
	for _, u := range b.upstreams {
		addr := b.linkAddrs[u.registry]
		if addr == "" {
			addr = gw.String() + ":0"
		}
		if u.link, err = newLink(addr, u.hostAddr, b.line); err != nil {
			return nil, fmt.Errorf("link for %s on %s: %w", u.registry, addr, err)
		}
		b.linkAddrs[u.registry] = u.link.Addr()
		urls[u.registry] = "http://" + u.link.Addr()
	}
	return urls, nil
}

func (b *bench) closeLinks() {
	for _, u := range b.upstreams {
		if u.link != nil {
			_ = u.link.Close()
			u.link = nil
		}
	}
}

// shape is the environment a run asks kdev for.
type shape struct {
	mirrors int // 0: none (direct, floor); the first four front one upstream each
	workers int
	canary  bool // give each mirror a canary, so that `kdev check` can prove it
}

// mirrorHosts names the bench's mirrors: one per upstream, then extra hosts (for the
// scaling runs) that fetch from the same upstreams in turn.
func (b *bench) mirrorHosts(n int) []string {
	var hs []string
	for i := range n {
		if i < len(b.upstreams) {
			hs = append(hs, b.upstreams[i].registry)
		} else {
			hs = append(hs, fmt.Sprintf("r%d.bench.test", i+1))
		}
	}
	return hs
}

// writeConfig writes kdev.yaml for the shape, with the mirrors fetching through urls.
func (b *bench) writeConfig(urls map[string]string, sh shape) error {
	var s strings.Builder
	fmt.Fprintf(&s, "apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nlocalRegistry:\n  enabled: false\nimages:\n  registry: %s\n  node: %s\ncluster:\n  workers: %d\n", envName, b.regImage, b.nodeImage, sh.workers)
	if b.serialPulls {
		s.WriteString("  parallelImagePulls: 1\n")
	}
	if sh.mirrors == 0 {
		s.WriteString("mirrors: []\n")
	} else {
		s.WriteString("mirrors:\n")
		for i, h := range b.mirrorHosts(sh.mirrors) {
			u := b.upstreams[i%len(b.upstreams)]
			fmt.Fprintf(&s, "  - registry: %s\n    remoteURL: %s\n", h, urls[u.registry])
			if sh.canary {
				fmt.Fprintf(&s, "    canary: %s/%s\n", h, canaryRepo)
			}
		}
	}
	return os.WriteFile(filepath.Join(b.dir, "kdev.yaml"), []byte(s.String()), 0o644)
}

// purge empties the bench's mirror caches. down --purge removes only the mirrors the
// config names, so it runs with a config that names them all, whatever the last
// scenario wrote (direct and floor name none).
func (b *bench) purge() error {
	urls := map[string]string{}
	for _, u := range b.upstreams {
		urls[u.registry] = "http://purge.invalid"
		if a := b.linkAddrs[u.registry]; a != "" {
			urls[u.registry] = "http://" + a
		}
	}
	if err := b.writeConfig(urls, shape{mirrors: maxMirrors}); err != nil {
		return err
	}
	if _, err := b.run("down", "--purge", "-q"); err != nil {
		return err
	}
	// Mirrors of the bench's own hosts that an earlier, interrupted run left with other
	// link addresses: they are the bench's, whatever their upstream.
	mirrors, err := registry.Mirrors(context.Background(), b.api)
	if err != nil {
		return err
	}
	hosts := b.mirrorHosts(maxMirrors)
	for _, o := range mirrors {
		if slices.Contains(hosts, o.Registry()) {
			if err := registry.Remove(context.Background(), b.api, o, o.CacheVolume(), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// run executes the kdev binary and returns how long it took.
func (b *bench) run(args ...string) (time.Duration, error) {
	cmd := exec.Command(b.kdev, append([]string{"-f", filepath.Join(b.dir, "kdev.yaml")}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(b.dir, "kubeconfig"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("kdev %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return time.Since(start), nil
}

// controlPlane returns the cluster's control-plane node.
func (b *bench) controlPlane(ctx context.Context) (cluster.Node, error) {
	obs, err := cluster.New(nil).Observe(ctx, b.api, envName)
	if err != nil || obs == nil {
		return nil, fmt.Errorf("observe cluster: %v", err)
	}
	return obs.ControlPlaneNode(), nil
}

// deployments renders one Deployment per image, ready once the program answers.
func deployments(imgs []benchImage) string {
	var s strings.Builder
	for i, im := range imgs {
		fmt.Fprintf(&s, `apiVersion: apps/v1
kind: Deployment
metadata: {name: app%d, labels: {app.kubernetes.io/part-of: kdev-bench}}
spec:
  replicas: 1
  selector: {matchLabels: {app: app%d}}
  template:
    metadata: {labels: {app: app%d}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - name: app
        image: %s
        imagePullPolicy: IfNotPresent
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
`, i+1, i+1, i+1, im.Ref())
	}
	return s.String()
}

// deployAndWait applies the Deployments and returns the time until all are Available.
func deployAndWait(ctx context.Context, cp cluster.Node, imgs []benchImage) (time.Duration, error) {
	start := time.Now()
	if out, err := cluster.Kubectl(ctx, cp, deployments(imgs), "apply", "-f", "-"); err != nil {
		return 0, fmt.Errorf("apply: %w\n%s", err, out)
	}
	if out, err := cluster.Kubectl(ctx, cp, "", "wait", "--for=condition=Available", "deployment", "-l", "app.kubernetes.io/part-of=kdev-bench", "--timeout=900s"); err != nil {
		return 0, fmt.Errorf("wait: %w\n%s", err, out)
	}
	return time.Since(start), nil
}

func waitHTTP(url string) error {
	hc := &http.Client{Timeout: time.Second}
	for range 100 {
		if resp, err := hc.Get(url); err == nil {
			return resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", url)
}
