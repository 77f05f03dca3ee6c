package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	"sigs.k8s.io/kind/pkg/log"
)

// networkEnv is how kind is told which Docker network to put nodes on.
const networkEnv = "KIND_EXPERIMENTAL_DOCKER_NETWORK"

// Kind runs kind's library for one environment.
type Kind struct {
	provider *kindcluster.Provider
	// Log receives kind's own progress lines; nil discards them.
	Log func(string)
}

// New returns a kind provider on Docker. kind runs the docker CLI, so it must be on PATH.
func New(logf func(string)) *Kind {
	k := &Kind{Log: logf}
	k.provider = kindcluster.NewProvider(kindcluster.ProviderWithDocker(), kindcluster.ProviderWithLogger(logger{k}))
	return k
}

// Exists reports whether a cluster of that name exists (any of its nodes).
func (k *Kind) Exists(name string) (bool, error) {
	list, err := k.provider.List()
	if err != nil {
		return false, fmt.Errorf("list kind clusters: %w", err)
	}
	for _, n := range list {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// Nodes returns the cluster's nodes.
func (k *Kind) Nodes(name string) ([]Node, error) {
	ns, err := k.provider.ListNodes(name)
	if err != nil {
		return nil, fmt.Errorf("list nodes of cluster %q: %w", name, err)
	}
	out := make([]Node, len(ns))
	for i, n := range ns {
		out[i] = kindNode{n: n}
	}
	return out, nil
}

// CreateOptions are what a new cluster is made from.
type CreateOptions struct {
	Name       string
	Network    string
	NodeImage  string
	KindConfig []byte
	Wait       time.Duration
}

// createMu serialises creations: kind reads the network from the process environment.
var createMu sync.Mutex

// Create makes the cluster on the given network and waits for its control plane to be
// Ready. kind's library takes no context, so it runs in a goroutine; when ctx ends
// first, the nodes are deleted, kind's run is waited for (it fails fast once its
// nodes are gone), and the nodes are deleted again: a `docker run` kind had in flight
// may have made a node after the first delete. Then ctx's error is returned.
func (k *Kind) Create(ctx context.Context, o CreateOptions) error {
	createMu.Lock()
	defer createMu.Unlock()
	prev, had := os.LookupEnv(networkEnv)
	if err := os.Setenv(networkEnv, o.Network); err != nil {
		return err
	}
	defer func() {
		if had {
			_ = os.Setenv(networkEnv, prev)
		} else {
			_ = os.Unsetenv(networkEnv)
		}
	}()
	done := make(chan error, 1)
	go func() {
		// kind's own wait for Ready indexes the control planes it lists, and panics when
		// they were deleted under it: kdev waits itself, and no panic of kind's may take
		// the process down.
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("kind panicked: %v", p)
			}
		}()
		done <- k.provider.Create(o.Name,
			kindcluster.CreateWithRawConfig(o.KindConfig),
			kindcluster.CreateWithNodeImage(o.NodeImage),
			kindcluster.CreateWithDisplayUsage(false),
			kindcluster.CreateWithDisplaySalutation(false))
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("create cluster %q: %w", o.Name, withOutput(err))
		}
	case <-ctx.Done():
		return k.abandon(o.Name, done, ctx.Err())
	}
	if err := k.waitReady(ctx, o.Name, o.Wait); err != nil {
		if ctx.Err() != nil {
			return k.abandon(o.Name, nil, ctx.Err())
		}
		return err
	}
	return nil
}

// abandonWait bounds the wait for kind's interrupted run to return.
const abandonWait = 2 * time.Minute

// abandon removes a cluster whose creation was interrupted, waiting for kind's run
// (when done is not nil) so that nothing it makes afterwards is left behind.
func (k *Kind) abandon(name string, done <-chan error, cause error) error {
	_ = k.Delete(name)
	if done != nil {
		select {
		case <-done:
		case <-time.After(abandonWait):
			return fmt.Errorf("create cluster %q interrupted; kind did not stop within %s, so some of its nodes may remain: run kdev up or kdev down again: %w", name, abandonWait, cause)
		}
		if err := k.Delete(name); err != nil {
			return fmt.Errorf("create cluster %q interrupted; removing its nodes failed (%v): run kdev down: %w", name, err, cause)
		}
	}
	return fmt.Errorf("create cluster %q interrupted; its nodes were removed: %w", name, cause)
}

// waitReady waits until the cluster's control plane reports Ready, as kind's own wait
// does, but ends with ctx.
func (k *Kind) waitReady(ctx context.Context, name string, limit time.Duration) error {
	ns, err := k.Nodes(name)
	if err != nil {
		return err
	}
	cp := ControlPlane(ns)
	if cp == nil {
		return fmt.Errorf("cluster %q has no control-plane node", name)
	}
	logger{k}.emit(fmt.Sprintf("Waiting up to %s for the control plane to be Ready", limit))
	deadline := time.Now().Add(limit)
	for {
		out, err := controlPlaneReady(ctx, cp)
		if err == nil && controlPlaneIsReady(out) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %q: the control plane was not Ready within %s (last: %q, %v)", name, limit, strings.TrimSpace(out), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// deleteTries bounds Delete's attempts. Docker can fail to remove a node ("tried to
// kill container, but did not receive an exit event", seen in CI when a node was
// deleted right after it started): see thawNodes for the cause kdev can mend.
const deleteTries = 3

// Delete removes the cluster's nodes and its kubeconfig context. A missing cluster is no error.
func (k *Kind) Delete(name string) error {
	var err error
	for try := 1; try <= deleteTries; try++ {
		if err = k.provider.Delete(name, ""); err == nil {
			return nil
		}
		if try < deleteTries {
			if ns, lerr := k.provider.ListNodes(name); lerr == nil {
				names := make([]string, len(ns))
				for i, n := range ns {
					names[i] = n.String()
				}
				if n := thawNodes(names); n > 0 && k.Log != nil {
					k.Log(fmt.Sprintf("thawed %d frozen cgroups of cluster %s's nodes so that they can be removed", n, name))
				}
			}
			time.Sleep(2 * time.Second)
		}
	}
	return fmt.Errorf("delete cluster %q (tried %d times): %w", name, deleteTries, withOutput(err))
}

// KubeConfig returns the cluster's kubeconfig for use from this machine.
func (k *Kind) KubeConfig(name string) (string, error) {
	return k.provider.KubeConfig(name, false)
}

// CollectLogs exports the cluster's logs into dir, as `kind export logs` does.
func (k *Kind) CollectLogs(name, dir string) error {
	return k.provider.CollectLogs(name, dir)
}

// withOutput adds what a failed command printed to kind's error, which hides it.
func withOutput(err error) error {
	var re *kindexec.RunError
	if errors.As(err, &re) && len(re.Output) > 0 {
		return fmt.Errorf("%w\n%s", err, strings.TrimSpace(string(re.Output)))
	}
	return err
}

// logger forwards kind's messages to Kind.Log.
type logger struct{ k *Kind }

func (l logger) emit(s string) {
	if l.k.Log != nil {
		l.k.Log(strings.TrimSpace(s))
	}
}
func (l logger) Warn(m string)                { l.emit(m) }
func (l logger) Warnf(f string, a ...any)     { l.emit(fmt.Sprintf(f, a...)) }
func (l logger) Error(m string)               { l.emit(m) }
func (l logger) Errorf(f string, a ...any)    { l.emit(fmt.Sprintf(f, a...)) }
func (l logger) V(v log.Level) log.InfoLogger { return info{l, v <= 0} }

type info struct {
	l  logger
	on bool
}

func (i info) Info(m string) {
	if i.on {
		i.l.emit(m)
	}
}
func (i info) Infof(f string, a ...any) {
	if i.on {
		i.l.emit(fmt.Sprintf(f, a...))
	}
}
func (i info) Enabled() bool { return i.on }
