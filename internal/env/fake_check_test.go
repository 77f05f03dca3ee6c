package env

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/verify"
)

// result finds a registry's result of a check.
func result(t *testing.T, rs []verify.Result, reg string) verify.Result {
	t.Helper()
	i := slices.IndexFunc(rs, func(r verify.Result) bool { return r.Registry == reg })
	if i < 0 {
		t.Fatalf("no result for %s: %+v", reg, rs)
	}
	return rs[i]
}

// TestFakeCheck: on one node each canary is pulled twice (the second served from the
// cache), on two nodes once on each; every mirror passes, and the pass is recorded in
// the control plane so that the next up need not prove it again.
func TestFakeCheck(t *testing.T) {
	for _, workers := range []int{0, 1} {
		c := newClusterEnv(t, workers)
		res := c.up()
		if _, ok := c.env.Proven(c.ctx(), res); ok {
			t.Fatalf("%d workers: a new cluster is proven before any check", workers)
		}
		rs, err := c.env.Check(c.ctx())
		if err != nil {
			t.Fatalf("%d workers: check: %v\n%s", workers, err, c.log)
		}
		ns := c.nodes()
		var want []string // the nodes, in the order the canaries are pulled on them
		for _, n := range ns {
			want = append(want, n.Name())
		}
		if len(ns) == 1 {
			want = append(want, ns[0].Name())
		}
		for i := range 2 {
			r := result(t, rs, c.mirror(i).Registry)
			var on []string
			for _, p := range r.Pulls {
				on = append(on, p.Node)
			}
			if r.Verdict != verify.Pass || !slices.Equal(on, want) || r.Hits == 0 || r.Misses != 2 {
				t.Errorf("%d workers: %s: %s (%s), pulled on %v (want %v), %d hits, %d misses", workers, r.Registry, r.Verdict, r.Reason, on, want, r.Hits, r.Misses)
			}
		}
		pulls := 0
		for _, n := range ns {
			pulls += len(n.Pulls())
		}
		if pulls != 4 {
			t.Errorf("%d workers: %d pulls in all, want each of two canaries pulled twice", workers, pulls)
		}
		if !strings.Contains(c.log.String(), "Cache verified: a.test hit") {
			t.Errorf("progress:\n%s", c.log)
		}
		if _, ok := c.env.Proven(c.ctx(), res); !ok {
			t.Errorf("%d workers: the passed check is not recorded", workers)
		}
	}
}

// TestFakeCheckBypassed: a node without a.test's hosts.toml pulls around its mirror:
// the check says bypassed, names the missing file as the cause, passes b.test, and
// removes the record of the last pass.
func TestFakeCheckBypassed(t *testing.T) {
	c := newClusterEnv(t, 0)
	res := c.up()
	if _, err := c.env.Check(c.ctx()); err != nil {
		t.Fatal(err)
	}
	c.nodes()[0].SetFile(hostsPath("a.test"), "", true)
	rs, err := c.env.Check(c.ctx())
	if err != nil {
		t.Fatal(err)
	}
	a, b := result(t, rs, "a.test"), result(t, rs, "b.test")
	if a.Verdict != verify.Bypassed || !strings.Contains(a.Cause, hostsPath("a.test")) || !strings.Contains(a.Cause, "missing") {
		t.Errorf("a.test without its hosts.toml: %s (%s), cause %q", a.Verdict, a.Reason, a.Cause)
	}
	if b.Verdict != verify.Pass {
		t.Errorf("b.test: %s (%s)", b.Verdict, b.Reason)
	}
	if _, ok := c.env.Proven(c.ctx(), res); ok {
		t.Error("a failed check left the record of the pass before it")
	}
}

// TestFakeCheckMirrorOffNetwork: a mirror the nodes cannot reach makes containerd go
// past it to the upstream ("trying next host"): bypassed, and doctor's cause names the
// mirror (off its last network, it no longer publishes its ports either).
func TestFakeCheckMirrorOffNetwork(t *testing.T) {
	c := newClusterEnv(t, 1)
	c.up()
	must(t, c.fake.Disconnect(registry.MirrorName(c.mirror(1)), "kt"))
	rs, err := c.env.Check(c.ctx())
	if err != nil {
		t.Fatal(err)
	}
	b := result(t, rs, "b.test")
	if b.Verdict != verify.Bypassed || len(b.Pulls) == 0 || !b.Pulls[0].NextHost || !strings.Contains(b.Cause, registry.MirrorName(c.mirror(1))) {
		t.Errorf("b.test off the network: %s (%s), cause %q, pulls %+v", b.Verdict, b.Reason, b.Cause, b.Pulls)
	}
	if a := result(t, rs, "a.test"); a.Verdict != verify.Pass {
		t.Errorf("a.test: %s (%s)", a.Verdict, a.Reason)
	}
}

// TestFakeCheckPullFails: a canary the kubelet cannot pull is reported, not passed.
func TestFakeCheckPullFails(t *testing.T) {
	c := newClusterEnv(t, 0)
	c.up()
	c.kind.FailPull(c.mirror(0).Canary, "not found")
	rs, err := c.env.Check(c.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if a := result(t, rs, "a.test"); a.Verdict == verify.Pass || len(a.Pulls) != 1 || !strings.Contains(a.Pulls[0].Error, "not found") {
		t.Errorf("a.test with a failing pull: %s (%s), pulls %+v", a.Verdict, a.Reason, a.Pulls)
	}
}

// TestFakeCheckNoCluster: check without a cluster is an error callers can tell apart.
func TestFakeCheckNoCluster(t *testing.T) {
	c := newClusterEnv(t, 0)
	if _, err := c.env.Check(c.ctx()); !errors.Is(err, ErrNoCluster) {
		t.Fatalf("check before up: %v", err)
	}
}

// TestFakeDoctorNodes: after up every item holds on every node; then each fault is
// found on the node it is on, with what to do.
func TestFakeDoctorNodes(t *testing.T) {
	c := newClusterEnv(t, 1)
	c.up()
	fs, err := c.env.Doctor(c.ctx())
	if err != nil {
		t.Fatal(err)
	}
	perNode := 0
	for _, f := range fs {
		if !f.OK {
			t.Errorf("after up: %s: %s", f.Item, f.Detail)
		}
		if f.Node == "kt-worker" {
			perNode++
		}
	}
	// containerd, the two mirror names, the local registry, and the four hosts.toml.
	if perNode != 8 {
		t.Errorf("%d findings on the worker, want 8:\n%+v", perNode, fs)
	}

	worker := c.kind.Node("kt-worker")
	worker.SetFile(hostsPath("a.test"), "server = [", false)
	worker.SetContainerd(cluster.Containerd{Why: "config_path is not set"})
	c.kind.SetProbe("http://up-b.test:5000", "no answer within 10s from inside the network")
	must(t, c.fake.Disconnect(registry.MirrorName(c.mirror(0)), "kt"))
	fs, err = c.env.Doctor(c.ctx())
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range fs {
		if !f.OK {
			failed = append(failed, f.Item+" ["+f.Detail+"]")
			if f.Fix == "" {
				t.Errorf("%s failed without a fix", f.Item)
			}
		}
	}
	for _, want := range []string{
		// Off its only network, the mirror's ports are no longer published either.
		"mirror " + registry.MirrorName(c.mirror(0)) + " running and answering",
		"mirror " + registry.MirrorName(c.mirror(0)) + " attached to network kt",
		"mirror name " + registry.MirrorName(c.mirror(0)) + " resolves in node kt-control-plane",
		"mirror name " + registry.MirrorName(c.mirror(0)) + " resolves in node kt-worker",
		"containerd in kt-worker reads hosts.toml from /etc/containerd/certs.d [config_path is not set]",
		hostsPath("a.test") + " in kt-worker [not valid TOML]",
		"upstream http://up-b.test:5000 reachable from the network [no answer within 10s from inside the network]",
	} {
		if !slices.ContainsFunc(failed, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("doctor did not find %q; failed:\n%s", want, strings.Join(failed, "\n"))
		}
	}
	if len(failed) != 7 {
		t.Errorf("doctor failed %d items, want 7:\n%s", len(failed), strings.Join(failed, "\n"))
	}
}
