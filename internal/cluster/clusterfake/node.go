package clusterfake

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/containerd"
	"github.com/kdev-dev/kdev/templates"
)

var _ cluster.Node = (*Node)(nil)

// Node is one fake node: its files and images, and what it answers.
type Node struct {
	c          *Clusters
	name, role string

	// The fields below are under c.mu.
	files      map[string]string
	images     map[string]bool
	containerd cluster.Containerd
	// pulls are the images the kubelet pulled here, in order.
	pulls []string
	// nextHost is when containerd last went past each mirror host.
	nextHost map[string]time.Time
	notReady bool
}

// Reads is the account of a containerd that reads kdev's hosts.toml files.
func Reads() cluster.Containerd {
	return cluster.Containerd{Reads: true, Registry: containerd.Registry{Version: "2.3.4", ConfigVersion: 3, ConfigPath: templates.CertsDir}}
}

func (n *Node) Name() string { return n.name }
func (n *Node) Role() string { return n.role }

// exec fails as `docker exec` does in a container that is not running.
func (n *Node) exec() error {
	if ct, ok := n.c.docker.Container(n.name); !ok || ct.State != "running" {
		return fmt.Errorf("%s: container is not running", n.name)
	}
	return nil
}

// File returns a file's content in the node, and whether it exists.
func (n *Node) File(p string) (string, bool) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	s, ok := n.files[p]
	return s, ok
}

// SetFile writes a file behind kdev's back ("" content and remove to delete it).
func (n *Node) SetFile(p, content string, remove bool) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if remove {
		delete(n.files, p)
		return
	}
	n.files[p] = content
}

// SetContainerd sets the node's containerd's account of its configuration.
func (n *Node) SetContainerd(c cluster.Containerd) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.containerd = c
}

// Pulls returns the images the node's kubelet pulled, in order.
func (n *Node) Pulls() []string {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return slices.Clone(n.pulls)
}

// SetNotReady makes the API server not answer /readyz from this node.
func (n *Node) SetNotReady(v bool) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.notReady = v
}

func (n *Node) ReadWiring(ctx context.Context, paths []string) (cluster.Wiring, error) {
	if err := n.exec(); err != nil {
		return cluster.Wiring{}, err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	w := cluster.Wiring{Files: map[string]string{}, Containerd: n.containerd}
	for _, p := range paths {
		w.Files[p] = n.files[p]
	}
	for _, p := range slices.Sorted(maps.Keys(n.files)) {
		dir, base := path.Split(p)
		if path.Dir(path.Clean(dir)) != templates.CertsDir {
			continue
		}
		if (base == "hosts.toml" && strings.Contains(n.files[p], cluster.Marker)) || base == templates.CAFileName {
			w.Ours = append(w.Ours, p)
		}
	}
	return w, nil
}

func (n *Node) WriteFile(ctx context.Context, p, content string) error {
	if err := n.exec(); err != nil {
		return err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.files[p] = content
	n.c.writes++
	return nil
}

func (n *Node) RemoveFile(ctx context.Context, p string) error {
	if err := n.exec(); err != nil {
		return err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if _, ok := n.files[p]; ok {
		delete(n.files, p)
		n.c.writes++
	}
	return nil
}

func (n *Node) ReadFile(ctx context.Context, p string) (string, error) {
	if err := n.exec(); err != nil {
		return "", err
	}
	s, _ := n.File(p)
	return s, nil
}

// Resolve answers as Docker's DNS does: a container resolves when it runs on one of
// the node's networks.
func (n *Node) Resolve(ctx context.Context, hosts []string, localURL string) (cluster.Reach, error) {
	if err := n.exec(); err != nil {
		return cluster.Reach{}, err
	}
	r := cluster.Reach{Resolves: map[string]bool{}}
	for _, h := range hosts {
		r.Resolves[h] = n.c.reachable(n.name, h)
	}
	if localURL != "" {
		if u, err := url.Parse(localURL); err == nil {
			r.Local = n.c.reachable(n.name, u.Hostname())
		}
	}
	return r, nil
}

func (n *Node) ProbeUpstreams(ctx context.Context, ups []cluster.Upstream, timeout time.Duration) (map[string]string, error) {
	if err := n.exec(); err != nil {
		return nil, err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.c.probeTimeouts = append(n.c.probeTimeouts, timeout)
	out := map[string]string{}
	for _, u := range ups {
		out[u.URL] = n.c.probes[u.URL]
	}
	return out, nil
}

func (n *Node) RemoveImages(ctx context.Context, images []string) error {
	if err := n.exec(); err != nil {
		return err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	for _, img := range images {
		delete(n.images, img)
	}
	return nil
}

func (n *Node) TriedNextHost(ctx context.Context, since time.Time, hosts []string) (map[string]bool, error) {
	if err := n.exec(); err != nil {
		return nil, err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	out := map[string]bool{}
	for _, h := range hosts {
		if t, ok := n.nextHost[h]; ok && !t.Before(since.Add(-time.Second)) {
			out[h] = true
		}
	}
	return out, nil
}

func (n *Node) Kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	if err := n.exec(); err != nil {
		return "", err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.c.kubectl = append(n.c.kubectl, strings.Join(args, " ")+"\n"+stdin)
	return "", nil
}

func (n *Node) Readyz(ctx context.Context) (string, error) {
	if err := n.exec(); err != nil {
		return "", err
	}
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if n.notReady {
		return "[-]etcd failed: reason withheld\nreadyz check failed", nil
	}
	return "ok", nil
}

func (n *Node) KubeconfigWritten(ctx context.Context) (bool, error) {
	if err := n.exec(); err != nil {
		return false, err
	}
	return true, nil
}
