package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// Upstream is one upstream to probe, as its mirror reaches it: CAFile is a PEM file in
// the node with the extra authorities the mirror trusts ("" for none), Env the proxy
// variables the mirror has (KEY=VALUE, no spaces).
type Upstream struct {
	URL    string
	CAFile string
	Env    []string
}

// ProbeUpstreams asks each registry root's /v2/ from inside a node, which sits on the
// same network as the mirrors and so sees the upstreams as they do (an upstream that
// only resolves inside the network included), trusting what the mirror trusts (the
// node's public authorities and CAFile) and through the mirror's proxy. It returns,
// per URL, "" when it answered with any HTTP status in time, a reason starting with
// "slow" when it answered after SlowUpstream, else why not. All URLs are tried at once,
// in one exec, each for up to timeout (kdev.yaml's upstreamProbeTimeout): a slow
// upstream is not a dead one.
func ProbeUpstreams(ctx context.Context, n nodes.Node, ups []Upstream, timeout time.Duration) (map[string]string, error) {
	if len(ups) == 0 {
		return map[string]string{}, nil
	}
	args := []string{"-c", probeScript(timeout), "sh"}
	urls := make([]string, 0, len(ups))
	for _, u := range ups {
		args = append(args, u.URL, u.CAFile, strings.Join(u.Env, " "))
		urls = append(urls, u.URL)
	}
	out, err := run(ctx, n, "", "sh", args...)
	if err != nil {
		return nil, fmt.Errorf("probe upstreams: %w", err)
	}
	return parseProbe(out, urls, timeout), nil
}

// probeScript asks each "url ca env" triple of its arguments for /v2/ at once, each
// with curl's -m timeout (fractions of a second kept).
func probeScript(timeout time.Duration) string {
	return fmt.Sprintf(`while [ $# -ge 3 ]; do
  u=$1 ca=$2 envs=$3; shift 3
  (
    opt=""
    if [ -n "$ca" ] && [ -f "$ca" ]; then
      b=$(mktemp); cat /etc/ssl/certs/ca-certificates.crt "$ca" > "$b" 2>/dev/null; opt="--cacert $b"
    fi
    out=$(env $envs curl -s -o /dev/null -m %s $opt -w '%%{http_code} %%{time_total}' "$u/v2/" 2>/dev/null)
    echo "$out $u"
  ) &
done
wait`, strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
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
