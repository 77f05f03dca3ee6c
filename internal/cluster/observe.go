package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// Observed is an existing cluster as seen from its node containers.
type Observed struct {
	Name         string   `json:"name"`
	Nodes        []string `json:"nodes"`
	ControlPlane string   `json:"controlPlane"`
	Workers      int      `json:"workers"`
	// Images are the node images in use, usually one.
	Images []string `json:"images"`
	// Networks are the Docker networks the control plane is attached to.
	Networks []string `json:"networks"`
	// Running is false when any node container is not running.
	Running bool `json:"running"`
	// State sums up the node containers: running, starting (Docker is restarting one),
	// stopped (one exited, as after a Docker or machine restart) or incomplete (one was
	// created and never started: an interrupted create).
	State string `json:"state"`
	// StartedAt is when the last node container (re)started.
	StartedAt time.Time `json:"startedAt"`
	// Ready is whether the API server answered /readyz; set by Ready.
	Ready bool `json:"ready"`

	nodes []Node
	cp    Node
	// api is where this machine reaches the API server (host:port), "" when unpublished.
	api string
}

// roleLabel is where kind records a node's role on its container.
const roleLabel = "io.x-k8s.kind.role"

// Observe describes the cluster's nodes; nil when it has none.
func (k *Kind) Observe(ctx context.Context, api docker.API, name string) (*Observed, error) {
	ns, err := k.provider.ListNodes(name)
	if err != nil {
		return nil, fmt.Errorf("list nodes of cluster %q: %w", name, err)
	}
	wrapped := make([]Node, len(ns))
	for i, n := range ns {
		wrapped[i] = kindNode{n: n}
	}
	return ObserveNodes(ctx, api, name, wrapped)
}

// ObserveNodes describes a cluster from its nodes' containers; nil when it has none.
// Each node's role is read from its container's label.
func ObserveNodes(ctx context.Context, api docker.API, name string, ns []Node) (*Observed, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	o := &Observed{Name: name, Running: true, State: StateRunning}
	seen := map[string]bool{}
	for _, n := range ns {
		o.Nodes = append(o.Nodes, n.Name())
		ins, err := api.ContainerInspect(ctx, n.Name(), client.ContainerInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("inspect node %s: %w", n.Name(), err)
		}
		c := ins.Container
		// kind's own Role() runs `docker inspect` again for the same label.
		var role string
		if c.Config != nil {
			role = c.Config.Labels[roleLabel]
		}
		if k, ok := n.(kindNode); ok {
			k.role = role
			n = k
		}
		o.nodes = append(o.nodes, n)
		if c.State == nil || !c.State.Running {
			o.Running = false
		}
		o.noteState(c.State)
		if c.Config != nil && !seen[c.Config.Image] {
			seen[c.Config.Image] = true
			o.Images = append(o.Images, c.Config.Image)
		}
		switch role {
		case "control-plane":
			o.ControlPlane, o.cp = n.Name(), n
			if c.NetworkSettings != nil {
				for nw := range c.NetworkSettings.Networks {
					o.Networks = append(o.Networks, nw)
				}
				o.api = publishedAPI(c.NetworkSettings.Ports)
			}
		case "worker":
			o.Workers++
		}
	}
	return o, nil
}

// Cluster states, from the node containers' Docker states.
const (
	StateRunning    = "running"
	StateStarting   = "starting"
	StateStopped    = "stopped"
	StateIncomplete = "incomplete"
)

// stateRank orders the states: a cluster is in the worst state of its nodes.
var stateRank = map[string]int{StateRunning: 0, StateStarting: 1, StateStopped: 2, StateIncomplete: 3}

func (o *Observed) noteState(st *container.State) {
	s := StateStopped
	switch {
	case st == nil:
	case st.Status == container.StateCreated:
		s = StateIncomplete
	case st.Restarting:
		s = StateStarting
	case st.Running && !st.Paused:
		s = StateRunning
		if t, err := time.Parse(time.RFC3339Nano, st.StartedAt); err == nil && t.After(o.StartedAt) {
			o.StartedAt = t
		}
	}
	if stateRank[s] > stateRank[o.State] {
		o.State = s
	}
}

// NodeList returns the observed nodes, for wiring.
func (o *Observed) NodeList() []Node { return o.nodes }

// ControlPlaneNode returns the control-plane node, or nil.
func (o *Observed) ControlPlaneNode() Node { return o.cp }

// CheckReady asks the API server for /readyz: through its published port when this
// machine reaches it (a few milliseconds), else from inside the control-plane node.
func (o *Observed) CheckReady(ctx context.Context) error {
	if o.cp == nil {
		return fmt.Errorf("cluster %s has no control-plane node", o.Name)
	}
	if o.api != "" && readyz(ctx, o.api) {
		o.Ready = true
		return nil
	}
	out, err := o.cp.Readyz(ctx)
	if err != nil {
		return err
	}
	if out != "ok" {
		return fmt.Errorf("the API server of %s is not ready: %s", o.Name, out)
	}
	o.Ready = true
	return nil
}

// publishedAPI returns where the API server's port 6443 is published, 127.0.0.1 for a
// wildcard address, or "".
func publishedAPI(ports network.PortMap) string {
	for _, b := range ports[network.MustParsePort("6443/tcp")] {
		host := "127.0.0.1"
		if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
			host = b.HostIP.String()
		}
		if b.HostPort != "" {
			return net.JoinHostPort(host, b.HostPort)
		}
	}
	return ""
}

// readyz reports whether the API server at addr answers /readyz with "ok". It sends no
// credentials (/readyz is public) and skips verifying the serving certificate: the
// answer is only a readiness signal, and a "no" falls back to asking inside the node.
func readyz(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/readyz", nil)
	if err != nil {
		return false
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok"
}
