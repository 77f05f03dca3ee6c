package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

type upOptions struct {
	output   string
	recreate bool
	verify   bool
	dryRun   bool
	wait     time.Duration
}

func newUp(g *globals) *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create or repair the environment: network, mirrors, local registry, cluster",
		Long: `up brings the environment to what kdev.yaml describes: the network, one mirror
per upstream, the local registry, and the Kind cluster with every node's containerd
wired to the mirrors. It observes what exists, changes only what differs (a node that
lost its hosts.toml gets it back), and changes nothing on a second run.

It ends with kdev check, which proves that every mirror's cache is hit. When up changed
nothing and this very setup (mirror containers, upstreams, canaries, wiring) passed the
check before, the check is not repeated: run kdev check to prove it again.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.dryRun {
				return g.dryRun(cmd.Context(), o.output)
			}
			return g.withEnv(&o.output, func(ctx context.Context, e *env.Env, st *ui.Status) error {
				e.Recreate, e.Wait = o.recreate, o.wait
				return runUp(ctx, o, e, st, g.streams)
			})(cmd, args)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text, or json: what up found and did, on stdout")
	cmd.Flags().BoolVar(&o.verify, "verify", true, "end with kdev check (unless this very setup passed it before): a bypassed mirror fails up; an unreachable upstream is a warning")
	cmd.Flags().BoolVar(&o.recreate, "recreate", false, "replace a cluster whose node image or size no longer matches kdev.yaml")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what up would make (network, mirrors, local registry, cluster, the files every node gets, the kind configuration) and change nothing; -o json for the Plan document")
	cmd.Flags().DurationVar(&o.wait, "wait", 5*time.Minute, "how long to wait for the nodes to be Ready")
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
	if o.verify && res.Cluster != nil && len(e.Config.Mirrors) > 0 {
		// Nothing changed and this very setup passed before: proving it again would
		// cost seconds on every `make up`. `kdev check` always proves it again.
		if !res.Changed {
			if at, ok := e.Proven(ctx, res); ok {
				res.ProvenAt = &at
				st.Info(fmt.Sprintf("Cache verified %s ago for this very setup (kdev check proves it again)", time.Since(at).Round(time.Second)))
			}
		}
		if res.ProvenAt == nil {
			if res.Check, err = e.Check(ctx); err != nil {
				return err
			}
		}
	}
	if o.output == "json" {
		if err := ui.JSON(s.Out, upDoc(res)); err != nil {
			return err
		}
	}
	return upVerdict(st, s, o, res)
}

// upVerdict fails up when a mirror was bypassed or missed, printing check's table; a
// mirror that could not be checked (an offline upstream with a cold cache) is a warning.
func upVerdict(st *ui.Status, s ui.Streams, o *upOptions, res *env.UpResult) error {
	err := checkExit(res.Check)
	var ee exitError
	if err == nil || !errors.As(err, &ee) {
		return err
	}
	if ee.code == ExitUnproven {
		for _, r := range res.Check {
			if r.Verdict.Inconclusive() {
				st.Warn(fmt.Sprintf("cache not verified for %s: %s", r.Registry, r.Reason))
			}
		}
		return nil
	}
	if o.output != "json" {
		_ = printCheck(s.Err, res.Check)
	}
	return err
}
