//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	mobynet "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/registrytest"
)

// check runs kdev check and returns its exit code and verdicts by registry.
func (s *suite) check() (int, map[string]checkResult) {
	s.t.Helper()
	code, out, _ := s.kdev("check", "-o", "json")
	var doc checkReport
	decodeDoc(s.t, out, "CheckReport", &doc)
	by := map[string]checkResult{}
	for _, r := range doc.Results {
		by[r.Registry] = r
	}
	return code, by
}

// doctor runs kdev doctor and returns its exit code and the items that failed.
func (s *suite) doctor() (int, []string) {
	s.t.Helper()
	code, out, _ := s.kdev("doctor", "-o", "json")
	var doc doctorReport
	decodeDoc(s.t, out, "DoctorReport", &doc)
	var failed []string
	for _, f := range doc.Findings {
		if !f.OK {
			failed = append(failed, f.Item)
		}
	}
	return code, failed
}

// expectCaught asserts that check fails on reg with verdict want, the other mirrors
// passing, and that doctor fails naming an item that contains item.
func (s *suite) expectCaught(regs []string, want string, item string) {
	s.t.Helper()
	code, by := s.check()
	if code != 1 {
		s.t.Errorf("check: exit %d, want 1", code)
	}
	caught := map[string]bool{}
	for _, reg := range regs {
		caught[reg] = true
		if by[reg].Verdict != want || by[reg].Cause == "" {
			s.t.Errorf("check: %s %s (%s), cause %q; want %s with a likely cause", reg, by[reg].Verdict, by[reg].Reason, by[reg].Cause, want)
		}
	}
	for r, res := range by {
		if !caught[r] && res.Verdict != verdictPass {
			s.t.Errorf("check: %s %s (%s), want pass", r, res.Verdict, res.Reason)
		}
	}
	dcode, failed := s.doctor()
	named := false
	for _, f := range failed {
		named = named || strings.Contains(f, item)
	}
	if dcode != 1 || !named {
		s.t.Fatalf("doctor: exit %d, failed %q; want exit 1 naming %q", dcode, failed, item)
	}
}

func checkAndDoctor(t *testing.T, s *suite, worker string) {
	s.run(t, "check and doctor pass on a healthy environment", func(t *testing.T) {
		code, by := s.check()
		for _, u := range s.upstreams {
			r := by[u.registry]
			if r.Verdict != verdictPass || r.Hits == 0 || len(r.Pulls) != 2 {
				t.Errorf("%s: %+v", u.registry, r)
			}
		}
		if code != 0 {
			t.Fatalf("check exit %d", code)
		}
		if code, failed := s.doctor(); code != 0 {
			t.Fatalf("doctor exit %d: %v", code, failed)
		}
	})

	s.run(t, "a deleted hosts.toml is caught", func(t *testing.T) {
		if _, err := s.exec(worker, "rm", "/etc/containerd/certs.d/docker.io/hosts.toml"); err != nil {
			t.Fatal(err)
		}
		s.expectCaught([]string{"docker.io"}, verdictBypassed, "docker.io/hosts.toml in "+worker)
		s.mustKdev("up", "--verify=false")
		// The failed check withdrew the earlier pass: the next up proves it again.
		var res upResult
		decodeDoc(t, s.mustKdev("up", "-o", "json"), "UpResult", &res)
		if res.ProvenAt != nil || len(res.Check) != len(s.upstreams) {
			t.Fatalf("up after a failed check: provenAt %v, %d checks; want a new check", res.ProvenAt, len(res.Check))
		}
	})

	s.run(t, "a mirror off the network is caught", func(t *testing.T) {
		if _, err := s.api.NetworkDisconnect(context.Background(), s.name, client.NetworkDisconnectOptions{Container: s.mirrorOf("quay.io")}); err != nil {
			t.Fatal(err)
		}
		s.expectCaught([]string{"quay.io"}, verdictBypassed, "attached to network")
		s.mustKdev("up", "--verify=false")
	})

	s.run(t, "a stopped mirror under fallback is a bypass", func(t *testing.T) {
		s.stop(s.mirrorOf("docker.io"))
		s.expectCaught([]string{"docker.io"}, verdictBypassed, "mirror "+s.mirrorOf("docker.io")+" running")
		s.mustKdev("up", "--verify=false")
	})

	s.run(t, "config_path pointing elsewhere on a node is caught", func(t *testing.T) {
		// Pointing config_path away (rather than deleting it) bypasses the mirrors on
		// every containerd: 2.2 and later fall back to a default list that includes
		// certs.d when the key is empty.
		defer s.editContainerd(t, worker, `s|config_path = .*|config_path = "/etc/containerd/elsewhere.d"|`)()
		s.expectCaught([]string{"docker.io", "registry.k8s.io", "ghcr.io", "quay.io"}, verdictBypassed, "reads hosts.toml from")
	})

	s.run(t, "pulls through the transfer service use the mirrors too", func(t *testing.T) {
		// kind's config sets discard_unpacked_layers, which makes containerd 2.1+ pull for
		// CRI itself; without it CRI pulls through the transfer service, which reads
		// registry hosts its own way. Both paths must reach the mirrors.
		before := s.pullPath(worker)
		defer s.editContainerd(t, worker, `/discard_unpacked_layers/d`)()
		after := s.pullPath(worker)
		t.Logf("containerd on %s: %s with kind's config, %s without discard_unpacked_layers", worker, before, after)
		if before != "CRI local pull" {
			t.Errorf("with kind's config, doctor says pulls go through %q, want CRI local pull", before)
		}
		if transfer := s.containerdAtLeast21(worker); (after == "transfer service") != transfer {
			t.Errorf("without discard_unpacked_layers, doctor says %q (containerd 2.1 or later: %v)", after, transfer)
		}
		code, by := s.check()
		for _, u := range s.upstreams {
			if r := by[u.registry]; r.Verdict != verdictPass {
				t.Errorf("%s through the %s: %s (%s)", u.registry, after, r.Verdict, r.Reason)
			}
		}
		if code != 0 {
			t.Fatalf("check exit %d", code)
		}
	})

	s.run(t, "an emptied cache refills, then hits", func(t *testing.T) {
		ctx := context.Background()
		name := s.mirrorOf("registry.k8s.io")
		if _, err := s.api.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.api.VolumeRemove(ctx, s.cacheOf("registry.k8s.io"), client.VolumeRemoveOptions{}); err != nil {
			t.Fatal(err)
		}
		s.mustKdev("up", "--verify=false")
		code, by := s.check()
		r := by["registry.k8s.io"]
		if code != 0 || r.Verdict != verdictPass || r.Pulls[0].Delta.Misses.Blob == 0 || r.Pulls[1].Delta.Hits.Blob == 0 {
			t.Fatalf("check exit %d: %+v; want a first pull that misses and a second that hits", code, r)
		}
		// The running v1 pod keeps its image on the node, so nothing refills the cache
		// with it; the last step needs it there, so pull it through the mirror from here.
		ins, err := s.api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		port := ins.Container.NetworkSettings.Ports[mobynet.MustParsePort("5000/tcp")][0].HostPort
		if _, err := registrytest.Pull("http://127.0.0.1:"+port, s.upstreams[1].repo, "v1"); err != nil {
			t.Fatal(err)
		}
	})
}
