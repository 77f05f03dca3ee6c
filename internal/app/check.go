package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
	"github.com/kdev-dev/kdev/internal/verify"
)

func newCheck(g *globals) *cobra.Command {
	return report(g, &cobra.Command{
		Use:   "check",
		Short: "Prove that pulls hit the mirrors: canary pulls in the nodes, counted by the mirrors",
		Long: `check pulls each mirror's canary image through containerd in every node, the way
the kubelet pulls, and reads the mirror's own counters around each pull. The first
pull must reach the mirror; after the canary is removed, the next pulls must be
served from its cache. containerd's "trying next host" also counts as a bypass.

Exit codes: 0 every mirror proved itself; 1 a mirror was bypassed, missed its cache
or failed (the likely cause is named); 2 bad usage or configuration; 3 the check could
not run (no cluster; an upstream that cannot be reached and a canary that is not
cached) or proved nothing (no pull was served from the cache).`,
	}, func(e *env.Env, ctx context.Context) ([]verify.Result, error) {
		results, err := e.Check(ctx)
		if errors.Is(err, env.ErrNoCluster) {
			return nil, exitError{ExitUnproven, err}
		}
		return results, err
	}, printCheck, checkDoc, checkExit)
}

// checkExit turns results into check's exit code: any failure is 1, else any mirror
// that could not be checked, or whose check proved nothing, is 3.
func checkExit(results []verify.Result) error {
	var bad, unavailable []string
	for _, r := range results {
		switch {
		case r.Verdict == verify.Pass:
		case r.Verdict.Inconclusive():
			unavailable = append(unavailable, r.Registry+" "+string(r.Verdict))
		default:
			bad = append(bad, r.Registry+" "+string(r.Verdict))
		}
	}
	if len(bad) > 0 {
		return exitError{ExitFailure, fmt.Errorf("cache check failed: %s", strings.Join(bad, ", "))}
	}
	if len(unavailable) > 0 {
		return exitError{ExitUnproven, fmt.Errorf("cache check proved nothing for %s", strings.Join(unavailable, ", "))}
	}
	return nil
}

func printCheck(w io.Writer, results []verify.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIRROR\tRESULT\tPULLS\tREQUESTS\tHITS\tMISSES\tFROM CACHE")
	for _, r := range results {
		var times []string
		for _, p := range r.Pulls {
			times = append(times, p.Duration.Round(10*time.Millisecond).String())
		}
		pulls := strings.Join(times, " ")
		if pulls == "" {
			pulls = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Registry, r.Verdict, pulls, r.Requests, r.Hits, r.Misses, ui.Bytes(max(r.CachedBytes, 0)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Verdict == verify.Pass {
			if r.Reason != "" {
				fmt.Fprintf(w, "\n%s passed; note: %s\n", r.Registry, r.Reason)
			}
			continue
		}
		fmt.Fprintf(w, "\n%s %s: %s\n", r.Registry, r.Verdict, r.Reason)
		if r.Cause != "" {
			fmt.Fprintf(w, "  likely cause: %s\n", r.Cause)
		} else if !r.Verdict.Inconclusive() {
			fmt.Fprintf(w, "  run kdev doctor for every item that must hold\n")
		}
	}
	return nil
}
