package cluster

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// ProbeUpstreams asks each registry root's /v2/ from inside a node, which sits on the
// same network as the mirrors and so sees the upstreams as they do (an upstream that
// only resolves inside the network included). It returns, per URL, "" when it answered
// with any HTTP status, else why not. All URLs are tried at once, in one exec.
func ProbeUpstreams(ctx context.Context, n nodes.Node, urls []string) (map[string]string, error) {
	if len(urls) == 0 {
		return map[string]string{}, nil
	}
	script := `for u in "$@"; do
  ( code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$u/v2/" 2>/dev/null); echo "$code $u" ) &
done
wait`
	out, err := run(ctx, n, "", "sh", append([]string{"-c", script, "sh"}, urls...)...)
	if err != nil {
		return nil, fmt.Errorf("probe upstreams: %w", err)
	}
	res := map[string]string{}
	for _, u := range urls {
		res[u] = "no answer"
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		code, u, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if code != "" && code != "000" {
			res[u] = ""
		} else {
			res[u] = "no answer within 3s from inside the network"
		}
	}
	return res, nil
}
