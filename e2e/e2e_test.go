//go:build e2e

// Package e2e runs kdev against a real Kind cluster built from an offline node image.
// Four local registries stand in for docker.io, registry.k8s.io, ghcr.io and quay.io;
// their access logs tell who pulled, so the suite can prove that nodes pulled through
// the mirrors, and that a stopped upstream is never needed once the cache is warm.
package e2e

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

func newSuite(t *testing.T) *suite {
	api := dockertest.Connect(t)
	s := &suite{t: t, api: api, name: dockertest.Name("e2e"), dir: t.TempDir(), localPort: dockertest.FreePort(t)}
	s.regImage = dockertest.RegistryImage(t, api)
	if s.nodeImage = os.Getenv(NodeImageEnv); s.nodeImage == "" {
		t.Fatalf("%s is not set: run `make e2e`, which builds the offline node image and sets it", NodeImageEnv)
	}
	t.Setenv("KUBECONFIG", s.dir+"/kubeconfig")
	s.kind = cluster.New(func(string) {})
	ctx := context.Background()
	// The suite runs beside whatever kdev environments the machine has (the one `make
	// up` made, a developer's own): its upstreams are its own, so its mirrors are too,
	// and at the end everything kdev made before it must be there, unchanged.
	before := snapshotKdev(t, api)
	t.Cleanup(func() {
		if t.Failed() {
			s.artifacts()
		}
		if code, _, errb := s.kdev("down", "--purge"); code != 0 {
			t.Errorf("cleanup: kdev down --purge: exit %d\n%s", code, errb)
		}
		assertUntouched(t, before, snapshotKdev(t, api))
	})

	// The network comes first so that the upstreams can sit on it under names the
	// mirrors resolve; kdev finds it by its labels and reuses it.
	if _, _, err := network.Ensure(ctx, api, s.name, s.name, ""); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.hello, err = registrytest.BuildStatic("testdata/hello", runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	repos := map[string]string{"docker.io": "library/kdev-hello", "registry.k8s.io": "kdev/hello", "ghcr.io": "kdev-dev/hello", "quay.io": "kdev/hello"}
	for _, reg := range []string{"docker.io", "registry.k8s.io", "ghcr.io", "quay.io"} {
		u := &upstream{registry: reg, repo: repos[reg]}
		u.reg = dockertest.StartRegistry(t, api, s.regImage, s.name+"-up-"+registry.Slug(reg), s.name)
		s.push(u.reg.URL, u.repo, "v1")
		s.push(u.reg.URL, u.repo, "canary")
		s.upstreams = append(s.upstreams, u)
	}
	s.writeConfig(nil)
	return s
}

func TestE2E(t *testing.T) {
	s := newSuite(t)
	cp, worker := s.name+"-control-plane", s.name+"-worker"
	var v1 []string
	var docs strings.Builder
	for i, u := range s.upstreams {
		node := cp
		if i%2 == 1 {
			node = worker
		}
		name := "v1-" + registry.Slug(u.registry)
		docs.WriteString(pod(name, u.ref("v1"), node))
		v1 = append(v1, name)
	}

	s.run(t, "up creates the cluster on the network with containerd wired", func(t *testing.T) {
		var res upResult
		decodeDoc(t, s.mustKdev("up", "-v", "-o", "json"), "UpResult", &res)
		obs := s.controlPlane()
		if obs.Workers != 1 || !obs.Running {
			t.Fatalf("cluster: %+v", obs)
		}
		if len(res.Check) != len(s.upstreams) {
			t.Fatalf("up ended with %d mirror checks, want %d", len(res.Check), len(s.upstreams))
		}
		for _, r := range res.Check {
			if r.Verdict != verdictPass {
				t.Errorf("up's check: %s %s (%s)", r.Registry, r.Verdict, r.Reason)
			}
		}
	})

	s.run(t, "every kubelet pulls images in parallel, as kdev configures by default", func(t *testing.T) {
		for _, node := range []string{cp, worker} {
			out, err := s.exec(node, "cat", "/var/lib/kubelet/config.yaml")
			if err != nil {
				t.Fatalf("%s: read the kubelet's configuration: %v", node, err)
			}
			want := []string{"serializeImagePulls: false", fmt.Sprintf("maxParallelImagePulls: %d", config.DefaultParallelImagePulls)}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: the kubelet's configuration lacks %q", node, w)
				}
			}
		}
	})

	s.run(t, "pods pull every upstream's image through its mirror", func(t *testing.T) {
		s.runPods(docs.String(), v1...)
		nodes := map[string]bool{s.ipOn(cp): true, s.ipOn(worker): true}
		for _, u := range s.upstreams {
			c := s.counters(u.registry)
			if c.Misses.Manifest == 0 || c.Misses.Blob == 0 {
				t.Errorf("%s: mirror counted %+v: the pull did not go through it", u.registry, c)
			}
			mirrorIP := s.ipOn(s.mirrorOf(u.registry))
			clients := s.clientsOf(u.reg.ID)
			if clients[mirrorIP] == 0 {
				t.Errorf("%s: upstream saw no request from its mirror (%s): %v", u.registry, mirrorIP, keys(clients))
			}
			for ip := range clients {
				if nodes[ip] {
					t.Errorf("%s: a node (%s) pulled from the upstream directly: the mirror was bypassed", u.registry, ip)
				}
			}
		}
	})

	s.run(t, "a pod runs from the local registry", func(t *testing.T) {
		s.push(fmt.Sprintf("http://127.0.0.1:%d", s.localPort), "e2e/hello", "v1")
		s.runPods(pod("local", fmt.Sprintf("localhost:%d/e2e/hello:v1", s.localPort), worker), "local")
		cm, err := s.kubectl("", "get", "configmap", "-n", "kube-public", "local-registry-hosting", "-o", "jsonpath={.data.localRegistryHosting\\.v1}")
		if err != nil || !strings.Contains(cm, fmt.Sprintf("host: localhost:%d", s.localPort)) {
			t.Fatalf("KEP-1755 ConfigMap: %v\n%s", err, cm)
		}
	})

	s.run(t, "a second up changes nothing and does not repeat the check that passed", func(t *testing.T) {
		var res upResult
		decodeDoc(t, s.mustKdev("up", "-o", "json"), "UpResult", &res)
		if res.Changed {
			t.Fatal("second up reported changes")
		}
		if res.ProvenAt == nil || len(res.Check) != 0 {
			t.Fatalf("second up: provenAt %v and %d checks, want the first up's pass reused", res.ProvenAt, len(res.Check))
		}
	})

	checkAndDoctor(t, s, worker)
	secondEnvironment(t, s)

	s.run(t, "up restores a hosts.toml deleted from the worker", func(t *testing.T) {
		path := "/etc/containerd/certs.d/quay.io/hosts.toml"
		if _, err := s.exec(worker, "rm", path); err != nil {
			t.Fatal(err)
		}
		var res upResult
		decodeDoc(t, s.mustKdev("up", "--verify=false", "-o", "json"), "UpResult", &res)
		restored := false
		for _, w := range res.Cluster.Wiring {
			restored = restored || (w.Node == worker && len(w.Written) == 1 && w.Written[0] == path)
		}
		if !res.Changed || !restored {
			t.Fatalf("up did not report restoring %s on %s: %+v", path, worker, res)
		}
		if out, err := s.exec(worker, "cat", path); err != nil || !strings.Contains(out, s.mirrorOf("quay.io")) {
			t.Fatalf("%s after up: %v\n%s", path, err, out)
		}
	})

	s.run(t, "strict: with its mirror stopped a pull fails instead of going around it", func(t *testing.T) {
		ghcr := s.upstreams[2]
		s.writeConfig(map[string]string{"ghcr.io": "strict"})
		s.mustKdev("up", "--verify=false")
		s.push(ghcr.reg.URL, ghcr.repo, "v2")
		s.stop(s.mirrorOf("ghcr.io"))
		before := s.clientsOf(ghcr.reg.ID)[s.ipOn(cp)]
		if _, err := s.kubectl(pod("strict", ghcr.ref("v2"), cp), "apply", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		out, err := s.kubectl("", "wait", "--for=condition=Ready", "--timeout=25s", "pod/strict")
		if err == nil {
			t.Fatalf("the pod became Ready with its strict mirror stopped:\n%s", out)
		}
		desc, _ := s.kubectl("", "get", "pod", "strict", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}")
		if !strings.Contains(desc, "ImagePull") && !strings.Contains(desc, "ErrImagePull") {
			t.Errorf("waiting reason %q, want an image pull failure", desc)
		}
		if after := s.clientsOf(ghcr.reg.ID)[s.ipOn(cp)]; after != before {
			t.Errorf("the node reached the upstream directly under strict (%d requests)", after-before)
		}
		s.deletePods("strict")
		s.writeConfig(nil)
		s.mustKdev("up", "--verify=false") // restarts the mirror and puts fallback back
	})

	s.run(t, "after down and up, pods start from cache with every upstream gone", func(t *testing.T) {
		s.deletePods(append(v1, "local")...)
		for _, u := range s.upstreams {
			if _, err := s.api.ContainerRemove(context.Background(), u.reg.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
				t.Fatal(err)
			}
		}
		s.mustKdev("down")
		_, _, errb := s.kdev("up")
		if !strings.Contains(errb, "serving the cache only") {
			t.Errorf("up with every upstream gone did not warn:\n%s", errb)
		}
		s.runPods(docs.String(), v1...)
	})

	freshRunner(t, s, docs.String(), v1)
}

// run is t.Run with the suite's failures reported on the subtest.
func (s *suite) run(t *testing.T, name string, fn func(t *testing.T)) {
	failed := t.Failed()
	t.Run(name, func(t *testing.T) {
		if failed {
			t.Fatal("not run: an earlier step failed, and each step builds on the last")
		}
		parent := s.t
		s.t = t
		defer func() { s.t = parent }()
		fn(t)
	})
}

// exec runs a command in one of the cluster's nodes, as kind does (docker exec), and
// returns its standard output: the suite's own probes, not kdev's node operations.
func (s *suite) exec(node string, args ...string) (string, error) {
	for _, n := range s.controlPlane().NodeList() {
		if n.Name() == node {
			var out strings.Builder
			c := osexec.Command("docker", append([]string{"exec", node}, args...)...)
			c.Stdout = &out
			err := c.Run()
			return out.String(), err
		}
	}
	return "", fmt.Errorf("no node %s", node)
}

func (s *suite) stop(container string) {
	s.t.Helper()
	if _, err := s.api.ContainerStop(context.Background(), container, client.ContainerStopOptions{}); err != nil {
		s.t.Fatalf("stop %s: %v", container, err)
	}
}
