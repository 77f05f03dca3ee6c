//go:build e2e

package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// restartContainerd restarts a node's containerd and waits until it answers.
const restartContainerd = "systemctl restart containerd && for i in $(seq 50); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1"

// editContainerd applies a sed expression to a node's containerd config and restarts
// containerd; the returned func restores the original config and restarts it again.
func (s *suite) editContainerd(t *testing.T, node, sedExpr string) func() {
	t.Helper()
	script := "cp /etc/containerd/config.toml /tmp/config.toml.e2e && sed -i \"$1\" /etc/containerd/config.toml && " + restartContainerd
	if out, err := s.exec(node, "sh", "-c", script, "sh", sedExpr); err != nil {
		t.Fatalf("edit containerd config on %s: %v\n%s", node, err, out)
	}
	return func() {
		if out, err := s.exec(node, "sh", "-c", "cp /tmp/config.toml.e2e /etc/containerd/config.toml && "+restartContainerd); err != nil {
			t.Errorf("restore containerd config on %s: %v\n%s", node, err, out)
		}
	}
}

// pullPath returns the path CRI pulls take on node, as doctor reads it from containerd's
// own configuration: "CRI local pull" or "transfer service".
func (s *suite) pullPath(node string) string {
	s.t.Helper()
	_, out, _ := s.kdev("doctor", "-o", "json")
	var doc doctorReport
	decodeDoc(s.t, out, "DoctorReport", &doc)
	for _, f := range doc.Findings {
		if f.Node != node || !strings.Contains(f.Item, "reads hosts.toml from") {
			continue
		}
		if !f.OK {
			s.t.Fatalf("doctor: %s: %s", f.Item, f.Detail)
		}
		for _, p := range []string{"transfer service", "CRI local pull"} {
			if strings.Contains(f.Detail, p) {
				return p
			}
		}
		s.t.Fatalf("doctor names no pull path for %s: %q", node, f.Detail)
	}
	s.t.Fatalf("doctor has no containerd finding for node %s", node)
	return ""
}

var containerdVersionRE = regexp.MustCompile(`\bv?(\d+)\.(\d+)\.\d+`)

// containerdAtLeast21 says whether node runs containerd 2.1 or later, where CRI can pull
// through the transfer service.
func (s *suite) containerdAtLeast21(node string) bool {
	s.t.Helper()
	out, err := s.exec(node, "containerd", "--version")
	m := containerdVersionRE.FindStringSubmatch(out)
	if err != nil || m == nil {
		s.t.Fatalf("containerd --version on %s: %v %q", node, err, out)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	s.t.Logf("node %s runs %s", node, strings.TrimSpace(out))
	return major > 2 || major == 2 && minor >= 1
}
