package env

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/network"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/templates"
)

// Finding is one item doctor checked.
type Finding struct {
	Item     string `json:"item"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail,omitempty"`
	Fix      string `json:"fix,omitempty"`
	Registry string `json:"registry,omitempty"`
	Node     string `json:"node,omitempty"`
	// everyRegistry marks a failure that bypasses every mirror on its node, so that it
	// is a likely cause for each registry's failed check.
	everyRegistry bool
}

// Doctor checks, item by item, what must hold for pulls to go through the mirrors,
// and says how to fix what does not. It changes nothing.
func (e *Env) Doctor(ctx context.Context) ([]Finding, error) {
	cfg := e.Config
	var fs []Finding
	add := func(f Finding) { fs = append(fs, f) }
	add(Finding{Item: "Docker engine reachable", OK: true})

	nw, err := network.Inspect(ctx, e.Docker, cfg.Name, cfg.Network.Name)
	if err != nil {
		add(Finding{Item: "network " + cfg.Network.Name, Detail: err.Error(), Fix: "see the message"})
		return fs, nil
	}
	if nw == nil {
		add(Finding{Item: "network " + cfg.Network.Name + " exists", Fix: "run kdev up"})
		return fs, nil
	}
	add(Finding{Item: "network " + cfg.Network.Name + " exists", OK: true, Detail: nw.Subnet.String()})

	byReg, err := mirrorsByRegistry(ctx, e.Docker, cfg.Mirrors)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, m := range cfg.Mirrors {
		name := registry.MirrorName(m)
		o := byReg[m.Registry]
		switch {
		case o == nil:
			add(Finding{Item: "mirror " + name + " exists", Registry: m.Registry, Fix: "run kdev up"})
			continue
		case o.State != "running":
			add(Finding{Item: "mirror " + name + " running", Registry: m.Registry, Detail: "state " + o.State, Fix: "run kdev up (or docker start " + name + ")"})
			continue
		}
		ready := o.APIPort != 0 && get(ctx, hc, fmt.Sprintf("http://127.0.0.1:%d/v2/", o.APIPort)) == nil
		add(finding("mirror "+name+" running and answering", ready, m.Registry, "mode "+string(o.Mode()), "docker logs "+name+" says why; kdev up re-creates it"))
		add(finding("mirror "+name+" attached to network "+cfg.Network.Name, slices.Contains(o.Networks, cfg.Network.Name), m.Registry,
			"networks "+strings.Join(o.Networks, ", "), "run kdev up to re-attach it: nodes cannot reach a mirror off their network"))
	}

	for _, m := range cfg.Mirrors {
		if m.Credentials != nil {
			add(e.doctorAccount(ctx, m))
		}
	}

	if e.Cluster == nil {
		return fs, nil
	}
	obs, err := e.Cluster.Observe(ctx, e.Docker, cfg.Name)
	if err != nil {
		return nil, err
	}
	if obs == nil || !obs.Running {
		add(Finding{Item: "cluster " + cfg.Name + " running", Fix: "run kdev up"})
		return fs, nil
	}
	add(Finding{Item: "cluster " + cfg.Name + " running", OK: true, Detail: fmt.Sprintf("%d nodes", len(obs.Nodes))})
	files, err := e.hostsFiles()
	if err != nil {
		return nil, err
	}
	for _, n := range obs.NodeList() {
		fs = append(fs, e.doctorNode(ctx, n, nw, files)...)
	}
	if down, err := obs.ControlPlaneNode().ProbeUpstreams(ctx, e.upstreams(nil), e.Config.ProbeTimeout()); err == nil {
		for _, m := range cfg.Mirrors {
			why := down[m.RemoteURL]
			// A slow upstream is reachable: it is said, not failed.
			add(finding("upstream "+m.RemoteURL+" reachable from the network", why == "" || strings.HasPrefix(why, "slow"), m.Registry, why,
				"the mirror serves only what it has cached; check the network, proxy or credentials"))
		}
	}
	if cfg.LocalRegistry.On() {
		err := get(ctx, hc, fmt.Sprintf("http://127.0.0.1:%d/v2/", cfg.LocalRegistry.Port))
		add(finding(fmt.Sprintf("local registry reachable from this machine (localhost:%d)", cfg.LocalRegistry.Port), err == nil, "", errText(err), "run kdev up"))
	}
	return fs, nil
}

// doctorNode checks one node in two operations: name resolution of every mirror and
// the local registry, then whether containerd reads hosts.toml, and each one.
func (e *Env) doctorNode(ctx context.Context, n cluster.Node, nw *network.Info, files []cluster.File) []Finding {
	cfg := e.Config
	node := n.Name()
	fs := []Finding{finding("node "+node+" attached to network "+cfg.Network.Name, slices.Contains(nw.Containers, node), "", "", "run kdev down and kdev up")}
	var names []string
	for _, m := range cfg.Mirrors {
		names = append(names, registry.MirrorName(m))
	}
	localURL := ""
	if cfg.LocalRegistry.On() {
		localURL = "http://" + registry.LocalName(cfg.Name) + ":5000/v2/"
	}
	reach, err := n.Resolve(ctx, names, localURL)
	if err != nil {
		return append(fs, Finding{Item: "exec in node " + node, Node: node, Detail: err.Error(), Fix: "is the node running? kdev up re-creates a broken cluster"})
	}
	for _, m := range cfg.Mirrors {
		name := registry.MirrorName(m)
		fs = append(fs, nodeFinding(node, m.Registry, "mirror name "+name+" resolves in node "+node, reach.Resolves[name],
			"Docker's DNS does not know it: the mirror is stopped or not on the node's network; run kdev up"))
	}
	if cfg.LocalRegistry.On() {
		fs = append(fs, nodeFinding(node, "", "local registry reachable from node "+node, reach.Local, "run kdev up"))
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	w, err := n.ReadWiring(ctx, paths)
	if err != nil {
		return append(fs, Finding{Item: "read containerd config in " + node, Node: node, Detail: err.Error()})
	}
	have := w.Files
	fs = append(fs, containerdFinding(node, w.Containerd))
	for _, f := range files {
		reg := path.Base(path.Dir(f.Path)) // certs.d/<registry>/hosts.toml
		got := have[f.Path]
		var parsed map[string]any
		ok, why := got == f.Content, ""
		switch {
		case got == "":
			why = "missing"
		case toml.Unmarshal([]byte(got), &parsed) != nil:
			ok, why = false, "not valid TOML"
		case !ok:
			why = "differs from what kdev writes"
		}
		fi := nodeFinding(node, reg, f.Path+" in "+node, ok, "run kdev up: it rewrites hosts.toml files that are missing or wrong")
		fi.Detail = why
		fs = append(fs, fi)
	}
	return fs
}

func finding(item string, ok bool, reg, detail, fix string) Finding {
	f := Finding{Item: item, OK: ok, Registry: reg, Detail: detail}
	if !ok {
		f.Fix = fix
	}
	return f
}

func nodeFinding(node, reg, item string, ok bool, fix string) Finding {
	f := finding(item, ok, reg, "", fix)
	f.Node = node
	return f
}

// containerdFinding says whether a node's containerd reads kdev's hosts.toml files,
// with what its own configuration says: version, pull path and config_path.
func containerdFinding(node string, c cluster.Containerd) Finding {
	f := nodeFinding(node, "", "containerd in "+node+" reads hosts.toml from "+templates.CertsDir, c.Reads,
		"every pull on this node ignores the mirrors: run kdev up --recreate")
	f.everyRegistry = true
	switch {
	case c.Err != nil:
		f.Detail = c.Err.Error()
		f.Fix = "kdev cannot tell whether this node's containerd uses the mirrors: please report its `containerd --version` and `containerd config dump`"
	case !c.Reads:
		f.Detail = c.Why
	default:
		r := c.Registry
		f.Detail = fmt.Sprintf("containerd %s, %s, config_path %q", r.Version, r.PullPath(), r.ConfigPath)
	}
	return f
}

func get(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
