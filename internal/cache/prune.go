package cache

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/ui"
)

// PruneOptions say what prune removes beside the blobs no manifest references.
type PruneOptions struct {
	// OlderThan removes the repositories not used for longer; 0 keeps them.
	OlderThan time.Duration
	// MaxSize removes the least recently used repositories until the blobs the others
	// need fit in it; 0 is no bound.
	MaxSize int64
	// OnlyOver leaves a cache alone (its mirror serving, no garbage collected) when no
	// repository needs to go: what up does on every run to enforce a bound.
	OnlyOver bool
}

// Pruned is what prune did to one cache.
type Pruned struct {
	Source
	// Removed are the repositories removed.
	Removed []string
	// Before and After are the bytes of the cache's blobs.
	Before, After int64
}

// Prune trims caches: the repositories the options choose, then every blob that no
// manifest references, by distribution's own garbage collector. A cache's mirror is
// stopped while its cache is pruned, so no pull is served from a blob being removed,
// and started again after.
func Prune(ctx context.Context, api docker.API, image string, srcs []Source, o PruneOptions, step func(string) func(string, error)) ([]Pruned, error) {
	var out []Pruned
	for _, s := range srcs {
		p := Pruned{Source: s}
		var repos []Repo
		// Chosen while the mirror serves: reading links and sizes changes nothing.
		err := withContainer(ctx, api, image, s.Volume, false, func(id string) error {
			var sizes map[string]int64
			var err error
			repos, sizes, err = inventory(ctx, api, id)
			for _, n := range sizes {
				p.Before += n
			}
			p.Removed = choose(repos, sizes, o, time.Now())
			return err
		})
		if err != nil {
			return out, fmt.Errorf("read cache %s: %w", s.Volume, err)
		}
		if o.OnlyOver && len(p.Removed) == 0 {
			p.After = p.Before
			out = append(out, p)
			continue
		}
		done := step("Prune cache " + s.Registry + " (" + s.Volume + ")")
		err = withContainer(ctx, api, image, s.Volume, true, func(id string) error {
			return pruneOne(ctx, api, image, id, repos, &p)
		})
		done(fmt.Sprintf("Pruned cache %s: %s → %s, %d repositories removed", s.Registry, ui.Bytes(p.Before), ui.Bytes(p.After), len(p.Removed)), err)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// pruneOne removes what was chosen, then collects the garbage, with the mirror stopped.
func pruneOne(ctx context.Context, api docker.API, image, id string, repos []Repo, p *Pruned) error {
	if len(p.Removed) > 0 {
		if err := removeRepos(ctx, api, image, p.Volume, repos, p.Removed); err != nil {
			return err
		}
	}
	if _, err := registry.CollectGarbage(ctx, api, image, p.Volume); err != nil {
		return err
	}
	_, after, err := inventory(ctx, api, id)
	for _, n := range after {
		p.After += n
	}
	return err
}

// inventory reads a cache's repositories and the size of every blob they link.
func inventory(ctx context.Context, api docker.API, id string) ([]Repo, map[string]int64, error) {
	var repos []Repo
	rc, err := api.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: v2Dir + "/repositories"})
	switch {
	case docker.IsNotFound(err):
		return nil, map[string]int64{}, nil
	case err != nil:
		return nil, nil, err
	}
	repos, err = readRepos(rc.Content)
	rc.Content.Close()
	if err != nil {
		return nil, nil, err
	}
	sizes := map[string]int64{}
	for _, r := range repos {
		for _, d := range append(append([]string{}, r.Manifests...), r.Layers...) {
			if _, seen := sizes[d]; seen {
				continue
			}
			st, err := api.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: v2Dir + "/blobs/sha256/" + d[:2] + "/" + d + "/data"})
			switch {
			case docker.IsNotFound(err):
				continue // a link left by an interrupted fetch
			case err != nil:
				return nil, nil, err
			}
			sizes[d] = st.Stat.Size
		}
	}
	return repos, sizes, nil
}

// choose picks the repositories to remove: those unused for longer than OlderThan,
// then the least recently used until the blobs the rest link fit in MaxSize.
func choose(repos []Repo, sizes map[string]int64, o PruneOptions, now time.Time) []string {
	var out []string
	var keep []Repo
	for _, r := range repos {
		if o.OlderThan > 0 && now.Sub(r.LastUsed) > o.OlderThan {
			out = append(out, r.Name)
			continue
		}
		keep = append(keep, r)
	}
	if o.MaxSize <= 0 {
		return out
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].LastUsed.Before(keep[j].LastUsed) })
	for len(keep) > 0 && linked(keep, sizes) > o.MaxSize {
		out = append(out, keep[0].Name)
		keep = keep[1:]
	}
	return out
}

// linked is the size of the blobs the repositories link, each counted once.
func linked(repos []Repo, sizes map[string]int64) int64 {
	seen := map[string]bool{}
	var n int64
	for _, r := range repos {
		for _, d := range append(append([]string{}, r.Manifests...), r.Layers...) {
			if !seen[d] {
				seen[d] = true
				n += sizes[d]
			}
		}
	}
	return n
}

// removeRepos deletes every manifest of the named repositories through a plain
// registry over the volume: distribution removes their revisions and tags, and its
// garbage collector then the blobs and links nothing else needs.
func removeRepos(ctx context.Context, api docker.API, image, volume string, repos []Repo, names []string) error {
	url, stop, err := registry.ServeVolume(ctx, api, image, volume)
	if err != nil {
		return err
	}
	defer stop()
	remove := map[string]bool{}
	for _, n := range names {
		remove[n] = true
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, r := range repos {
		if !remove[r.Name] {
			continue
		}
		for _, d := range r.Manifests {
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url+"/v2/"+r.Name+"/manifests/sha256:"+d, nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return fmt.Errorf("remove %s@sha256:%s: %w", r.Name, d, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNotFound {
				return fmt.Errorf("remove %s@sha256:%s: the registry answered %s", r.Name, d, strings.ToLower(resp.Status))
			}
		}
	}
	return nil
}
