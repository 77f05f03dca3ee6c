package cluster

import (
	"strings"
	"testing"
)

// TestParseProbe reads curl's answers as the probe script prints them: a slow upstream
// is slow, not unreachable; no answer is the timeout; a URL with no line is no answer.
func TestParseProbe(t *testing.T) {
	urls := []string{"https://fast", "https://slow", "https://down", "https://refused", "https://lost"}
	out := "401 0.084 https://fast\n401 5.012 https://slow\n000 10.001 https://down\n000 0.002 https://refused\n"
	got := parseProbe(out, urls)
	for u, want := range map[string]string{
		"https://fast":    "",
		"https://slow":    "slow: its /v2/ took 5s",
		"https://down":    "no answer within 10s",
		"https://refused": "no answer from inside the network: the connection failed at once",
		"https://lost":    "no answer",
	} {
		if got[u] != want && (want == "" || !strings.HasPrefix(got[u], want)) {
			t.Errorf("%s: %q, want %q", u, got[u], want)
		}
	}
}
