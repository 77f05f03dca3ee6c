package app

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/env"
)

func newDoctor(g *globals) *cobra.Command {
	return report(g, &cobra.Command{
		Use:   "doctor",
		Short: "Check every item that pulls through the mirrors depend on, with a fix for each failure",
		Long: `doctor checks, without changing anything: Docker; the network and every node on it;
each mirror running, answering and attached; each mirror's name resolving inside every
node; containerd's effective config_path and every hosts.toml on every node; each
upstream reachable from the network; the local registry from the nodes and from here.
Exit 1 when anything fails.`,
	}, (*env.Env).Doctor, printDoctor, doctorDoc, doctorExit)
}

// doctorExit is exit 1 when any item failed.
func doctorExit(fs []env.Finding) error {
	failed := 0
	for _, f := range fs {
		if !f.OK {
			failed++
		}
	}
	if failed > 0 {
		return exitError{ExitFailure, fmt.Errorf("%d of %d items failed", failed, len(fs))}
	}
	return nil
}

func printDoctor(w io.Writer, fs []env.Finding) error {
	for _, f := range fs {
		mark, detail := "✓", ""
		if !f.OK {
			mark = "✗"
		}
		if f.Detail != "" {
			detail = " (" + f.Detail + ")"
		}
		if _, err := fmt.Fprintf(w, " %s %s%s\n", mark, f.Item, detail); err != nil {
			return err
		}
		if !f.OK && f.Fix != "" {
			fmt.Fprintf(w, "     fix: %s\n", f.Fix)
		}
	}
	return nil
}
