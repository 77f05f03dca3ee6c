package cluster

import (
	"testing"
	"time"
)

func TestParsePulled(t *testing.T) {
	tests := []struct {
		msg  string
		want Pulled
		ok   bool
	}{
		{`Successfully pulled image "docker.io/library/busybox:1.37.0" in 523ms (2.1s including waiting). Image size: 2167176 bytes.`,
			Pulled{"docker.io/library/busybox:1.37.0", 523 * time.Millisecond, 2100 * time.Millisecond}, true},
		{`Successfully pulled image "k8s.bench.test/bench/app2:v1" in 729ms (729ms including waiting). Image size: 163060926 bytes.`,
			Pulled{"k8s.bench.test/bench/app2:v1", 729 * time.Millisecond, 729 * time.Millisecond}, true},
		{`Successfully pulled image "x:1" in 1m0.265s`, Pulled{"x:1", 60265 * time.Millisecond, 60265 * time.Millisecond}, true},
		{`Container image "registry.k8s.io/pause:3.10" already present on machine`, Pulled{}, false},
		{`Successfully pulled image "x:1" in soon`, Pulled{}, false},
	}
	for _, tc := range tests {
		got, ok := ParsePulled(tc.msg)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%q: got %+v %v, want %+v %v", tc.msg, got, ok, tc.want, tc.ok)
		}
	}
}
