package registry

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// LocalResult is what EnsureLocal observed and did.
type LocalResult struct {
	Container *Observed `json:"container"`
	Action    Action    `json:"action"`
	Port      int       `json:"port"`
}

// EnsureLocal makes the environment's local registry run on 127.0.0.1:port, attached to net.
func EnsureLocal(ctx context.Context, api docker.API, env string, port int, image, net string) (LocalResult, error) {
	res := LocalResult{Port: port}
	spec, err := LocalSpec(env, port, image)
	if err != nil {
		return res, err
	}
	cur, err := inspect(ctx, api, spec.Name)
	if err != nil {
		return res, err
	}
	if err := localPortFree(ctx, api, cur, spec.Name, port); err != nil {
		return res, err
	}
	obs, action, err := ensure(ctx, api, spec, []string{net}, cur)
	if err != nil {
		return res, err
	}
	res.Container, res.Action = obs, action
	if ready, out := waitReady(ctx, api, obs); !ready {
		return res, fmt.Errorf("local registry %s did not become ready; its last lines:\n%s", spec.Name, lastLines(out, 8))
	}
	return res, nil
}

// CheckLocalPort fails with a PortInUseError when the environment's local registry
// would need port and something else holds it: up asks before it creates anything.
func CheckLocalPort(ctx context.Context, api docker.API, env string, port int) error {
	name := LocalName(env)
	cur, err := inspect(ctx, api, name)
	if err != nil {
		return err
	}
	return localPortFree(ctx, api, cur, name, port)
}

func localPortFree(ctx context.Context, api docker.API, cur *Observed, name string, port int) error {
	if cur != nil && cur.APIPort == port {
		return nil
	}
	return portFree(ctx, api, port, name)
}

// PortInUseError says which container or process holds the local registry's port.
type PortInUseError struct {
	Port      int
	Container string
}

func (e *PortInUseError) Error() string {
	if e.Container != "" {
		return fmt.Sprintf("port %d is already published by container %q: stop it (`docker stop %s`) or set localRegistry.port in kdev.yaml", e.Port, e.Container, e.Container)
	}
	return fmt.Sprintf("port %d on 127.0.0.1 is in use by another process: free it or set localRegistry.port in kdev.yaml", e.Port)
}

// portFree fails with a PortInUseError when a container other than self publishes port,
// or when something on this machine listens on it.
func portFree(ctx context.Context, api docker.API, port int, self string) error {
	list, err := api.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, c := range list.Items {
		name := ""
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		for _, p := range c.Ports {
			if int(p.PublicPort) == port && name != self {
				return &PortInUseError{Port: port, Container: name}
			}
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return &PortInUseError{Port: port}
	}
	return l.Close()
}
