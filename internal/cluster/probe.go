package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Upstream is one upstream to probe, as its mirror reaches it: CAFile is a PEM file in
// the node with the extra authorities the mirror trusts ("" for none), Env the proxy
// variables the mirror has (KEY=VALUE, no spaces).
type Upstream struct {
	URL    string
	CAFile string
	Env    []string
}

// SlowUpstream is the time past which an answer is reported as slow.
const SlowUpstream = 2 * time.Second

// parseProbe reads the probe's lines, "<http code> <seconds> <url>", one per URL. No
// answer well before timeout is a connection that failed, not a timeout.
func parseProbe(out string, urls []string, timeout time.Duration) map[string]string {
	res := map[string]string{}
	for _, u := range urls {
		res[u] = "no answer"
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		code, u := f[0], f[2]
		secs, _ := strconv.ParseFloat(f[1], 64)
		took := time.Duration(secs * float64(time.Second)).Round(100 * time.Millisecond)
		switch {
		case (code == "" || code == "000") && took < timeout-timeout/10:
			res[u] = "no answer from inside the network: the connection failed at once (refused, a name that does not resolve, or a certificate the mirror does not trust)"
		case code == "" || code == "000":
			res[u] = fmt.Sprintf("no answer within %s from inside the network (upstreamProbeTimeout)", timeout)
		case took > SlowUpstream:
			res[u] = fmt.Sprintf("slow: its /v2/ took %s from inside the network", took)
		default:
			res[u] = ""
		}
	}
	return res
}
