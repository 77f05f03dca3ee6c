package env

import (
	"fmt"
	"path"
	"testing"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/cluster/clusterfake"
	"github.com/kdev-dev/kdev/templates"
)

// The cluster side of the unit tier: the orchestrator, unchanged, with clusterfake's
// nodes on the dockerfake engine, whose canary pulls go through the mirror their
// hosts.toml names and move its counters.

const fakeNodeImage = "kdev.local/node:v1.34.1"

// clusterEnv is an environment with a cluster of workers+1 nodes, two mirrors (a.test
// and b.test, with canaries) and the local registry.
type clusterEnv struct {
	*fakeEnv
	kind *clusterfake.Clusters
}

func newClusterEnv(t *testing.T, workers int) *clusterEnv {
	t.Helper()
	body := fmt.Sprintf("cluster:\n  workers: %d\n"+
		"mirrors:\n- registry: a.test\n  remoteURL: http://up-a.test:5000\n  canary: a.test/canary:1\n"+
		"- registry: b.test\n  remoteURL: http://up-b.test:5000\n  canary: b.test/tools/canary:2\n"+
		"localRegistry:\n  port: %d\n", workers, freePort(t))
	f := newFakeEnv(t, nil, "kt", body)
	f.fake.AddImage(fakeNodeImage, clusterfake.NodeImage())
	f.env.Config.Images.Node = fakeNodeImage
	kind := clusterfake.New(f.fake)
	f.env.Cluster = kind
	return &clusterEnv{fakeEnv: f, kind: kind}
}

// nodes are the cluster's nodes, control plane first.
func (c *clusterEnv) nodes() []*clusterfake.Node {
	c.t.Helper()
	out := c.kind.Nodes("kt")
	if len(out) == 0 {
		c.t.Fatalf("no node containers; containers: %v", c.fake.ContainerNames())
	}
	return out
}

// files are what every node must hold.
func (c *clusterEnv) files() []cluster.File {
	c.t.Helper()
	fs, err := c.env.hostsFiles()
	if err != nil {
		c.t.Fatal(err)
	}
	return fs
}

// wired fails unless every node holds exactly the files kdev writes.
func (c *clusterEnv) wired() {
	c.t.Helper()
	for _, n := range c.nodes() {
		for _, f := range c.files() {
			if got, ok := n.File(f.Path); !ok || got != f.Content {
				c.t.Errorf("node %s: %s is %q, want kdev's", n.Name(), f.Path, got)
			}
		}
	}
}

// upChangesNothing runs Up and fails unless it changed nothing in Docker or in a node.
func (c *clusterEnv) upChangesNothing() {
	c.t.Helper()
	writes := c.kind.Writes()
	c.fakeEnv.upChangesNothing()
	if w := c.kind.Writes(); w != writes {
		c.t.Fatalf("up on an environment that is up to date changed %d files in nodes", w-writes)
	}
}

// hostsPath is where a registry's hosts.toml lives in a node.
func hostsPath(reg string) string { return path.Join(templates.CertsDir, reg, "hosts.toml") }
