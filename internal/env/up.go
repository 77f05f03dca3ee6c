package env

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/plan"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/verify"
)

// UpResult is what `up` found and did.
type UpResult struct {
	Network        network.Info            `json:"network"`
	NetworkCreated bool                    `json:"networkCreated"`
	Mirrors        []registry.MirrorResult `json:"mirrors"`
	Detached       []string                `json:"detached,omitempty"`
	Pruned         []cache.Pruned          `json:"pruned,omitempty"`
	Local          *registry.LocalResult   `json:"localRegistry,omitempty"`
	Cluster        *ClusterResult          `json:"cluster,omitempty"`
	Check          []verify.Result         `json:"check,omitempty"`
	// ProvenAt is when this very setup passed the check, when up did not repeat it.
	ProvenAt *time.Time `json:"provenAt,omitempty"`
	Changed  bool       `json:"changed"`
}

// Up brings the environment to its configuration: network, mirrors, local registry.
// It only changes what differs, so a second run on an unchanged config changes nothing.
func (e *Env) Up(ctx context.Context) (*UpResult, error) {
	cfg := e.Config
	// Everything up could reject is rejected before it creates anything.
	if _, err := plan.Build(cfg, plan.Options{Cluster: e.Cluster != nil}); err != nil {
		return nil, err
	}
	res := &UpResult{}
	access := map[string]registry.Access{}
	for _, m := range cfg.Mirrors {
		a, err := e.access(m)
		if err != nil {
			return nil, err
		}
		access[m.Registry] = a
	}
	// A second up of this environment waits for the first, then finds it done.
	release, err := e.acquire(ctx, envLock(cfg.Name), "environment "+cfg.Name)
	if err != nil {
		return nil, err
	}
	defer release()
	if cfg.LocalRegistry.On() {
		if err := registry.CheckLocalPort(ctx, e.Docker, cfg.Name, cfg.LocalRegistry.Port); err != nil {
			return nil, err
		}
	}

	// An image that cannot be had stops up before it makes anything.
	if err := e.ensureImages(ctx); err != nil {
		return nil, err
	}
	releaseNets, err := e.acquire(ctx, lockNetworks, "the choice of a network subnet")
	if err != nil {
		return nil, err
	}
	done := e.Progress.Step(fmt.Sprintf("Network %s", cfg.Network.Name))
	info, created, err := network.Ensure(ctx, e.Docker, cfg.Name, cfg.Network.Name, cfg.Network.Subnet)
	releaseNets()
	done(fmt.Sprintf("Network %s (%s)%s", info.Name, info.Subnet, changed(created, "created")), err)
	if err != nil {
		return nil, err
	}
	res.Network, res.NetworkCreated, res.Changed = info, created, created

	if err := e.boundCaches(ctx, res); err != nil {
		return res, err
	}
	// One listing serves both: ensuring the configured mirrors does not change which
	// unconfigured ones are attached, nor the remotes of other environments' mirrors.
	if err := e.upAllMirrors(ctx, res, access); err != nil {
		return res, err
	}
	if err := e.upLocal(ctx, res); err != nil {
		return res, err
	}
	if e.Cluster != nil {
		if err := e.upCluster(ctx, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// upAllMirrors ensures the configured mirrors and detaches the others, holding the
// mirrors lock: environments that share a mirror must not create it at once.
func (e *Env) upAllMirrors(ctx context.Context, res *UpResult, access map[string]registry.Access) error {
	mirrors, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return err
	}
	defer release()
	if len(e.Config.Mirrors) > 0 {
		if err := e.upMirrors(ctx, res, access, mirrors); err != nil {
			return err
		}
	}
	return e.detachStaleMirrors(ctx, res, mirrors)
}

func (e *Env) upMirrors(ctx context.Context, res *UpResult, access map[string]registry.Access, mirrors []*registry.Observed) error {
	cfg := e.Config
	var names []string
	for _, m := range cfg.Mirrors {
		names = append(names, m.Registry)
	}
	done := e.Progress.Step("Mirrors " + strings.Join(names, ", "))
	if err := e.checkShared(ctx, mirrors); err != nil {
		done("", err)
		return err
	}
	results := make([]registry.MirrorResult, len(cfg.Mirrors))
	errs := make([]error, len(cfg.Mirrors))
	var wg sync.WaitGroup
	for i, m := range cfg.Mirrors {
		wg.Go(func() {
			results[i], errs[i] = registry.EnsureMirror(ctx, e.Docker, m, cfg.Images.Registry, access[m.Registry], []string{cfg.Network.Name})
		})
	}
	wg.Wait()
	res.Mirrors = results
	var acted []string
	for _, r := range results {
		if r.Action != registry.Unchanged && r.Action != "" {
			acted = append(acted, fmt.Sprintf("%s %s", r.Registry, r.Action))
			res.Changed = true
		}
	}
	err := errors.Join(errs...)
	summary := "Mirrors " + strings.Join(names, ", ")
	if len(acted) > 0 {
		summary += " (" + strings.Join(acted, ", ") + ")"
	}
	done(summary, err)
	for _, r := range results {
		if r.Warning != "" {
			e.Progress.Warn(fmt.Sprintf("mirror %s: %s", r.Registry, r.Warning))
		}
		if r.Was == registry.ModeCacheOnly && r.Mode == registry.ModeProxy {
			since := ""
			if r.Since != nil {
				since = fmt.Sprintf(", after %s serving its cache only", time.Since(*r.Since).Round(time.Second))
			}
			e.Progress.Warn(fmt.Sprintf("mirror %s: its upstream answers again: back to proxy mode%s", r.Registry, since))
		}
	}
	e.warnRefusedLogins(ctx, results, access)
	return err
}

// checkShared refuses to change a mirror that another environment uses with another
// upstream. Mirrors are named by their upstream, so this happens only to a mirror made
// by a kdev that named mirrors by registry alone, and still used that way elsewhere.
func (e *Env) checkShared(ctx context.Context, mirrors []*registry.Observed) error {
	owners, err := envNetworks(ctx, e.Docker)
	if err != nil {
		return err
	}
	want := map[string]config.Mirror{}
	for _, m := range e.Config.Mirrors {
		want[registry.MirrorName(m)] = m
	}
	for _, o := range mirrors {
		m, ok := want[o.Name]
		if !ok || o.Remote() == m.RemoteURL {
			continue
		}
		var others []string
		for _, n := range o.Networks {
			if env, ok := owners[n]; ok && env != e.Config.Name {
				others = append(others, env)
			}
		}
		if len(others) > 0 {
			sort.Strings(others)
			return fmt.Errorf("the mirror of %s is shared with environment %s, which fetches from %s, not %s: use the same remoteURL, or run `kdev down` in the other environment first",
				m.Registry, strings.Join(others, ", "), o.Remote(), m.RemoteURL)
		}
	}
	return nil
}

// detachStaleMirrors disconnects mirrors that this environment no longer configures.
func (e *Env) detachStaleMirrors(ctx context.Context, res *UpResult, mirrors []*registry.Observed) error {
	want := map[string]bool{}
	for _, m := range e.Config.Mirrors {
		want[registry.MirrorName(m)] = true
	}
	for _, o := range mirrors {
		if want[o.Name] {
			continue
		}
		for _, n := range o.Networks {
			if n != e.Config.Network.Name {
				continue
			}
			if err := registry.Detach(ctx, e.Docker, o, n); err != nil {
				return err
			}
			res.Detached = append(res.Detached, o.Registry())
			res.Changed = true
			e.Progress.Warn(fmt.Sprintf("mirror %s is no longer configured: detached it from network %s (its cache stays)", o.Registry(), n))
		}
	}
	return nil
}

func (e *Env) upLocal(ctx context.Context, res *UpResult) error {
	cfg := e.Config
	if !cfg.LocalRegistry.On() {
		o, err := registry.Local(ctx, e.Docker, cfg.Name)
		if err != nil || o == nil {
			return err
		}
		res.Changed = true
		e.Progress.Warn("local registry is disabled: removed its container (its images stay in volume " + registry.LocalVolume(cfg.Name) + ")")
		return registry.Remove(ctx, e.Docker, o, "", false)
	}
	title := fmt.Sprintf("Local registry localhost:%d", cfg.LocalRegistry.Port)
	done := e.Progress.Step(title)
	lr, err := registry.EnsureLocal(ctx, e.Docker, cfg.Name, cfg.LocalRegistry.Port, cfg.Images.Registry, cfg.Network.Name)
	done(title+changed(lr.Action != registry.Unchanged && lr.Action != "", string(lr.Action)), err)
	if err != nil {
		return err
	}
	res.Local = &lr
	if lr.Action != registry.Unchanged {
		res.Changed = true
	}
	return nil
}

// ensureImages makes sure the images up runs are on the engine before anything is
// made, and says where each came from: already there (built, loaded by kdev cache
// import, or pulled by an earlier run), or pulled now.
func (e *Env) ensureImages(ctx context.Context) error {
	var refs []string
	if len(e.Config.Mirrors) > 0 || e.Config.LocalRegistry.On() {
		refs = append(refs, e.Config.Images.Registry)
	}
	if e.Cluster != nil {
		refs = append(refs, e.Config.Images.Node)
	}
	if len(refs) == 0 {
		return nil
	}
	done := e.Progress.Step("Images")
	var said []string
	for _, ref := range refs {
		where := "on this machine"
		if _, err := e.Docker.ImageInspect(ctx, ref); err != nil {
			where = "pulled"
			hint := "offline? import an archive made with `kdev cache export --images`, or build the images with `make images`, and set images in kdev.yaml"
			if err := docker.EnsureImage(ctx, e.Docker, ref, hint); err != nil {
				done("", err)
				return err
			}
		}
		said = append(said, fmt.Sprintf("%s (%s)", shortImage(ref), where))
	}
	done("Images "+strings.Join(said, ", "), nil)
	return nil
}

func changed(did bool, what string) string {
	if !did {
		return ""
	}
	return " (" + what + ")"
}
