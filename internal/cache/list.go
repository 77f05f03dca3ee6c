package cache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registry"
)

// Listed is one cache as `kdev cache ls` shows it.
type Listed struct {
	Source
	// Bytes is the volume's size on disk, -1 when Docker does not say.
	Bytes int64
	// Mirror is the container that serves it, "" when none does; MirrorState its state.
	Mirror      string
	MirrorState string
	Repos       []Repo
	// LastUsed is when the cache last changed: a pull by tag refreshes the tag's link,
	// a blob fetched from the upstream adds one. Zero when it is empty.
	LastUsed time.Time
}

// Repo is a repository in a cache, with its tags.
type Repo struct {
	Name string
	Tags []string
	// LastUsed is when any of its links last changed.
	LastUsed time.Time
	// Manifests are the digests (hex) of its manifests; Layers of the blobs it links
	// (layers and configs).
	Manifests []string
	Layers    []string
}

// List describes every kdev cache on the machine. Only the repositories' links are
// read (Docker's copy of .../v2/repositories), never a blob.
func List(ctx context.Context, api docker.API, image string) ([]Listed, error) {
	srcs, err := Sources(ctx, api)
	if err != nil {
		return nil, err
	}
	sizes, err := registry.VolumeSizes(ctx, api)
	if err != nil {
		return nil, err
	}
	mirrors, err := registry.Mirrors(ctx, api)
	if err != nil {
		return nil, err
	}
	var out []Listed
	for _, s := range srcs {
		l := Listed{Source: s, Bytes: -1}
		if n, ok := sizes[s.Volume]; ok {
			l.Bytes = n
		}
		for _, m := range mirrors {
			if m.CacheVolume() == s.Volume {
				l.Mirror, l.MirrorState = m.Name, m.State
			}
		}
		err := withContainer(ctx, api, image, s.Volume, false, func(id string) error {
			rc, err := api.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: v2Dir + "/repositories"})
			if docker.IsNotFound(err) {
				return nil // empty
			}
			if err != nil {
				return err
			}
			defer rc.Content.Close()
			l.Repos, err = readRepos(rc.Content)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read cache %s: %w", s.Volume, err)
		}
		for _, r := range l.Repos {
			if r.LastUsed.After(l.LastUsed) {
				l.LastUsed = r.LastUsed
			}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Volume < out[j].Volume })
	return out, nil
}

// readRepos reads a tar of distribution's repositories directory (entries named
// repositories/<name>/_manifests/..., _layers/..., _uploads/...).
func readRepos(r io.Reader) ([]Repo, error) {
	byName := map[string]*Repo{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rest, ok := strings.CutPrefix(h.Name, "repositories/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		name, kind, ok := splitRepo(rest)
		if !ok || kind == "_uploads" {
			continue
		}
		repo := byName[name]
		if repo == nil {
			repo = &Repo{Name: name}
			byName[name] = repo
		}
		if h.ModTime.After(repo.LastUsed) {
			repo.LastUsed = h.ModTime
		}
		within := rest[len(name)+1:]
		// _manifests/tags/<tag>/current/link names a tag.
		if tag, ok := strings.CutPrefix(within, "_manifests/tags/"); ok && strings.HasSuffix(tag, "/current/link") {
			repo.Tags = append(repo.Tags, strings.TrimSuffix(tag, "/current/link"))
		}
		if d, ok := linkDigest(within, "_manifests/revisions/sha256/"); ok {
			repo.Manifests = append(repo.Manifests, d)
		}
		if d, ok := linkDigest(within, "_layers/sha256/"); ok {
			repo.Layers = append(repo.Layers, d)
		}
	}
	var out []Repo
	for _, r := range byName {
		sort.Strings(r.Tags)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// linkDigest reads the digest out of a link's path: <prefix><hex>/link.
func linkDigest(p, prefix string) (string, bool) {
	d, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return "", false
	}
	d, ok = strings.CutSuffix(d, "/link")
	return d, ok && len(d) == 64 && !strings.Contains(d, "/")
}

// splitRepo splits "<name>/_manifests/..." into the repository name (which may hold
// slashes) and the kind of entry that follows it.
func splitRepo(p string) (name, kind string, ok bool) {
	for _, k := range []string{"/_manifests/", "/_layers/", "/_uploads/"} {
		if i := strings.Index(p, k); i > 0 {
			return p[:i], strings.Trim(k, "/"), true
		}
	}
	return "", "", false
}
