package app

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

type downOptions struct {
	purge  bool
	output string
}

func newDown(g *globals) *cobra.Command {
	o := &downOptions{}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Remove the environment; mirrors and caches stay unless --purge",
		Long: `down removes the environment's network and local registry container. The
mirrors and their caches are shared by every environment on this machine and stay,
so the next up starts warm. --purge also removes the local registry's images and
every mirror and cache of this environment that no other environment uses.`,
		Args: noArgs,
		RunE: g.withEnv(&o.output, func(ctx context.Context, e *env.Env, _ *ui.Status) error {
			return runDown(ctx, o, e, g.streams)
		}),
	}
	cmd.Flags().BoolVar(&o.purge, "purge", false, "also remove caches and pushed images that no other environment uses")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text, or json: what down removed, on stdout")
	return cmd
}

func runDown(ctx context.Context, o *downOptions, e *env.Env, s ui.Streams) error {
	res, err := e.Down(ctx, o.purge)
	if err != nil {
		return err
	}
	if o.output == "json" {
		return ui.JSON(s.Out, downDoc(res))
	}
	return nil
}
