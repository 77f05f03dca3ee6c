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
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/ui"
)

func newStatus(g *globals) *cobra.Command {
	return report(g, &cobra.Command{
		Use:   "status",
		Short: "Show what exists, its health, and each mirror's hits and misses",
	}, (*env.Env).Status, printStatus, statusDoc, nil)
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
		up := upstreamWord(m)
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
		switch {
		case mode == "":
			mode = "-"
		case m.Mode == registry.ModeCacheOnly && m.ModeSince != nil:
			mode += " for " + age(time.Since(*m.ModeSince))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Registry, state, mode, up, ui.Bytes(m.CacheBytes), req, hits, miss, ratio, served)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Why an upstream does not answer, one line per mirror, under the table.
	var why []string
	for _, m := range st.Mirrors {
		if !m.UpstreamReachable && m.UpstreamError != "" {
			why = append(why, fmt.Sprintf("%s: upstream %s: %s", m.Registry, m.RemoteURL, m.UpstreamError))
		}
		if line := rateLimitLine(m); line != "" {
			why = append(why, line)
		}
	}
	if len(why) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(why, "\n"))
	}
	return nil
}

// rateLimitLine tells what the upstream said of its rate limit to the mirror, "" when
// it said nothing.
func rateLimitLine(m env.MirrorStatus) string {
	if m.Counters == nil {
		return ""
	}
	u := m.Counters.Upstream
	left := ""
	if u.Remaining >= 0 && u.Limit > 0 {
		left = fmt.Sprintf("%.0f of %.0f pulls left in the upstream's window", u.Remaining, u.Limit)
	}
	switch {
	case u.RateLimited > 0 && left != "":
		return fmt.Sprintf("%s: rate-limited: the upstream answered 429 Too Many Requests %d times since the mirror started; %s", m.Registry, u.RateLimited, left)
	case u.RateLimited > 0:
		return fmt.Sprintf("%s: rate-limited: the upstream answered 429 Too Many Requests %d times since the mirror started", m.Registry, u.RateLimited)
	case left != "":
		return fmt.Sprintf("%s: %s", m.Registry, left)
	}
	return ""
}

// upstreamWord sums up the upstream probe for the table.
func upstreamWord(m env.MirrorStatus) string {
	switch {
	case m.UpstreamReachable:
		return "answers"
	case strings.HasPrefix(m.UpstreamError, "no answer within"):
		return "no answer yet"
	case strings.Contains(m.UpstreamError, "TLS certificate"):
		return "not trusted"
	}
	return "unreachable"
}

// age is a duration as a person says it: 45s, 12m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
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
