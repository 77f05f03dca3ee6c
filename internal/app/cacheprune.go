package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

func newCachePrune(g *globals) *cobra.Command {
	var olderThan, maxSize string
	var all bool
	cmd := &cobra.Command{
		Use:   "prune [--older-than AGE] [--max-size SIZE]",
		Short: "Trim mirror caches: old or least recently used repositories, and blobs nothing references",
		Long: `prune removes from this environment's caches (--all: every kdev cache) the
repositories not used for longer than --older-than (7d, 36h), then the least recently
used ones until the rest fit in --max-size (5GB, 500MB), and always the blobs that no
manifest references, with distribution's own garbage collector. "Used" is when a
repository's links last changed (kdev cache ls shows it). A cache's mirror is stopped
while its cache is pruned, so no pull is served from a blob being removed, and started
again after.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var o cache.PruneOptions
			var err error
			if olderThan != "" {
				if o.OlderThan, err = config.ParseAge(olderThan); err != nil {
					return usageError{fmt.Errorf("--older-than: %w", err)}
				}
			}
			if maxSize != "" {
				if o.MaxSize, err = config.ParseSize(maxSize); err != nil {
					return usageError{fmt.Errorf("--max-size: %w", err)}
				}
			}
			return g.withEnv(nil, func(ctx context.Context, e *env.Env, st *ui.Status) error {
				pruned, err := e.PruneCaches(ctx, o, all)
				if err != nil {
					return err
				}
				var before, after int64
				removed := 0
				for _, p := range pruned {
					before, after, removed = before+p.Before, after+p.After, removed+len(p.Removed)
				}
				st.Info(fmt.Sprintf("Pruned %d caches: %s → %s, %d repositories removed", len(pruned), ui.Bytes(before), ui.Bytes(after), removed))
				return nil
			})(cmd, args)
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "remove repositories not used for longer than this (7d, 36h)")
	cmd.Flags().StringVar(&maxSize, "max-size", "", "remove the least recently used repositories until the cache fits (5GB, 500MB)")
	cmd.Flags().BoolVar(&all, "all", false, "every kdev mirror cache on this machine, not only this environment's")
	return cmd
}
