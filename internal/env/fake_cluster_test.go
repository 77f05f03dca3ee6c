package env

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/cluster"
)

// TestFakeClusterUp: the first up makes the cluster on the environment's network,
// writes every hosts.toml into every node and announces the local registry; the
// second changes nothing, in Docker or in a node.
func TestFakeClusterUp(t *testing.T) {
	for _, workers := range []int{0, 2} {
		c := newClusterEnv(t, workers)
		res := c.up()
		if res.Cluster == nil || !res.Cluster.Created || res.Cluster.Observed.Workers != workers {
			t.Fatalf("%d workers: first up: %+v", workers, res.Cluster)
		}
		ns := c.nodes()
		if len(ns) != workers+1 || len(res.Cluster.Wiring) != workers+1 {
			t.Fatalf("%d workers: %d nodes, wiring %+v", workers, len(ns), res.Cluster.Wiring)
		}
		for _, n := range ns {
			if ct := c.container(n.Name()); !slices.Equal(ct.Networks, []string{"kt"}) || ct.Image != fakeNodeImage {
				t.Errorf("node %s: %+v", n.Name(), ct)
			}
		}
		c.wired()
		if kc := c.kind.Kubectl(); len(kc) != 1 || !strings.Contains(kc[0], "local-registry-hosting") {
			t.Errorf("kubectl: %q, want the local-registry-hosting ConfigMap applied", kc)
		}
		if !strings.Contains(c.log.String(), "containerd wired: 2 mirrors on "+string(rune('1'+workers))+" nodes") {
			t.Errorf("progress:\n%s", c.log)
		}
		c.upChangesNothing()
	}
}

// TestFakeClusterHealsWiring: each kind of drift in a node's hosts.toml files is
// mended by the next up, which says so, and only there; the up after changes nothing.
func TestFakeClusterHealsWiring(t *testing.T) {
	stale := hostsPath("gone.test")
	for _, tc := range []struct {
		name string
		// drift changes a node's files; it returns the path up must rewrite or remove.
		drift   func(c *clusterEnv) string
		removed bool
	}{
		{"hosts.toml missing", func(c *clusterEnv) string {
			c.nodes()[1].SetFile(hostsPath("a.test"), "", true)
			return hostsPath("a.test")
		}, false},
		{"hosts.toml without kdev's marker (edited by hand)", func(c *clusterEnv) string {
			c.nodes()[1].SetFile(hostsPath("b.test"), "server = \"https://b.test\"\n", false)
			return hostsPath("b.test")
		}, false},
		{"a stale file of kdev's for a registry no longer mirrored", func(c *clusterEnv) string {
			c.nodes()[0].SetFile(stale, "# "+cluster.Marker+" for gone.test\nserver = \"https://gone.test\"\n", false)
			return stale
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClusterEnv(t, 1)
			c.up()
			p := tc.drift(c)
			res := c.up()
			var touched []string
			for _, w := range res.Cluster.Wiring {
				touched = append(touched, w.Written...)
				touched = append(touched, w.Removed...)
			}
			if !slices.Equal(touched, []string{p}) || !res.Changed {
				t.Errorf("up after the drift: touched %v (changed %v), want %s", touched, res.Changed, p)
			}
			if !strings.Contains(c.log.String(), "(repaired 1 files)") {
				t.Errorf("up did not say it repaired a file:\n%s", c.log)
			}
			if tc.removed {
				if _, ok := c.nodes()[0].File(stale); ok {
					t.Errorf("%s is still there", stale)
				}
			}
			c.wired()
			c.upChangesNothing()
		})
	}
}

// TestFakeClusterKeepsUsersFiles: a hosts.toml of the user's (no marker) for a
// registry kdev does not mirror is left alone.
func TestFakeClusterKeepsUsersFiles(t *testing.T) {
	c := newClusterEnv(t, 0)
	c.up()
	mine := hostsPath("mine.test")
	c.nodes()[0].SetFile(mine, "server = \"https://mine.test\"\n", false)
	c.upChangesNothing()
	if _, ok := c.nodes()[0].File(mine); !ok {
		t.Error("up removed the user's own hosts.toml")
	}
}

// TestFakeClusterRevive: a cluster whose nodes stopped (a Docker restart) is started
// again and kept, with its nodes' files; it is not re-created.
func TestFakeClusterRevive(t *testing.T) {
	c := newClusterEnv(t, 1)
	c.up()
	for _, n := range c.nodes() {
		must(t, c.fake.Stop(n.Name()))
	}
	res := c.up()
	if res.Cluster.Created || !res.Changed {
		t.Fatalf("up after the nodes stopped: created %v, changed %v\n%s", res.Cluster.Created, res.Changed, c.log)
	}
	for _, n := range c.nodes() {
		if ct := c.container(n.Name()); ct.State != "running" {
			t.Errorf("node %s is %s", n.Name(), ct.State)
		}
	}
	c.upChangesNothing()
}

// TestFakeClusterIncomplete: a cluster left half-made (a node created, never started)
// is deleted and made again.
func TestFakeClusterIncomplete(t *testing.T) {
	c := newClusterEnv(t, 1)
	boom := errors.New("injected failure")
	c.fake.FailOn("ContainerStart", "kt-worker", boom)
	if _, err := c.env.Up(c.ctx()); !errors.Is(err, boom) {
		t.Fatalf("up with the worker failing to start: %v", err)
	}
	res := c.up()
	if !res.Cluster.Created || !strings.Contains(c.log.String(), "was never finished") {
		t.Fatalf("up after an interrupted create: created %v\n%s", res.Cluster.Created, c.log)
	}
	c.wired()
	c.upChangesNothing()
}

// TestFakeClusterDrift: a cluster of another size is refused, naming the drift, and
// replaced only with Recreate.
func TestFakeClusterDrift(t *testing.T) {
	c := newClusterEnv(t, 0)
	c.up()
	c.env.Config.Cluster.Workers = 1
	if _, err := c.env.Up(c.ctx()); err == nil || !strings.Contains(err.Error(), "has 0 workers, not 1") {
		t.Fatalf("up with another worker count: %v", err)
	}
	c.env.Recreate = true
	if res := c.up(); !res.Cluster.Created || res.Cluster.Observed.Workers != 1 {
		t.Fatalf("up --recreate: %+v", res.Cluster)
	}
	c.wired()
}

// TestFakeClusterDown: down deletes the cluster's nodes; a second down finds none.
func TestFakeClusterDown(t *testing.T) {
	c := newClusterEnv(t, 1)
	c.up()
	res, err := c.env.Down(c.ctx(), false)
	if err != nil || !res.Cluster || !res.Network {
		t.Fatalf("down: %+v, %v", res, err)
	}
	if ns := c.kind.Nodes("kt"); len(ns) != 0 {
		t.Errorf("%d nodes are left", len(ns))
	}
	if res, err = c.env.Down(c.ctx(), false); err != nil || res.Cluster {
		t.Fatalf("second down: %+v, %v", res, err)
	}
	if !strings.Contains(c.log.String(), "Cluster kt: none") {
		t.Errorf("progress:\n%s", c.log)
	}
}
