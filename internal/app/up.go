package app

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

type upOptions struct{ output string }

func newUp(g *globals) *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create or repair the environment: network, mirrors, local registry",
		Long: `up brings the environment to what kdev.yaml describes. It observes what exists,
changes only what differs, and changes nothing on a second run.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := output(o.output); err != nil {
				return err
			}
			e, st, err := g.environment(cmd.Context())
			if err != nil {
				return err
			}
			return runUp(cmd.Context(), o, e, st, g.streams)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text, or json: what up found and did, on stdout")
	return cmd
}

func runUp(ctx context.Context, o *upOptions, e *env.Env, st *ui.Status, s ui.Streams) error {
	res, err := e.Up(ctx)
	if err != nil {
		return err
	}
	if !res.Changed {
		st.Info("Nothing to change: the environment is up to date")
	}
	if o.output == "json" {
		return ui.JSON(s.Out, res)
	}
	return nil
}
