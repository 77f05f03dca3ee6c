//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/app"
	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
	"github.com/kdev-dev/kdev/internal/ui"
)

// NodeImageEnv names the node image the suite runs: `make images` builds one offline.
const NodeImageEnv = "KDEV_E2E_NODE_IMAGE"

// upstream is one registry standing in for a public one, with the image path pods use.
type upstream struct {
	registry string // docker.io
	repo     string // library/kdev-hello
	reg      *dockertest.Registry
}

func (u *upstream) ref(tag string) string { return u.registry + "/" + u.repo + ":" + tag }

type suite struct {
	t         *testing.T
	api       *client.Client
	name      string
	dir       string
	nodeImage string
	regImage  string
	localPort int
	upstreams []*upstream
	hello     []byte
	kind      *cluster.Kind
}

// kdev runs the CLI in-process, as a user would run the binary.
func (s *suite) kdev(args ...string) (int, string, string) {
	s.t.Helper()
	return s.kdevWith(filepath.Join(s.dir, "kdev.yaml"), args...)
}

// kdevWith runs the CLI in-process with another environment's kdev.yaml.
func (s *suite) kdevWith(file string, args ...string) (int, string, string) {
	s.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"-f", file, "--node-image", s.nodeImage, "--registry-image", s.regImage}, args...)
	code := app.Run(context.Background(), full, ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	s.t.Logf("kdev %s → exit %d\n%s", strings.Join(args, " "), code, errb.String())
	return code, out.String(), errb.String()
}

func (s *suite) mustKdev(args ...string) string {
	s.t.Helper()
	code, out, errb := s.kdev(args...)
	if code != 0 {
		s.t.Fatalf("kdev %s: exit %d\n%s", strings.Join(args, " "), code, errb)
	}
	return out
}

// writeConfig writes kdev.yaml with the policy of each registry (fallback when absent).
func (s *suite) writeConfig(policy map[string]string) {
	s.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nlocalRegistry:\n  port: %d\ncluster:\n  workers: 1\nmirrors:\n", s.name, s.localPort)
	for _, u := range s.upstreams {
		p := policy[u.registry]
		if p == "" {
			p = "fallback"
		}
		fmt.Fprintf(&b, "  - registry: %s\n    remoteURL: %s\n    policy: %s\n    canary: %s\n", u.registry, u.reg.InNetwork, p, u.ref("canary"))
	}
	if err := os.WriteFile(filepath.Join(s.dir, "kdev.yaml"), []byte(b.String()), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// push builds a unique hello image and pushes it to an upstream under tag.
func (s *suite) push(base, repo, tag string) {
	s.t.Helper()
	img, err := registrytest.NewAppImage(map[string][]byte{"hello": s.hello}, []string{"/hello"}, runtime.GOARCH, base+"/"+repo+":"+tag+":"+s.name)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := registrytest.Push(base, repo, tag, img); err != nil {
		s.t.Fatalf("push %s:%s to %s: %v", repo, tag, base, err)
	}
}

func (s *suite) controlPlane() *cluster.Observed {
	s.t.Helper()
	obs, err := s.kind.Observe(context.Background(), s.api, s.name)
	if err != nil || obs == nil {
		s.t.Fatalf("observe cluster %s: %v", s.name, err)
	}
	return obs
}

func (s *suite) kubectl(stdin string, args ...string) (string, error) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	return cluster.Kubectl(ctx, s.controlPlane().ControlPlaneNode(), stdin, args...)
}

// pod renders a pod running image on node, ready once /hello answers.
func pod(name, image, node string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app: kdev-e2e}
spec:
  nodeName: %s
  tolerations: [{operator: Exists}]
  containers:
  - name: hello
    image: %s
    imagePullPolicy: IfNotPresent
    env: [{name: MESSAGE, value: %s}]
    readinessProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 1
---
`, name, node, image, name)
}

// runPods applies pods and waits until every one is Ready.
func (s *suite) runPods(docs string, names ...string) {
	s.t.Helper()
	if out, err := s.kubectl(docs, "apply", "-f", "-"); err != nil {
		s.t.Fatalf("apply pods: %v\n%s", err, out)
	}
	args := append([]string{"wait", "--for=condition=Ready", "--timeout=180s"}, prefix("pod/", names)...)
	if out, err := s.kubectl("", args...); err != nil {
		desc, _ := s.kubectl("", append([]string{"describe"}, prefix("pod/", names)...)...)
		s.t.Fatalf("pods not Ready: %v\n%s\n%s", err, out, desc)
	}
}

func (s *suite) deletePods(names ...string) {
	s.t.Helper()
	args := append([]string{"delete", "--wait=true", "--grace-period=0", "--force", "--ignore-not-found"}, prefix("pod/", names)...)
	if out, err := s.kubectl("", args...); err != nil {
		s.t.Fatalf("delete pods: %v\n%s", err, out)
	}
}

func prefix(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

var remoteAddrRE = regexp.MustCompile(`http\.request\.remoteaddr="?([0-9.]+):`)

// clientsOf counts, per client address, the manifest and blob requests a registry
// logged: who pulled from it.
func (s *suite) clientsOf(id string) map[string]int {
	s.t.Helper()
	rc, err := s.api.ContainerLogs(context.Background(), id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		s.t.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		s.t.Fatal(err)
	}
	ips := map[string]int{}
	for _, line := range strings.Split(buf.String(), "\n") {
		// Only content counts as a pull; a bare /v2/ is kdev's reachability probe.
		if !strings.Contains(line, "/manifests/") && !strings.Contains(line, "/blobs/") {
			continue
		}
		if m := remoteAddrRE.FindStringSubmatch(line); m != nil {
			ips[m[1]]++
		}
	}
	return ips
}

// ipOn returns a container's address on the environment's network.
func (s *suite) ipOn(container string) string {
	s.t.Helper()
	ins, err := s.api.ContainerInspect(context.Background(), container, client.ContainerInspectOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	ep := ins.Container.NetworkSettings.Networks[s.name]
	if ep == nil {
		s.t.Fatalf("%s is not on network %s", container, s.name)
	}
	return ep.IPAddress.String()
}

func (s *suite) counters(reg string) registry.Counters {
	s.t.Helper()
	ins, err := s.api.ContainerInspect(context.Background(), s.mirrorOf(reg), client.ContainerInspectOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	port := ins.Container.NetworkSettings.Ports[network.MustParsePort("5001/tcp")]
	if len(port) == 0 {
		s.t.Fatalf("mirror of %s publishes no debug port", reg)
	}
	var p int
	fmt.Sscan(port[0].HostPort, &p)
	c, err := registry.ReadCounters(context.Background(), nil, p)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// artifacts exports the cluster's logs and kdev's view into artifacts/ on failure.
func (s *suite) artifacts() {
	dir, _ := filepath.Abs(filepath.Join("..", "artifacts", "e2e-"+s.name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Logf("artifacts: %v", err)
		return
	}
	if err := s.kind.CollectLogs(s.name, filepath.Join(dir, "cluster")); err != nil {
		s.t.Logf("collect cluster logs: %v", err)
	}
	_, out, _ := s.kdev("status", "-o", "json")
	_ = os.WriteFile(filepath.Join(dir, "status.json"), []byte(out), 0o644)
	for _, u := range s.upstreams {
		for _, c := range []string{s.mirrorOf(u.registry), u.reg.Name} {
			rc, err := s.api.ContainerLogs(context.Background(), c, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
			if err != nil {
				continue
			}
			var buf bytes.Buffer
			_, _ = stdcopy.StdCopy(&buf, &buf, rc)
			rc.Close()
			_ = os.WriteFile(filepath.Join(dir, c+".log"), buf.Bytes(), 0o644)
		}
	}
	s.t.Logf("artifacts in %s", dir)
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}
