package app

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/kdev-dev/kdev/internal/api"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/ui"
)

type configViewOptions struct{ output string }

// effective is the configuration as kdev acts on it: kdev.yaml with its defaults, and
// the proxy the mirrors go through, found outside kdev.yaml (a password in it masked).
// Its JSON is config view's contract: the kdev.yaml document itself (apiVersion
// kdev.dev/v1alpha1, kind Environment), plus effectiveProxy.
type effective struct {
	*config.Environment `yaml:",inline"`
	Proxy               *api.Proxy `yaml:"effectiveProxy,omitempty" json:"effectiveProxy,omitempty"`
}

// configView is what config view prints of cfg and the proxy kdev found.
func configView(cfg *config.Environment, proxy docker.Proxy) effective {
	view := effective{Environment: cfg}
	if proxy.Set() {
		m := proxy.Masked()
		view.Proxy = &api.Proxy{HTTP: m.HTTP, HTTPS: m.HTTPS, No: m.No, Source: m.Source}
	}
	return view
}

func newConfig(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with kdev.yaml",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRun,
	}
	o := &configViewOptions{}
	view := &cobra.Command{
		Use:   "view",
		Short: "Print the effective configuration, defaults filled in",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := output(o.output); err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			proxy, err := g.proxy()
			if err != nil {
				return err
			}
			view := configView(cfg, proxy)
			if o.output == "json" {
				return ui.JSON(g.streams.Out, view)
			}
			enc := yaml.NewEncoder(g.streams.Out)
			enc.SetIndent(2)
			if err := enc.Encode(view); err != nil {
				return err
			}
			return enc.Close()
		},
	}
	view.Flags().StringVarP(&o.output, "output", "o", "text", "text (YAML) or json")
	cmd.AddCommand(view)
	return cmd
}
