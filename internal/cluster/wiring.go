package cluster

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/kdev-dev/kdev/internal/containerd"
	"github.com/kdev-dev/kdev/templates"
)

// marker is in every hosts.toml that kdev writes, so that it removes only its own.
const marker = "Written by kdev"

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
func Wire(ctx context.Context, ns []nodes.Node, files []File) ([]NodeWiring, error) {
	out := make([]NodeWiring, len(ns))
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for i, n := range ns {
		wg.Go(func() { out[i], errs[i] = wireNode(ctx, n, files) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func wireNode(ctx context.Context, n nodes.Node, files []File) (NodeWiring, error) {
	w := NodeWiring{Node: n.String()}
	st, err := readNode(ctx, n, files)
	if err != nil {
		return w, err
	}
	if st.Containerd.Err != nil {
		return w, fmt.Errorf("node %s: %w", n, st.Containerd.Err)
	}
	if !st.Containerd.Reads {
		return w, fmt.Errorf("node %s: %w: %s; so pulls bypass the mirrors: recreate the cluster with `kdev up --recreate`", n, ErrConfigPath, st.Containerd.Why)
	}
	have, ours := st.have, st.ours
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		if have[f.Path] == f.Content {
			continue
		}
		script := `mkdir -p "$(dirname "$1")" && cat > "$1.kdev" && mv "$1.kdev" "$1"`
		if _, err := run(ctx, n, f.Content, "sh", "-c", script, "sh", f.Path); err != nil {
			return w, fmt.Errorf("write %s: %w", f.Path, err)
		}
		w.Written = append(w.Written, f.Path)
	}
	for _, p := range ours {
		if want[p] {
			continue
		}
		if _, err := run(ctx, n, "", "rm", "-f", p); err != nil {
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

type nodeState struct {
	have       map[string]string
	ours       []string
	Containerd Containerd
}

// readNode reads, in one exec, the current content of files, the paths of every
// hosts.toml kdev wrote, and containerd's version and effective configuration.
func readNode(ctx context.Context, n nodes.Node, files []File) (nodeState, error) {
	script := `for f in "$@"; do printf '\036F %s\n' "$f"; cat "$f" 2>/dev/null; done
printf '\036OURS\n'; grep -l '` + marker + `' ` + templates.CertsDir + `/*/hosts.toml 2>/dev/null; ls ` + templates.CertsDir + `/*/` + templates.CAFileName + ` 2>/dev/null
printf '\036VERSION\n'; containerd --version 2>&1
printf '\036CONFIG\n'; containerd config dump 2>/dev/null`
	args := []string{"-c", script, "sh"}
	for _, f := range files {
		args = append(args, f.Path)
	}
	out, err := run(ctx, n, "", "sh", args...)
	if err != nil && !strings.Contains(out, "\036CONFIG\n") {
		return nodeState{}, fmt.Errorf("read containerd wiring: %w", err)
	}
	st := nodeState{have: map[string]string{}}
	var version, dump string
	for _, sec := range strings.Split(out, "\036")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		switch {
		case strings.HasPrefix(head, "F "):
			st.have[strings.TrimPrefix(head, "F ")] = body
		case head == "OURS":
			st.ours = strings.Fields(body)
		case head == "VERSION":
			version = strings.TrimSpace(body)
		case head == "CONFIG":
			dump = body
		}
	}
	st.Containerd = readContainerd(dump, version)
	return st, nil
}

func readContainerd(dump, version string) Containerd {
	if strings.TrimSpace(dump) == "" {
		return Containerd{Err: fmt.Errorf("`containerd config dump` printed nothing (containerd says %q): is containerd's config valid?", version)}
	}
	reg, err := containerd.Parse([]byte(dump), version)
	if err != nil {
		return Containerd{Err: fmt.Errorf("read containerd's configuration: %w", err)}
	}
	c := Containerd{Registry: reg}
	c.Reads, c.Why = reg.Reads(templates.CertsDir)
	return c
}

// ReadWiring returns the content of files on a node ("" when absent) and whether its
// containerd reads them: what doctor inspects.
func ReadWiring(ctx context.Context, n nodes.Node, files []File) (map[string]string, Containerd, error) {
	st, err := readNode(ctx, n, files)
	return st.have, st.Containerd, err
}

// Exec runs a command in a node and returns its standard output.
func Exec(ctx context.Context, n nodes.Node, stdin, cmd string, args ...string) (string, error) {
	return run(ctx, n, stdin, cmd, args...)
}
