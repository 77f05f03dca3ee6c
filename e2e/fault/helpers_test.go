//go:build e2e

// Package fault is kdev's fault suite: the built binary, driven as Makefiles and CI
// drive it, meets real signals, concurrent runs, a restarting Docker engine and hostile
// files, on a real Kind cluster. After each fault it asserts that nothing was lost and
// nothing was left: the cluster and caches are there, no container is half-made, no
// volume is orphaned, and the next run succeeds. It restarts Docker, so `make test`
// does not run it; `make fault` and CI do.
package fault

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// Variables `make fault` sets: the binary under test and the images it runs.
const (
	binEnv       = "KDEV_BIN"
	nodeImageEnv = "KDEV_E2E_NODE_IMAGE"
)

// env is one kdev environment made for a test: its network, a stand-in upstream for
// docker.io holding a canary image, and its kdev.yaml. Its cleanup runs `kdev down
// --purge` and asserts that nothing of the environment is left.
type env struct {
	t         *testing.T
	api       *client.Client
	name      string
	dir       string
	file      string
	bin       string
	nodeImage string
	regImage  string
	upstream  *dockertest.Registry
}

// newEnv makes an environment's kdev.yaml. With an upstream, it also makes the
// environment's network (so that the upstream sits on it under a name the mirror
// resolves) and a docker.io mirror of it with a canary; without, the environment has
// no mirror and no local registry, and kdev makes its network.
func newEnv(t *testing.T, prefix string, withUpstream bool) *env {
	t.Helper()
	api := dockertest.Connect(t)
	e := &env{t: t, api: api, name: dockertest.Name(prefix), dir: t.TempDir(), bin: os.Getenv(binEnv), nodeImage: os.Getenv(nodeImageEnv)}
	if e.bin == "" || e.nodeImage == "" {
		t.Fatalf("%s and %s must be set: run `make fault`", binEnv, nodeImageEnv)
	}
	e.regImage = dockertest.RegistryImage(t, api)
	e.file = filepath.Join(e.dir, "kdev.yaml")
	dangling := danglingVolumes(t, api)
	t.Cleanup(func() {
		e.t = t
		if code, _, errb := e.kdev(context.Background(), "down", "--purge"); code != 0 {
			t.Errorf("cleanup: kdev down --purge: exit %d\n%s", code, errb)
		}
		e.assertGone()
		if after := danglingVolumes(t, api); after > dangling {
			t.Errorf("%d volumes belong to no container after the test, %d before: a node's volume was orphaned", after, dangling)
		}
	})
	yaml := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nmirrors: []\nlocalRegistry:\n  enabled: false\n", e.name)
	if withUpstream {
		yaml = e.startUpstream()
	}
	if err := os.WriteFile(e.file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// startUpstream starts the stand-in docker.io with a canary image, and returns the
// kdev.yaml that mirrors it.
func (e *env) startUpstream() string {
	t := e.t
	if _, _, err := network.Ensure(context.Background(), e.api, e.name, e.name, ""); err != nil {
		t.Fatal(err)
	}
	e.upstream = dockertest.StartRegistry(t, e.api, e.regImage, e.name+"-up", e.name)
	hello, err := registrytest.BuildStatic("../testdata/hello", runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	img, err := registrytest.NewAppImage(map[string][]byte{"hello": hello}, []string{"/hello"}, runtime.GOARCH, "canary:"+e.name)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(e.upstream.URL, "library/kdev-canary", "v1", img); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`apiVersion: kdev.dev/v1alpha1
kind: Environment
name: %s
localRegistry:
  port: %d
mirrors:
  - registry: docker.io
    remoteURL: %s
    canary: docker.io/library/kdev-canary:v1
`, e.name, dockertest.FreePort(t), e.upstream.InNetwork)
}

// subnet is the subnet of the environment's network.
func (e *env) subnet() string {
	e.t.Helper()
	nw, err := network.Find(context.Background(), e.api, e.name)
	if err != nil || nw == nil {
		e.t.Fatalf("network %s: %v", e.name, err)
	}
	var s []string
	for _, c := range nw.IPAM.Config {
		s = append(s, c.Subnet.String())
	}
	return strings.Join(s, ",")
}

// kdevObjects counts the containers, networks and volumes kdev manages, all
// environments together.
func (e *env) kdevObjects() string {
	e.t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", docker.LabelManaged+"=true")
	cs, err := e.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		e.t.Fatal(err)
	}
	ns, err := e.api.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		e.t.Fatal(err)
	}
	vs, err := e.api.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("%d containers, %d networks, %d volumes", len(cs.Items), len(ns.Items), len(vs.Items))
}

// command is the kdev binary run on this environment, as a Makefile runs it.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"-f", e.file, "--node-image", e.nodeImage, "--registry-image", e.regImage}, args...)
	cmd := exec.CommandContext(ctx, e.bin, full...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(e.dir, "kubeconfig"))
	// A hung kdev is killed, so that the test fails rather than hangs.
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	return cmd
}

// kdev runs the binary to its end and returns its exit code, stdout and stderr.
func (e *env) kdev(ctx context.Context, args ...string) (int, string, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := e.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitCode(e.t, cmd.Run())
	e.t.Logf("kdev %s → exit %d\n%s", strings.Join(args, " "), code, errb.String())
	return code, out.String(), errb.String()
}

// interrupt runs the binary with -v and sends it SIGINT, as Ctrl-C does, after the
// first line of its stderr that contains trigger, and delay more. It returns the exit
// code and stderr; it fails the test when the trigger never shows.
func (e *env) interrupt(trigger string, delay time.Duration, args ...string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := e.command(ctx, append(args, "-v")...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	var errb bytes.Buffer
	var mu sync.Mutex
	seen := make(chan struct{})
	var once sync.Once
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			mu.Lock()
			errb.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), trigger) {
				once.Do(func() { close(seen) })
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	sent := false
	select {
	case <-seen:
		time.Sleep(delay)
		sent = cmd.Process.Signal(syscall.SIGINT) == nil
	case <-scanned:
	}
	<-scanned
	code := exitCode(e.t, cmd.Wait())
	mu.Lock()
	out := errb.String()
	mu.Unlock()
	e.t.Logf("kdev %s, SIGINT after %q + %s → exit %d\n%s", strings.Join(args, " "), trigger, delay, code, out)
	if !sent {
		e.t.Fatalf("kdev %s ended before printing %q: the fault was not injected", strings.Join(args, " "), trigger)
	}
	return code, out
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("run kdev: %v", err)
	return -1
}

// assertClean fails on anything half-made: a node container that is not running, a
// kdev container of the environment that is not running.
func (e *env) assertClean(when string) {
	e.t.Helper()
	for _, c := range e.containers("io.x-k8s.kind.cluster=" + e.name) {
		if c.State != "running" {
			e.t.Errorf("%s: node container %s left %s", when, c.Names[0], c.State)
		}
	}
	for _, c := range e.containers("dev.kdev.env=" + e.name) {
		if c.State != "running" {
			e.t.Errorf("%s: container %s left %s", when, c.Names[0], c.State)
		}
	}
	if e.upstream != nil {
		name := registry.MirrorName(mirrorConfig(e.upstream.InNetwork))
		res, err := e.api.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
		if err == nil && (res.Container.State == nil || !res.Container.State.Running) {
			e.t.Errorf("%s: mirror %s left %v", when, name, res.Container.State.Status)
		}
	}
}

// assertGone fails on any container, network or volume of the environment.
func (e *env) assertGone() {
	e.t.Helper()
	for _, label := range []string{"io.x-k8s.kind.cluster=" + e.name, "dev.kdev.env=" + e.name} {
		for _, c := range e.containers(label) {
			e.t.Errorf("after down --purge: container %s (%s) remains", c.Names[0], c.State)
		}
	}
	vs, err := e.api.VolumeList(context.Background(), client.VolumeListOptions{Filters: make(client.Filters).Add("label", "dev.kdev.env="+e.name)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range vs.Items {
		e.t.Errorf("after down --purge: volume %s remains", v.Name)
	}
	if e.upstream != nil {
		m := mirrorConfig(e.upstream.InNetwork)
		if _, err := e.api.ContainerInspect(context.Background(), registry.MirrorName(m), client.ContainerInspectOptions{}); err == nil {
			e.t.Errorf("after down --purge: mirror %s remains", registry.MirrorName(m))
		}
		if _, err := e.api.VolumeInspect(context.Background(), registry.CacheVolume(m), client.VolumeInspectOptions{}); err == nil {
			e.t.Errorf("after down --purge: cache volume %s remains", registry.CacheVolume(m))
		}
	}
	if nw, err := network.Find(context.Background(), e.api, e.name); err != nil || nw != nil {
		e.t.Errorf("after down --purge: network %s remains (%v)", e.name, err)
	}
}

func (e *env) containers(label string) []containerSummary {
	e.t.Helper()
	res, err := e.api.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []containerSummary
	for _, c := range res.Items {
		out = append(out, containerSummary{ID: c.ID, Names: c.Names, State: string(c.State)})
	}
	return out
}

type containerSummary struct {
	ID    string
	Names []string
	State string
}

// controlPlaneID is the ID of the cluster's control-plane container, "" when none.
func (e *env) controlPlaneID() string {
	e.t.Helper()
	for _, c := range e.containers("io.x-k8s.kind.cluster=" + e.name) {
		if strings.HasSuffix(c.Names[0], "-control-plane") {
			return c.ID
		}
	}
	return ""
}

// nodeKubectl runs kubectl inside the control-plane node.
func (e *env) nodeKubectl(args ...string) (string, error) {
	full := append([]string{"exec", e.name + "-control-plane", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf"}, args...)
	out, err := exec.Command("docker", full...).CombinedOutput()
	return string(out), err
}

// mirrorID is the ID of the environment's docker.io mirror container.
func (e *env) mirrorID() string {
	e.t.Helper()
	name := registry.MirrorName(mirrorConfig(e.upstream.InNetwork))
	res, err := e.api.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if err != nil {
		e.t.Fatalf("inspect mirror %s: %v", name, err)
	}
	return res.Container.ID
}

func mirrorConfig(remote string) config.Mirror {
	return config.Mirror{Registry: "docker.io", RemoteURL: remote}
}

// danglingVolumes counts volumes that no container uses, other than kdev's named
// ones: a mirror's cache outlives its container by design (an interrupted up may make
// it just before the mirror), a node's anonymous volume must not.
func danglingVolumes(t *testing.T, api *client.Client) int {
	t.Helper()
	vs, err := api.VolumeList(context.Background(), client.VolumeListOptions{Filters: make(client.Filters).Add("dangling", "true")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs.Items {
		if v.Labels[docker.LabelManaged] != "true" {
			n++
		}
	}
	return n
}
