package env

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
)

// DownResult is what `down` removed.
type DownResult struct {
	Cluster       bool     `json:"cluster"`
	Network       bool     `json:"network"`
	LocalRegistry bool     `json:"localRegistry"`
	Detached      []string `json:"detached,omitempty"`
	Purged        []string `json:"purged,omitempty"`
	// Kept are mirrors that --purge left because another environment uses them.
	Kept []KeptMirror `json:"kept,omitempty"`
}

// KeptMirror is a mirror, and its cache, that `down --purge` left for other environments.
type KeptMirror struct {
	Registry string   `json:"registry"`
	Mirror   string   `json:"mirror"`
	UsedBy   []string `json:"usedBy"`
}

// Down removes what belongs to the environment: its local registry container and its
// network, after detaching the shared mirrors. Mirrors and caches stay for the next
// `up`, unless purge, which also removes the local registry's images and every mirror
// and cache of this environment that no other environment uses.
func (e *Env) Down(ctx context.Context, purge bool) (*DownResult, error) {
	cfg := e.Config
	release, err := e.acquire(ctx, envLock(cfg.Name), "environment "+cfg.Name)
	if err != nil {
		return nil, err
	}
	defer release()
	res := &DownResult{}
	if e.Cluster != nil {
		done := e.Progress.Step("Cluster " + cfg.Name)
		exists, err := e.Cluster.Exists(cfg.Name)
		if err == nil && exists {
			err = e.Cluster.Delete(cfg.Name)
			res.Cluster = err == nil
		}
		done(removedOr("Cluster "+cfg.Name, res.Cluster), err)
		if err != nil {
			return res, err
		}
	}
	done := e.Progress.Step("Local registry")
	lr, err := registry.Local(ctx, e.Docker, cfg.Name)
	if err == nil && lr != nil {
		err = registry.Remove(ctx, e.Docker, lr, registry.LocalVolume(cfg.Name), purge)
		res.LocalRegistry = err == nil
	} else if err == nil && purge {
		err = registry.RemoveVolume(ctx, e.Docker, registry.LocalVolume(cfg.Name))
	}
	done(removedOr("Local registry "+registry.LocalName(cfg.Name), res.LocalRegistry), err)
	if err != nil {
		return res, err
	}

	done = e.Progress.Step("Mirrors")
	err = e.downMirrors(ctx, res, purge)
	summary := fmt.Sprintf("Mirrors: %d detached", len(res.Detached))
	if purge {
		summary += fmt.Sprintf(", %d purged with their caches", len(res.Purged))
	} else {
		summary += ", caches kept"
	}
	done(summary, err)
	if err != nil {
		return res, err
	}
	for _, k := range res.Kept {
		e.Progress.Warn(fmt.Sprintf("kept the mirror and cache of %s (%s): environment %s uses it", k.Registry, k.Mirror, strings.Join(k.UsedBy, ", ")))
	}

	done = e.Progress.Step("Network " + cfg.Network.Name)
	res.Network, err = network.Remove(ctx, e.Docker, cfg.Name, cfg.Network.Name)
	done(removedOr("Network "+cfg.Network.Name, res.Network), err)
	return res, err
}

func (e *Env) downMirrors(ctx context.Context, res *DownResult, purge bool) error {
	cfg := e.Config
	mirrors, release, err := e.mirrorsLocked(ctx)
	if err != nil {
		return err
	}
	defer release()
	owners, err := envNetworks(ctx, e.Docker)
	if err != nil {
		return err
	}
	configured := map[string]bool{}
	for _, m := range cfg.Mirrors {
		configured[registry.MirrorName(m)] = true
	}
	for _, o := range mirrors {
		// A mirror is this environment's when its configuration names it (by identity:
		// registry and upstream), or when it is attached to this environment's network.
		ours := configured[o.Name]
		var others []string
		for _, n := range o.Networks {
			if n == cfg.Network.Name {
				ours = true
			} else if env, isEnv := owners[n]; isEnv {
				others = append(others, env)
			}
		}
		if !ours {
			continue
		}
		if err := registry.Detach(ctx, e.Docker, o, cfg.Network.Name); err != nil {
			return err
		}
		res.Detached = append(res.Detached, o.Registry())
		if !purge {
			continue
		}
		if len(others) > 0 {
			sort.Strings(others)
			res.Kept = append(res.Kept, KeptMirror{Registry: o.Registry(), Mirror: o.Name, UsedBy: others})
			continue
		}
		if err := registry.Remove(ctx, e.Docker, o, o.CacheVolume(), true); err != nil {
			return err
		}
		res.Purged = append(res.Purged, o.Registry())
	}
	return nil
}

func removedOr(what string, removed bool) string {
	if removed {
		return what + " removed"
	}
	return what + ": none"
}
