package app

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

func newStatus(g *globals) *cobra.Command {
	return report(g, &cobra.Command{
		Use:   "status",
		Short: "Show what exists, its health, and each mirror's hits and misses",
	}, (*env.Env).Status, printStatus, nil)
}

func printStatus(w io.Writer, st *env.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Environment\t%s\n", st.Name)
	if st.Network != nil {
		fmt.Fprintf(tw, "Network\t%s\t%s\n", st.Network.Name, st.Network.Subnet)
	} else {
		fmt.Fprintf(tw, "Network\tmissing (run kdev up)\n")
	}
	switch c := st.Cluster; {
	case c == nil:
		fmt.Fprintf(tw, "Cluster\tmissing (run kdev up)\n")
	default:
		health := clusterHealth(c, time.Now())
		fmt.Fprintf(tw, "Cluster\t%s\t%d nodes (%d workers), %s\t%s\n", c.Name, len(c.Nodes), c.Workers, strings.Join(c.Images, ", "), health)
	}
	if lr := st.LocalRegistry; lr != nil && lr.Enabled {
		fmt.Fprintf(tw, "Local registry\tlocalhost:%d\t%s\n", lr.Port, lr.State)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "MIRROR\tSTATE\tMODE\tUPSTREAM\tCACHE\tREQUESTS\tHITS\tMISSES\tHIT RATIO\tSERVED")
	for _, m := range st.Mirrors {
		up := "reachable"
		if !m.UpstreamReachable {
			up = "unreachable"
		}
		state := m.State
		if m.State == "running" && !m.Attached {
			state = "detached"
		}
		req, hits, miss, ratio, served := "-", "-", "-", "-", "-"
		if c := m.Counters; c != nil {
			req, hits, miss = fmt.Sprint(c.Requests.Total()), fmt.Sprint(c.Hits.Total()), fmt.Sprint(c.Misses.Total())
			served = ui.Bytes(c.PushedBytes)
			if m.HitRatio >= 0 {
				ratio = fmt.Sprintf("%.0f%%", m.HitRatio*100)
			}
		}
		mode := string(m.Mode)
		if mode == "" {
			mode = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Registry, state, mode, up, ui.Bytes(m.CacheBytes), req, hits, miss, ratio, served)
	}
	return tw.Flush()
}

// startingFor is how long after its nodes (re)started a cluster whose API server does
// not answer yet is called starting rather than not ready.
const startingFor = 5 * time.Minute

func clusterHealth(c *cluster.Observed, now time.Time) string {
	switch {
	case c.State == cluster.StateIncomplete:
		return "incomplete (an interrupted create: kdev up re-creates it)"
	case c.State == cluster.StateStopped:
		return "stopped (kdev up starts it)"
	case c.Ready:
		return "ready"
	case c.State == cluster.StateStarting || now.Sub(c.StartedAt) < startingFor:
		return "starting (its API server does not answer yet)"
	}
	return "not ready"
}
