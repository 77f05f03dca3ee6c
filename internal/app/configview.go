package app

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/kdev-dev/kdev/internal/ui"
)

type configViewOptions struct{ output string }

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
			if o.output == "json" {
				return ui.JSON(g.streams.Out, cfg)
			}
			enc := yaml.NewEncoder(g.streams.Out)
			enc.SetIndent(2)
			if err := enc.Encode(cfg); err != nil {
				return err
			}
			return enc.Close()
		},
	}
	view.Flags().StringVarP(&o.output, "output", "o", "text", "text (YAML) or json")
	cmd.AddCommand(view)
	return cmd
}
