package cluster

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"sync"

	"github.com/kdev-dev/kdev/internal/containerd"
	"github.com/kdev-dev/kdev/templates"
)

// Marker is in every hosts.toml that kdev writes, so that it removes only its own.
const Marker = "Written by kdev"

// ErrConfigPath means a node's containerd does not read the hosts.toml files at all:
// every pull there bypasses the mirrors, whatever the files say.
var ErrConfigPath = errors.New("containerd does not use config_path")

// File is one file kdev keeps in every node.
type File struct {
	Path    string
	Content string
}

// HostsFiles renders one hosts.toml per registry, at certs.d/<host>/hosts.toml.
func HostsFiles(hosts []templates.Hosts) ([]File, error) {
	var out []File
	for _, h := range hosts {
		c, err := templates.HostsTOML(h)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: path.Join(templates.CertsDir, h.Registry, "hosts.toml"), Content: c})
		if p := h.CAPath(); p != "" {
			out = append(out, File{Path: p, Content: h.CA})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// NodeWiring is what Wire found and did on one node.
type NodeWiring struct {
	Node string `json:"node"`
	// Written are files that were missing or differed, and were rewritten.
	Written []string `json:"written,omitempty"`
	// Removed are kdev's files for registries no longer mirrored.
	Removed []string `json:"removed,omitempty"`
}

// Wire makes every node hold exactly the given files (and no stale file of kdev's), and
// checks that containerd reads them. Nodes are handled in parallel; a node where
// containerd ignores config_path fails with ErrConfigPath.
func Wire(ctx context.Context, ns []Node, files []File) ([]NodeWiring, error) {
	out := make([]NodeWiring, len(ns))
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for i, n := range ns {
		wg.Go(func() { out[i], errs[i] = wireNode(ctx, n, files) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func wireNode(ctx context.Context, n Node, files []File) (NodeWiring, error) {
	w := NodeWiring{Node: n.Name()}
	st, err := n.ReadWiring(ctx, paths(files))
	if err != nil {
		return w, err
	}
	if st.Containerd.Err != nil {
		return w, fmt.Errorf("node %s: %w", n.Name(), st.Containerd.Err)
	}
	if !st.Containerd.Reads {
		return w, fmt.Errorf("node %s: %w: %s; so pulls bypass the mirrors: recreate the cluster with `kdev up --recreate`", n.Name(), ErrConfigPath, st.Containerd.Why)
	}
	have, ours := st.Files, st.Ours
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		if have[f.Path] == f.Content {
			continue
		}
		if err := n.WriteFile(ctx, f.Path, f.Content); err != nil {
			return w, fmt.Errorf("write %s: %w", f.Path, err)
		}
		w.Written = append(w.Written, f.Path)
	}
	for _, p := range ours {
		if want[p] {
			continue
		}
		if err := n.RemoveFile(ctx, p); err != nil {
			return w, fmt.Errorf("remove %s: %w", p, err)
		}
		w.Removed = append(w.Removed, p)
	}
	return w, nil
}

// Containerd is whether a node's containerd reads kdev's hosts.toml files, by its own
// account of its configuration.
type Containerd struct {
	Registry containerd.Registry
	// Reads is true when CRI pulls read hosts.toml files under templates.CertsDir.
	Reads bool
	// Why says what is wrong when they do not.
	Why string
	// Err is set when containerd's configuration could not be read or understood: an
	// unknown shape is reported as such, never as "config_path not set".
	Err error
}

// paths are the files' paths.
func paths(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}
