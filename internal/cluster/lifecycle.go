package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// Start starts the node containers that are not running (a Docker or machine restart
// left them exited). kind's nodes keep their state in their containers and volumes, so
// a started node resumes its cluster, workloads included.
func (o *Observed) Start(ctx context.Context, api docker.API) error {
	for _, n := range o.nodes {
		ins, err := api.ContainerInspect(ctx, n.Name(), client.ContainerInspectOptions{})
		if err != nil {
			return fmt.Errorf("inspect node %s: %w", n.Name(), err)
		}
		if st := ins.Container.State; st != nil && (st.Running || st.Restarting) {
			continue
		}
		if _, err := api.ContainerStart(ctx, n.Name(), client.ContainerStartOptions{}); err != nil {
			return fmt.Errorf("start node %s: %w", n.Name(), err)
		}
	}
	return nil
}

// Initialized reports whether kubeadm finished writing the control plane's admin
// kubeconfig: nodes without it were left by a create that never got that far.
func (o *Observed) Initialized(ctx context.Context) (bool, error) {
	if o.cp == nil {
		return false, nil
	}
	return o.cp.KubeconfigWritten(ctx)
}

// WaitAnswer waits, up to limit, for the API server to answer /readyz: the time a
// (re)started node needs for its kubelet to bring the static pods back.
func (o *Observed) WaitAnswer(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := o.CheckReady(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API server of %s did not answer within %s: %w", o.Name, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
