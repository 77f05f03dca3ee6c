package cluster

import (
	"context"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// Node is one node of a cluster as the rest of kdev sees it: its name, its role, and
// the operations kdev runs in it, each with a typed result. The kind-backed node runs
// them as commands in the node container (nodeops.go, where every in-node command
// lives); tests use a fake (clusterfake). kind's own node type never leaves this package.
type Node interface {
	Name() string
	// Role is "control-plane" or "worker".
	Role() string

	// ReadWiring reads the content of the files at paths, the paths of every file kdev
	// wrote under templates.CertsDir, and containerd's own account of its configuration.
	ReadWiring(ctx context.Context, paths []string) (Wiring, error)
	// WriteFile replaces a file (making its directory), so that a reader never sees
	// half of it.
	WriteFile(ctx context.Context, path, content string) error
	// RemoveFile removes a file; a missing one is no error.
	RemoveFile(ctx context.Context, path string) error
	// ReadFile returns a file's content, "" when it is absent.
	ReadFile(ctx context.Context, path string) (string, error)
	// Resolve says which hosts Docker's DNS answers in the node and, when localURL is
	// not "", whether the local registry answers there.
	Resolve(ctx context.Context, hosts []string, localURL string) (Reach, error)
	// ProbeUpstreams asks each upstream's /v2/ from the node, which sits on the
	// mirrors' network and so sees the upstreams as they do (an upstream that only
	// resolves inside the network included), trusting what the mirror trusts and
	// through its proxy. Per URL: "" when it answered with any HTTP status in time, a
	// reason starting with "slow" when it answered after SlowUpstream, else why not.
	// All are asked at once, each for up to timeout (kdev.yaml's upstreamProbeTimeout):
	// a slow upstream is not a dead one.
	ProbeUpstreams(ctx context.Context, ups []Upstream, timeout time.Duration) (map[string]string, error)
	// RemoveImages deletes images from the node's CRI store under every name that
	// points at them (tag, digest and ID references alike) and collects their content,
	// so that the next pull fetches every blob again. PullViaPod creates no container,
	// so none holds the images' snapshots; a container of the user's that runs a canary
	// image does, and then a pull needs no layer (verify.Judge passes it with a note).
	RemoveImages(ctx context.Context, images []string) error
	// TriedNextHost reports, per host, whether containerd logged "trying next host"
	// for it since a time: containerd's own word that it went past a mirror.
	TriedNextHost(ctx context.Context, since time.Time, hosts []string) (map[string]bool, error)

	// The operations below ask the API server, so they run on a control-plane node.

	// Kubectl runs kubectl with the admin kubeconfig and returns its standard output.
	Kubectl(ctx context.Context, stdin string, args ...string) (string, error)
	// PullViaPod makes the named node's kubelet pull images through CRI, as it pulls
	// any pod's image, with a pod of that name that it deletes afterwards (canary.go).
	PullViaPod(ctx context.Context, node string, images []string, pod string) ([]PodPull, error)
	// Readyz returns the API server's answer to /readyz, asked from inside the node.
	Readyz(ctx context.Context) (string, error)
	// KubeconfigWritten reports whether kubeadm wrote the admin kubeconfig.
	KubeconfigWritten(ctx context.Context) (bool, error)
}

// Wiring is what ReadWiring found in a node.
type Wiring struct {
	// Files is the content of each file asked for, "" when absent.
	Files map[string]string
	// Ours are the files kdev wrote under templates.CertsDir, found by their marker
	// (hosts.toml) or name (the CA file beside it).
	Ours       []string
	Containerd Containerd
}

// Reach is what Resolve found.
type Reach struct {
	// Resolves is true for each host that Docker's DNS answers in the node.
	Resolves map[string]bool
	// Local is whether the local registry answered /v2/ from the node.
	Local bool
}

// kindNode is a node of a kind cluster.
type kindNode struct {
	n nodes.Node
	// role is known when it was read from the container's labels; else kind asks Docker.
	role string
}

func (k kindNode) Name() string { return k.n.String() }

func (k kindNode) Role() string {
	if k.role != "" {
		return k.role
	}
	r, _ := k.n.Role()
	return r
}

// ControlPlane returns the first control-plane node of ns, or nil.
func ControlPlane(ns []Node) Node {
	for _, n := range ns {
		if n.Role() == "control-plane" {
			return n
		}
	}
	return nil
}
