// Package clusterfake is an in-memory kind for the orchestrator's unit tests: clusters
// whose nodes are containers on a dockerfake engine (so observing, starting and
// inspecting networks see them as Docker would), each node a cluster.Node with its own
// files and images, whose canary pulls go through the mirror its hosts.toml names and
// move that mirror's counters as distribution's would.
package clusterfake

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"sigs.k8s.io/yaml"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockerfake"
)

// kind's labels on a node container: its cluster and its role.
const (
	clusterLabel = "io.x-k8s.kind.cluster"
	roleLabel    = "io.x-k8s.kind.role"
)

// NodeImage is a node image as the engine holds it: what kdev reads of it before it
// creates a cluster is kind's containerd config (version 2).
func NodeImage() dockerfake.Image {
	return dockerfake.Image{Files: map[string][]byte{"/etc/containerd/config.toml": []byte("version = 2\n")}}
}

// Clusters is the fake provider. Its methods are safe for concurrent use.
type Clusters struct {
	docker *dockerfake.Fake

	mu    sync.Mutex
	nodes map[string]*Node // by container name
	// mirrors are the proxies' caches and counters, by mirror container name.
	mirrors map[string]*mirror
	// probes answer ProbeUpstreams, by upstream URL ("" when unset: it answers);
	// probeTimeouts are the timeouts it was given, in order.
	probes        map[string]string
	probeTimeouts []time.Duration
	// pullErrs make the kubelet's pull of an image fail with a message.
	pullErrs map[string]string
	// kubectl records the kubectl commands run, with their input.
	kubectl []string
	// writes counts changes made to nodes' files.
	writes int
	// createErr, when set, is what the next Create returns (after making nothing).
	createErr error
}

type mirror struct {
	cached map[string]bool // images whose blobs it holds
	m      dockerfake.Metrics
}

// New returns a provider whose node containers live on d.
func New(d *dockerfake.Fake) *Clusters {
	return &Clusters{docker: d, nodes: map[string]*Node{}, mirrors: map[string]*mirror{},
		probes: map[string]string{}, pullErrs: map[string]string{}}
}

// Exists reports whether any node container of the cluster exists.
func (c *Clusters) Exists(name string) (bool, error) {
	return len(c.containers(name)) > 0, nil
}

// containers returns the names of the cluster's node containers, sorted.
func (c *Clusters) containers(name string) []string {
	var out []string
	for _, n := range c.docker.ContainerNames() {
		if ct, ok := c.docker.Container(n); ok && ct.Labels[clusterLabel] == name {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Observe describes the cluster from its node containers, as kind's provider does.
func (c *Clusters) Observe(ctx context.Context, api docker.API, name string) (*cluster.Observed, error) {
	var ns []cluster.Node
	for _, n := range c.containers(name) {
		ns = append(ns, c.node(n))
	}
	return cluster.ObserveNodes(ctx, api, name, ns)
}

// node returns the fake node of a container, made on first use.
func (c *Clusters) node(name string) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	if n == nil {
		ct, _ := c.docker.Container(name)
		n = &Node{c: c, name: name, role: ct.Labels[roleLabel], files: map[string]string{},
			images: map[string]bool{}, containerd: Reads()}
		c.nodes[name] = n
	}
	return n
}

// Nodes returns the nodes of the named cluster, sorted by name.
func (c *Clusters) Nodes(name string) []*Node {
	var out []*Node
	for _, n := range c.containers(name) {
		out = append(out, c.node(n))
	}
	return out
}

// Node returns the named node, or nil when no such node container exists.
func (c *Clusters) Node(name string) *Node {
	if _, ok := c.docker.Container(name); !ok {
		return nil
	}
	return c.node(name)
}

// Create makes the node containers kind would (named <name>-control-plane,
// <name>-worker, <name>-worker2...) from the kind config's nodes, on o.Network, and
// starts them. It makes nothing when the cluster exists or FailCreate was called.
func (c *Clusters) Create(ctx context.Context, o cluster.CreateOptions) error {
	c.mu.Lock()
	err := c.createErr
	c.createErr = nil
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if len(c.containers(o.Name)) > 0 {
		return fmt.Errorf("node(s) already exist for a cluster with the name %q", o.Name)
	}
	var kc struct {
		Nodes []struct {
			Role string `json:"role"`
		} `json:"nodes"`
	}
	if err := yaml.Unmarshal(o.KindConfig, &kc); err != nil {
		return fmt.Errorf("kind config: %w", err)
	}
	workers := 0
	for _, n := range kc.Nodes {
		name := o.Name + "-control-plane"
		if n.Role == "worker" {
			if workers++; workers > 1 {
				name = fmt.Sprintf("%s-worker%d", o.Name, workers)
			} else {
				name = o.Name + "-worker"
			}
		}
		_, err := c.docker.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name,
			Config:           &container.Config{Image: o.NodeImage, Labels: map[string]string{clusterLabel: o.Name, roleLabel: n.Role}},
			NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{o.Network: {}}}})
		if err == nil {
			_, err = c.docker.ContainerStart(ctx, name, client.ContainerStartOptions{})
		}
		if err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	return nil
}

// Delete removes the cluster's node containers and forgets their nodes.
func (c *Clusters) Delete(name string) error {
	for _, n := range c.containers(name) {
		if _, err := c.docker.ContainerRemove(context.Background(), n, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			return fmt.Errorf("delete node %s: %w", n, err)
		}
		c.mu.Lock()
		delete(c.nodes, n)
		c.mu.Unlock()
	}
	return nil
}

// FailCreate makes the next Create fail with err.
func (c *Clusters) FailCreate(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.createErr = err
}

// ProbeTimeouts are the timeouts ProbeUpstreams was given, in order.
func (c *Clusters) ProbeTimeouts() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.probeTimeouts)
}

// SetProbe makes ProbeUpstreams answer why for url ("" for an upstream that answers).
func (c *Clusters) SetProbe(url, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probes[url] = why
}

// FailPull makes every kubelet pull of image fail with msg.
func (c *Clusters) FailPull(image, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pullErrs[image] = msg
}

// Kubectl returns the kubectl commands run so far, each as its arguments and, after
// a newline, its input.
func (c *Clusters) Kubectl() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.kubectl...)
}

// Writes counts the files written or removed in nodes so far.
func (c *Clusters) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// reachable reports whether a container answers by name from a node: it is running
// and on one of the node's networks, as Docker's DNS needs.
func (c *Clusters) reachable(node, name string) bool {
	n, ok := c.docker.Container(node)
	m, ok2 := c.docker.Container(name)
	if !ok || !ok2 || m.State != "running" {
		return false
	}
	for _, nw := range m.Networks {
		if slices.Contains(n.Networks, nw) {
			return true
		}
	}
	return false
}
