package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kdev-dev/kdev/internal/api"
	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/plan"
	"github.com/kdev-dev/kdev/internal/ui"
)

// dryRun prints the plan of `up` and changes nothing. Docker is optional: when it
// answers and has the node image, the image's containerd config version is read (a
// throwaway container, never a pull), so the kind configuration shown is the one up
// would use; otherwise the plan says that up reads it later.
func (g *globals) dryRun(ctx context.Context, out string) error {
	if err := output(out); err != nil {
		return err
	}
	cfg, err := g.load()
	if err != nil {
		return err
	}
	version, why := g.containerdVersion(ctx, cfg)
	p, err := plan.Build(cfg, plan.Options{Cluster: true, ContainerdConfigVersion: version})
	if err != nil {
		return err
	}
	if out == "json" {
		return ui.JSON(g.streams.Out, planDocument(p))
	}
	return printPlan(g.streams.Out, p, why)
}

// containerdVersion reads the node image's containerd config version when Docker has
// the image; otherwise it says why it is not known.
func (g *globals) containerdVersion(ctx context.Context, cfg *config.Environment) (int, string) {
	api, err := g.connect(ctx)
	if err != nil {
		return 0, "Docker does not answer"
	}
	if _, err := api.ImageInspect(ctx, cfg.Images.Node); err != nil {
		return 0, "the node image is not on this machine yet"
	}
	v, err := cluster.ContainerdConfigVersion(ctx, api, cfg.Images.Node)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return 0, msg
	}
	return v, ""
}

func planDocument(p *plan.Plan) api.Plan {
	d := api.Plan{TypeMeta: api.Meta(api.KindPlan), Environment: p.Environment,
		Network:   api.PlanNetwork{Name: p.Network.Name, Subnet: p.Network.Subnet},
		Mirrors:   []api.PlanMirror{},
		NodeFiles: []api.PlanFile{},
	}
	for _, m := range p.Mirrors {
		d.Mirrors = append(d.Mirrors, api.PlanMirror{Registry: m.Registry, Upstream: m.Upstream,
			Policy: string(m.Policy), Account: m.Account, Container: m.Container, CacheVolume: m.CacheVolume,
			Endpoint: m.Endpoint, Canary: m.Canary, TrustsCA: m.TrustsCA})
	}
	if l := p.LocalRegistry; l != nil {
		d.LocalRegistry = &api.PlanLocal{Container: l.Container, Volume: l.Volume,
			Address: fmt.Sprintf("localhost:%d", l.Port), Endpoint: l.Endpoint}
	}
	if c := p.Cluster; c != nil {
		d.Cluster = &api.PlanCluster{Name: c.Name, NodeImage: c.NodeImage, ControlPlanes: c.ControlPlanes,
			Workers: c.Workers, ParallelImagePulls: c.ParallelImagePulls,
			ContainerdConfigVersion: c.ContainerdConfigVersion, KindConfig: string(c.KindConfig)}
	}
	for _, f := range p.Files {
		d.NodeFiles = append(d.NodeFiles, api.PlanFile{Path: f.Path, Content: f.Content})
	}
	return d
}

// printPlan prints the plan for people; why says why the kind configuration is not
// shown, when it is not.
func printPlan(w io.Writer, p *plan.Plan, why string) error {
	fmt.Fprintf(w, "Plan of environment %s (dry run: nothing is created or changed)\n\n", p.Environment)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	subnet := p.Network.Subnet
	if subnet == "" {
		subnet = "the first free private /24"
	}
	fmt.Fprintf(tw, "Network\t%s, on %s\n", p.Network.Name, subnet)
	if l := p.LocalRegistry; l != nil {
		fmt.Fprintf(tw, "Local registry\t%s on localhost:%d, its images in volume %s\n", l.Container, l.Port, l.Volume)
	}
	if c := p.Cluster; c != nil {
		fmt.Fprintf(tw, "Cluster\t%s: %d control plane, %d workers, node image %s, %d parallel image pulls per node\n",
			c.Name, c.ControlPlanes, c.Workers, c.NodeImage, c.ParallelImagePulls)
	}
	fmt.Fprintln(tw)
	if len(p.Mirrors) > 0 {
		fmt.Fprintln(tw, "MIRROR\tUPSTREAM\tPOLICY\tCONTAINER\tCACHE VOLUME")
		for _, m := range p.Mirrors {
			up := m.Upstream
			if m.Account != "" {
				up += " as " + m.Account
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Registry, up, m.Policy, m.Container, m.CacheVolume)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nEvery node gets:")
	for _, f := range p.Files {
		fmt.Fprintf(w, "  %s\n", f.Path)
	}
	c := p.Cluster
	switch {
	case c == nil:
	case c.KindConfig == nil:
		fmt.Fprintf(w, "\nThe kind configuration depends on the node image's containerd version, which up reads from the image (%s).\n", why)
	default:
		fmt.Fprintf(w, "\nKind configuration (the node image's containerd config is version %d):\n", c.ContainerdConfigVersion)
		for _, l := range strings.Split(strings.TrimRight(string(c.KindConfig), "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	return nil
}
