package cluster

import (
	"strings"
	"testing"
	"time"
)

// TestParseProbe reads curl's answers as the probe script prints them: a slow upstream
// is slow, not unreachable; no answer is the timeout; a URL with no line is no answer.
func TestParseProbe(t *testing.T) {
	urls := []string{"https://fast", "https://slow", "https://down", "https://refused", "https://lost"}
	out := "401 0.084 https://fast\n401 5.012 https://slow\n000 10.001 https://down\n000 0.002 https://refused\n"
	got := parseProbe(out, urls, 10*time.Second)
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

// TestProbeTimeoutSetting: the probe waits as long as upstreamProbeTimeout says, and
// judges a timeout against it: curl is given the setting (fractions kept), and no
// answer at about the setting is a timeout named with it, well before it a failure.
func TestProbeTimeoutSetting(t *testing.T) {
	for d, flag := range map[time.Duration]string{10 * time.Second: "-m 10 ", 1500 * time.Millisecond: "-m 1.5 ", time.Minute: "-m 60 "} {
		if s := probeScript(d); !strings.Contains(s, flag) {
			t.Errorf("probe script for %s does not give curl %q:\n%s", d, flag, s)
		}
	}
	urls := []string{"https://down", "https://refused", "https://slow"}
	got := parseProbe("000 3.004 https://down\n000 0.012 https://refused\n401 2.9 https://slow\n", urls, 3*time.Second)
	if !strings.HasPrefix(got["https://down"], "no answer within 3s") {
		t.Errorf("no answer at the 3s setting: %q, want a timeout of 3s", got["https://down"])
	}
	if !strings.Contains(got["https://refused"], "failed at once") {
		t.Errorf("no answer at once: %q, want a failed connection", got["https://refused"])
	}
	if !strings.HasPrefix(got["https://slow"], "slow") {
		t.Errorf("an answer after 2.9s within a 3s setting: %q, want slow", got["https://slow"])
	}
	got = parseProbe("000 10.001 https://down\n", urls[:1], time.Minute)
	if strings.Contains(got["https://down"], "within") {
		t.Errorf("no answer after 10s of a minute's setting: %q; it failed, it did not time out", got["https://down"])
	}
}
