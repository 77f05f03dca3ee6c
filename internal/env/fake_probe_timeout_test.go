package env

import (
	"slices"
	"testing"
	"time"
)

// TestFakeProbeTimeout: up's and doctor's probe from a node waits as long as
// upstreamProbeTimeout says, not a constant.
func TestFakeProbeTimeout(t *testing.T) {
	c := newClusterEnv(t, 0)
	c.env.Config.UpstreamProbeTimeout = "25s"
	c.up()
	if _, err := c.env.Doctor(c.ctx()); err != nil {
		t.Fatal(err)
	}
	got := c.kind.ProbeTimeouts()
	if len(got) < 2 || slices.IndexFunc(got, func(d time.Duration) bool { return d != 25*time.Second }) >= 0 {
		t.Fatalf("the node probe was given %v; want up's and doctor's, each 25s", got)
	}
}
