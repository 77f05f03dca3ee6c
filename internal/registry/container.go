package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// Action says what Ensure did to a container.
type Action string

// Actions, from least to most disruptive.
const (
	Unchanged Action = "unchanged"
	Connected Action = "connected"
	// Restarted is a running container that was on no network, attached and restarted.
	Restarted Action = "restarted"
	Started   Action = "started"
	Created   Action = "created"
	Recreated Action = "recreated"
)

// Observed is a registry container as Docker reports it.
type Observed struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	State    string            `json:"state"`
	Image    string            `json:"image"`
	Labels   map[string]string `json:"-"`
	Networks []string          `json:"networks"`
	// APIPort and DebugPort are the host ports on 127.0.0.1, 0 when not published.
	APIPort   int `json:"apiPort,omitempty"`
	DebugPort int `json:"debugPort,omitempty"`
	// Created is when the container was made: a mirror is made again whenever its mode
	// changes, so for a mirror it is when its current mode began.
	Created time.Time `json:"created"`
	// StartedAt is when its process last started, as Docker writes it ("" when not
	// inspected): its logs since then are the current attempt's.
	StartedAt string `json:"-"`
}

// inspect returns the named container, or nil when there is none.
func inspect(ctx context.Context, api docker.API, name string) (*Observed, error) {
	res, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if docker.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspect container %q: %w", name, err)
	}
	c := res.Container
	o := &Observed{Name: strings.TrimPrefix(c.Name, "/"), ID: c.ID}
	o.Created, _ = time.Parse(time.RFC3339Nano, c.Created)
	if c.State != nil {
		o.State = string(c.State.Status)
		o.StartedAt = c.State.StartedAt
	}
	if c.Config != nil {
		o.Labels, o.Image = c.Config.Labels, c.Config.Image
	}
	if ns := c.NetworkSettings; ns != nil {
		for n := range ns.Networks {
			o.Networks = append(o.Networks, n)
		}
		sort.Strings(o.Networks)
		o.APIPort = hostPort(ns.Ports, registryPort)
		o.DebugPort = hostPort(ns.Ports, debugPort)
	}
	return o, nil
}

func hostPort(ports network.PortMap, port string) int {
	for _, b := range ports[network.MustParsePort(port+"/tcp")] {
		if p, err := strconv.Atoi(b.HostPort); err == nil {
			return p
		}
	}
	return 0
}

// ensure makes the container of spec exist, run, and be attached to every network in
// nets (the first is the one it is created on), starting from obs, what the caller just
// observed of it (nil when there is none). A container whose spec hash differs is
// re-created; its volume, and so its data, stays.
func ensure(ctx context.Context, api docker.API, spec Spec, nets []string, obs *Observed) (*Observed, Action, error) {
	var err error
	action := Unchanged
	if obs != nil {
		if obs.Labels[docker.LabelManaged] != "true" || obs.Labels[docker.LabelRole] != spec.Role {
			return nil, "", fmt.Errorf("a container named %q exists and kdev did not create it: remove or rename it (`docker rm -f %s`) and run kdev up again", spec.Name, spec.Name)
		}
		// A container that never started was left by a run interrupted while making
		// it, maybe before its config was copied in: started, it would be a plain,
		// open registry. It is made again.
		if obs.Labels[docker.LabelSpec] != spec.Labels[docker.LabelSpec] || obs.State == "created" {
			if err := remove(ctx, api, obs.ID); err != nil {
				return nil, "", err
			}
			obs, action = nil, Recreated
		}
	}
	if obs == nil {
		if action == Unchanged {
			action = Created
		}
		if err := create(ctx, api, spec, nets[0]); err != nil {
			return nil, "", err
		}
	}
	if obs, err = inspect(ctx, api, spec.Name); err != nil {
		return nil, "", err
	}
	// A running container that every environment detached (kdev down) kept its
	// keep-alive connections to the upstream, bound to an address it no longer has:
	// reused after it is attached again, they hang until the puller gives up (30 s for
	// containerd, which then goes around the mirror). A restart drops them. A running one
	// whose published port does not answer is restarted too: after a plain `docker
	// network disconnect` from the network it was made on (kdev's own detach forces it
	// and Docker publishes the port anew), Docker 20.10 leaves the port unpublished.
	stale := obs.State == "running" && (len(obs.Networks) == 0 || !answers(obs.APIPort))
	for _, n := range nets {
		if slices.Contains(obs.Networks, n) {
			continue
		}
		if _, err := api.NetworkConnect(ctx, n, client.NetworkConnectOptions{Container: obs.ID}); err != nil {
			return nil, "", fmt.Errorf("connect %s to network %q: %w", spec.Name, n, err)
		}
		if action == Unchanged {
			action = Connected
		}
	}
	if stale && len(nets) > 0 {
		if _, err := api.ContainerRestart(ctx, obs.ID, client.ContainerRestartOptions{}); err != nil {
			return nil, "", fmt.Errorf("restart %s: %w", spec.Name, err)
		}
		action = Restarted
	}
	switch obs.State {
	case "running":
	case "restarting":
		// Docker is between two tries of a container that keeps exiting (a mirror whose
		// upstream was down when Docker started it, before the network was up): a try
		// now, not after Docker's growing back-off, tells how things are now.
		if _, err := api.ContainerRestart(ctx, obs.ID, client.ContainerRestartOptions{}); err != nil {
			return nil, "", fmt.Errorf("restart %s: %w", spec.Name, err)
		}
		action = Restarted
	default:
		if _, err := api.ContainerStart(ctx, obs.ID, client.ContainerStartOptions{}); err != nil {
			return nil, "", fmt.Errorf("start %s: %w", spec.Name, err)
		}
		if action == Unchanged || action == Connected {
			action = Started
		}
	}
	obs, err = inspect(ctx, api, spec.Name)
	return obs, action, err
}

// create makes the volume and the container, and copies the registry config in before
// the container first starts.
func create(ctx context.Context, api docker.API, spec Spec, net string) error {
	if err := docker.EnsureImage(ctx, api, spec.Image,
		"offline? build one from distribution's source with `make images` and set images.registry in kdev.yaml (or --registry-image)"); err != nil {
		return err
	}
	if spec.Volume != "" {
		if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: spec.Volume, Labels: spec.VolumeLabels}); err != nil {
			return fmt.Errorf("create volume %q: %w", spec.Volume, err)
		}
	}
	res, err := api.ContainerCreate(ctx, spec.createOptions(net))
	if err != nil {
		if ctx.Err() != nil {
			// Cancelled in flight, the engine may still have made it.
			_ = remove(context.WithoutCancel(ctx), api, spec.Name)
		}
		return fmt.Errorf("create container %q: %w", spec.Name, err)
	}
	tarball, err := configTar(spec.Config, spec.CA)
	if err == nil {
		_, err = api.CopyToContainer(ctx, res.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: tarball})
	}
	if err != nil {
		// A container without its config would start as a plain, open registry.
		_ = remove(context.WithoutCancel(ctx), api, res.ID)
		return fmt.Errorf("copy config into %q: %w", spec.Name, err)
	}
	return nil
}

// configTar is the registry's config file, and the extra authorities it trusts when
// there are any, as a tarball to copy into the container at /.
func configTar(cfg, ca []byte) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []string{"etc/", "etc/distribution/"}
	files := [][2]string{{strings.TrimPrefix(configPath, "/"), string(cfg)}}
	if len(ca) > 0 {
		dirs = append(dirs, "etc/kdev/", strings.TrimPrefix(caDir, "/")+"/")
		files = append(files, [2]string{strings.TrimPrefix(caDir, "/") + "/kdev-ca.pem", string(ca)})
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), ModTime: time.Unix(0, 0)}
		if f[0] == strings.TrimPrefix(configPath, "/") {
			hdr.Mode = 0o600 // it may hold the upstream's password
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}

func remove(ctx context.Context, api docker.API, id string) error {
	// RemoveVolumes drops only anonymous volumes (the image declares one, which a probe
	// uses); named volumes, the caches, are never removed by it.
	if _, err := api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !docker.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// logs returns the last lines a container printed since since (a Docker timestamp;
// "" for all): a restarted container's earlier tries must not speak for this one.
func logs(ctx context.Context, api docker.API, id, since string) string {
	rc, err := api.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "50", Since: since})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, rc)
	return out.String()
}

// answers says whether the registry answers on 127.0.0.1:port now. It asks over HTTP:
// Docker's userland proxy accepts a connection on a published port even when it has
// nowhere to forward it.
func answers(port int) bool {
	if port == 0 {
		return false
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/v2/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}
