// Package env is kdev's orchestrator: it reconciles an environment's desired state (the
// configuration) with what Docker holds (found by label), piece by piece, and reports
// progress through an interface that the terminal UI implements.
package env

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/lock"
	"github.com/kdev-dev/kdev/internal/registry"
)

// Progress receives what the orchestrator does, step by step.
type Progress interface {
	// Step announces a step; the returned function ends it with a result line or an error.
	Step(title string) func(result string, err error)
	// Warn reports something the user should know that does not stop the work.
	Warn(msg string)
}

// Env is one environment and the tools to act on it.
type Env struct {
	Config   *config.Environment
	Docker   docker.API
	Progress Progress
	// Cluster manages the cluster; nil means an environment of mirrors and registry only.
	Cluster Clusters
	// Recreate lets up replace a cluster whose node image or size no longer matches.
	Recreate bool
	// Wait bounds the wait for nodes to be Ready; 0 means five minutes.
	Wait time.Duration
	// Locks serialize runs that change the same things (the zero value locks nothing);
	// LockTimeout bounds the wait for one (0: as long as ctx allows).
	Locks       lock.Locks
	LockTimeout time.Duration
	// Proxy is what the mirrors reach their upstreams through (none when unset).
	Proxy docker.Proxy
}

// Clusters is what env needs of the cluster provider: kind (cluster.Kind), or a fake
// in tests. Nodes, and what runs in them, are cluster.Node.
type Clusters interface {
	Exists(name string) (bool, error)
	// Observe describes the named cluster from its nodes; nil when it has none.
	Observe(ctx context.Context, api docker.API, name string) (*cluster.Observed, error)
	// Create makes the cluster and waits for its control plane to be Ready.
	Create(ctx context.Context, o cluster.CreateOptions) error
	// Delete removes the cluster's nodes; a missing cluster is no error.
	Delete(name string) error
}

// Lock names: one per environment, held by a whole up or down; one for choosing and
// creating networks (two environments must not pick one free subnet); one for the
// shared mirrors (environments that share a mirror must not create it twice).
const (
	lockNetworks = "networks"
	lockMirrors  = "mirrors"
)

func envLock(name string) string { return "env-" + name }

// mirrorsLocked takes the shared mirrors' lock and lists every mirror under it; the
// caller releases the lock when it has changed what it meant to.
func (e *Env) mirrorsLocked(ctx context.Context) ([]*registry.Observed, func(), error) {
	release, err := e.acquire(ctx, lockMirrors, "the shared mirrors")
	if err != nil {
		return nil, nil, err
	}
	mirrors, err := registry.Mirrors(ctx, e.Docker)
	if err != nil {
		release()
		return nil, nil, err
	}
	return mirrors, release, nil
}

// acquire takes a lock, saying what it waits for when another run holds it.
func (e *Env) acquire(ctx context.Context, name, what string) (func(), error) {
	if e.LockTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.LockTimeout)
		defer cancel()
	}
	release, err := e.Locks.Acquire(ctx, name, func() {
		e.Progress.Warn(fmt.Sprintf("another kdev run holds %s; waiting for it to finish", what))
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w: another kdev run held %s for longer than %s; is one stuck? (--lock-timeout sets the wait)", err, what, e.LockTimeout)
	}
	return release, err
}

// access gathers how m's mirror reaches its upstream: its password, the authorities it
// trusts, and the proxy. A mirror only connects out to its upstream, and a mirror is
// shared by environments, so its NO_PROXY adds only loopback, never one environment's
// network: two environments would otherwise re-create their shared mirror in turn.
func (e *Env) access(m config.Mirror) (registry.Access, error) {
	pw, err := password(m)
	if err != nil {
		return registry.Access{}, err
	}
	ca, err := e.Config.CABundle(m)
	if err != nil {
		return registry.Access{}, err
	}
	return registry.Access{Password: pw, CA: ca, Env: e.proxyEnv()}, nil
}

// proxyEnv is the proxy environment of every mirror, and of the probes that ask an
// upstream as a mirror would.
func (e *Env) proxyEnv() []string { return e.Proxy.Env("localhost", "127.0.0.1") }

// password reads a mirror's upstream password from its file or environment variable.
func password(m config.Mirror) (string, error) {
	c := m.Credentials
	if c == nil {
		return "", nil
	}
	if c.PasswordEnv != "" {
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("mirror %s: environment variable %s, named by credentials.passwordEnv, is empty or unset", m.Registry, c.PasswordEnv)
		}
		return v, nil
	}
	// A password file that cannot be read is bad input, as the configuration is.
	field := fmt.Sprintf("mirrors[%s].credentials.passwordFile", m.Registry)
	path, err := config.ExpandPath(c.PasswordFile)
	if err != nil {
		return "", &config.Error{Field: field, Msg: err.Error()}
	}
	b, err := config.ReadSmallFile(path)
	if err != nil {
		return "", &config.Error{Field: field, Msg: err.Error()}
	}
	return strings.TrimSpace(string(b)), nil
}

// envNetworks maps each kdev network on the machine to the environment that owns it.
func envNetworks(ctx context.Context, api docker.API) (map[string]string, error) {
	res, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: docker.Filter(docker.RoleNetwork)})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	out := map[string]string{}
	for _, n := range res.Items {
		out[n.Name] = n.Labels[docker.LabelEnv]
	}
	return out, nil
}

// mirrorsByRegistry returns the mirrors this environment's configuration names, by
// registry host (unique within one environment). Another environment's mirror of the
// same registry from another upstream is a different container, and is not among them.
func mirrorsByRegistry(ctx context.Context, api docker.API, ms []config.Mirror) (map[string]*registry.Observed, error) {
	mirrors, err := registry.Mirrors(ctx, api)
	if err != nil {
		return nil, err
	}
	byName := map[string]*registry.Observed{}
	for _, o := range mirrors {
		byName[o.Name] = o
	}
	by := map[string]*registry.Observed{}
	for _, m := range ms {
		if o := byName[registry.MirrorName(m)]; o != nil {
			by[m.Registry] = o
		}
	}
	return by, nil
}
