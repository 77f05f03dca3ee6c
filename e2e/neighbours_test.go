//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

// mirrorOf is the container name of the suite's mirror of reg: its upstream is the
// suite's own stand-in, so its name is not the one a user's mirror of reg has.
func (s *suite) mirrorOf(reg string) string { return registry.MirrorName(s.mirrorConfig(reg)) }

// cacheOf is the cache volume of the suite's mirror of reg.
func (s *suite) cacheOf(reg string) string { return registry.CacheVolume(s.mirrorConfig(reg)) }

func (s *suite) mirrorConfig(reg string) config.Mirror {
	for _, u := range s.upstreams {
		if u.registry == reg {
			return config.Mirror{Registry: reg, RemoteURL: u.reg.InNetwork}
		}
	}
	s.t.Fatalf("the suite has no upstream for %s", reg)
	return config.Mirror{}
}

// kdevObject is what the suite compares of an object kdev made: for containers, the ID
// and state; networks and volumes are compared by ID (a volume's is its name).
type kdevObject struct{ ID, State string }

// snapshotKdev lists every container, network and volume kdev manages on this machine.
func snapshotKdev(t *testing.T, api *client.Client) map[string]kdevObject {
	t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", "dev.kdev.managed=true")
	out := map[string]kdevObject{}
	cs, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		out["container "+c.Names[0]] = kdevObject{c.ID, string(c.State)}
	}
	ns, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Items {
		out["network "+n.Name] = kdevObject{ID: n.ID}
	}
	vs, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		out["volume "+v.Name] = kdevObject{ID: v.Name}
	}
	return out
}

// assertUntouched fails for every object of before that is gone or changed in after.
func assertUntouched(t *testing.T, before, after map[string]kdevObject) {
	t.Helper()
	for name, b := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("%s existed before the suite and is gone", name)
		} else if a != b {
			t.Errorf("%s existed before the suite as %+v and is now %+v", name, b, a)
		}
	}
	if len(before) > 0 {
		t.Logf("%d kdev objects that existed before the suite are untouched", len(before))
	}
}

// secondEnvironment brings up a second environment beside the suite's, mirroring
// docker.io from another upstream: each gets its own mirror and cache, both prove their
// pulls, and purging the second leaves the first's mirror and cache as they were.
func secondEnvironment(t *testing.T, s *suite) {
	s.run(t, "a second environment with another docker.io upstream runs beside this one", func(t *testing.T) {
		ctx := context.Background()
		name := s.name + "b"
		dir := t.TempDir()
		file := filepath.Join(dir, "kdev.yaml")
		b := func(args ...string) (int, string, string) { return s.kdevWith(file, args...) }
		t.Cleanup(func() {
			if code, _, errb := b("down", "--purge"); code != 0 {
				t.Errorf("cleanup: second environment down --purge: exit %d\n%s", code, errb)
			}
		})
		if _, _, err := network.Ensure(ctx, s.api, name, name, ""); err != nil {
			t.Fatal(err)
		}
		up := dockertest.StartRegistry(t, s.api, s.regImage, name+"-up-docker-io", name)
		hub := s.upstreams[0]
		s.push(up.URL, hub.repo, "canary")
		yaml := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nlocalRegistry:\n  enabled: false\nmirrors:\n"+
			"  - registry: docker.io\n    remoteURL: %s\n    canary: %s\n", name, up.InNetwork, hub.ref("canary"))
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		second := registry.MirrorName(config.Mirror{Registry: "docker.io", RemoteURL: up.InNetwork})
		if second == s.mirrorOf("docker.io") {
			t.Fatalf("both environments' docker.io mirrors are named %s", second)
		}
		firstCache := s.cacheBlobs(s.mirrorOf("docker.io"))

		code, out, errb := b("up", "-o", "json")
		var res upResult
		decodeDoc(t, out, "UpResult", &res)
		if code != 0 || len(res.Check) != 1 || res.Check[0].Verdict != verdictPass {
			t.Fatalf("second environment's up: exit %d, check %+v\n%s", code, res.Check, errb)
		}
		if code, by := s.check(); code != 0 || by["docker.io"].Verdict != verdictPass {
			t.Fatalf("the first environment's check with the second one up: exit %d, docker.io %+v", code, by["docker.io"])
		}
		if clients := s.clientsOf(up.ID); clients[s.ipOn(s.mirrorOf("docker.io"))] != 0 {
			t.Errorf("the first environment's mirror fetched from the second's upstream")
		}

		// The stand-in upstream is the test's, not kdev's: it leaves the network first.
		if _, err := s.api.ContainerRemove(ctx, up.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Fatal(err)
		}
		if code, _, errb := b("down", "--purge"); code != 0 {
			t.Fatalf("second environment's down --purge: exit %d\n%s", code, errb)
		}
		if _, err := s.api.ContainerInspect(ctx, second, client.ContainerInspectOptions{}); err == nil {
			t.Errorf("the second environment's mirror %s survived its purge", second)
		}
		if after := s.cacheBlobs(s.mirrorOf("docker.io")); after != firstCache {
			t.Errorf("the first environment's docker.io cache changed with the second's purge: %q, then %q", firstCache, after)
		}
	})
}

// cacheBlobs lists the blobs in a mirror's cache, read inside the mirror container.
func (s *suite) cacheBlobs(mirror string) string {
	s.t.Helper()
	ins, err := s.api.ContainerInspect(context.Background(), mirror, client.ContainerInspectOptions{})
	if err != nil || ins.Container.State == nil || !ins.Container.State.Running {
		s.t.Fatalf("mirror %s is not running: %v", mirror, err)
	}
	for _, m := range ins.Container.Mounts {
		if m.Destination == "/var/lib/registry" {
			return m.Name + " " + listDir(s.t, m.Source)
		}
	}
	s.t.Fatalf("mirror %s mounts no cache", mirror)
	return ""
}

// listDir summarises the files under dir: how many, and a hash of their paths and sizes.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n++
		fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(p, dir), info.Size())
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	return fmt.Sprintf("%d files %x", n, h.Sum(nil)[:8])
}
