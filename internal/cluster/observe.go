package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

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
	// Ready is whether the API server answered /readyz; set by Ready.
	Ready bool `json:"ready"`

	nodes []nodes.Node
	cp    nodes.Node
}

// Observe describes the cluster's nodes; nil when it has none.
func (k *Kind) Observe(ctx context.Context, api docker.API, name string) (*Observed, error) {
	ns, err := k.Nodes(name)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	o := &Observed{Name: name, Running: true, nodes: ns}
	seen := map[string]bool{}
	for _, n := range ns {
		o.Nodes = append(o.Nodes, n.String())
		role, err := n.Role()
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n, err)
		}
		ins, err := api.ContainerInspect(ctx, n.String(), client.ContainerInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("inspect node %s: %w", n, err)
		}
		c := ins.Container
		if c.State == nil || !c.State.Running {
			o.Running = false
		}
		if c.Config != nil && !seen[c.Config.Image] {
			seen[c.Config.Image] = true
			o.Images = append(o.Images, c.Config.Image)
		}
		switch role {
		case "control-plane":
			o.ControlPlane, o.cp = n.String(), n
			if c.NetworkSettings != nil {
				for net := range c.NetworkSettings.Networks {
					o.Networks = append(o.Networks, net)
				}
			}
		case "worker":
			o.Workers++
		}
	}
	return o, nil
}

// NodeList returns the observed nodes, for wiring.
func (o *Observed) NodeList() []nodes.Node { return o.nodes }

// ControlPlaneNode returns the control-plane node, or nil.
func (o *Observed) ControlPlaneNode() nodes.Node { return o.cp }

// CheckReady asks the API server for /readyz through the control plane's kubectl.
func (o *Observed) CheckReady(ctx context.Context) error {
	if o.cp == nil {
		return fmt.Errorf("cluster %s has no control-plane node", o.Name)
	}
	out, err := Kubectl(ctx, o.cp, "", "get", "--raw", "/readyz")
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) != "ok" {
		return fmt.Errorf("the API server of %s is not ready: %s", o.Name, strings.TrimSpace(out))
	}
	o.Ready = true
	return nil
}
