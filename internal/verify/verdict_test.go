package verify

import (
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/registry"
)

func delta(req, hits, miss int64) registry.Counters {
	return registry.Counters{
		Requests: registry.Split{Blob: req, Manifest: 1},
		Hits:     registry.Split{Blob: hits},
		Misses:   registry.Split{Blob: miss},
		Served:   registry.Split{Blob: req, Manifest: 1},
	}
}

func TestJudge(t *testing.T) {
	miss := Pull{Node: "n1", Delta: delta(2, 0, 2)}
	hit := Pull{Node: "n2", Delta: delta(2, 2, 0)}
	tests := []struct {
		name   string
		mode   registry.Mode
		pulls  []Pull
		want   Verdict
		reason string
	}{
		{"miss then hit", registry.ModeProxy, []Pull{miss, hit}, Pass, ""},
		{"a single pull proves no hit", registry.ModeProxy, []Pull{miss}, Unproven, "only one pull"},
		{"a single pull that hit still proves no second pull", registry.ModeProxy, []Pull{hit}, Unproven, "only one pull"},
		{"all misses", registry.ModeProxy, []Pull{miss, miss}, Missed, "missed the cache 2 times"},
		{"cache-only: one pull served from the cache", registry.ModeCacheOnly, []Pull{{Node: "n1", Delta: registry.Counters{Served: registry.Split{Blob: 1, Manifest: 1}}}}, Pass, ""},
		{"three nodes", registry.ModeProxy, []Pull{miss, hit, hit}, Pass, ""},
		{"no pulls", registry.ModeProxy, nil, Unavailable, "no pull"},
		{"proxy asked but could not get it", registry.ModeProxy, []Pull{{Node: "n1", Error: "not found", Delta: delta(0, 0, 0)}}, Unavailable, "could not serve the canary"},
		{"cache-only asked, canary not cached", registry.ModeCacheOnly, []Pull{{Node: "n1", Error: "not found", Delta: registry.Counters{Answered: registry.Split{Manifest: 1}}}}, Unavailable, "could not serve the canary"},
		{"failed pull that never reached the mirror", registry.ModeProxy, []Pull{{Node: "n1", Error: "no such host"}}, Bypassed, "without reaching the mirror"},
		{"mirror never saw it", registry.ModeProxy, []Pull{{Node: "n1"}, hit}, Bypassed, "counted no request"},
		{"second node bypasses", registry.ModeProxy, []Pull{miss, {Node: "n2"}}, Bypassed, "on n2"},
		{"containerd tried the next host", registry.ModeProxy, []Pull{miss, {Node: "n2", Delta: delta(2, 2, 0), NextHost: true}}, Bypassed, "trying next host"},
		{"second pull misses", registry.ModeProxy, []Pull{miss, {Node: "n2", Delta: delta(2, 1, 1)}}, Missed, "missed the cache 1 times"},
		{"second pull no blob hits", registry.ModeProxy, []Pull{miss, {Node: "n2", Delta: registry.Counters{Requests: registry.Split{Blob: 1, Manifest: 1}, Hits: registry.Split{Manifest: 1}}}}, Missed, "no blob"},
		{"second pull nothing from the cache", registry.ModeProxy, []Pull{miss, {Node: "n2", Delta: delta(1, 0, 0)}}, Missed, "nothing from the cache"},
		{"second pull needs only the manifest", registry.ModeProxy, []Pull{miss, {Node: "n1", Delta: registry.Counters{Requests: registry.Split{Manifest: 1}, Hits: registry.Split{Manifest: 1}}}}, Pass, "needed no layer"},
		{"second pull fails at the mirror", registry.ModeProxy, []Pull{miss, {Node: "n2", Error: "boom", Delta: delta(1, 0, 0)}}, Failed, "boom"},
		{"second node's pull never reaches the mirror", registry.ModeProxy, []Pull{miss, {Node: "n2", Error: "no such host"}}, Bypassed, "on n2 failed without reaching the mirror"},
		{"cache-only serves", registry.ModeCacheOnly, []Pull{{Node: "n1", Delta: registry.Counters{Served: registry.Split{Blob: 2, Manifest: 1}}}, {Node: "n1", Delta: registry.Counters{Served: registry.Split{Blob: 2}}}}, Pass, ""},
		{"cache-only bypassed", registry.ModeCacheOnly, []Pull{{Node: "n1"}}, Bypassed, "counted no request"},
		{"rate-limited, then around the mirror", registry.ModeProxy, []Pull{{Node: "n1", NextHost: true, Delta: registry.Counters{Requests: registry.Split{Manifest: 1}, Answered: registry.Split{Manifest: 1},
			Upstream: registry.Upstream{Responses: 2, RateLimited: 1, Limit: 100, Remaining: 0}}}}, RateLimited, "1 answers were 429 Too Many Requests; 0 of 100 pulls left"},
		{"rate-limited on the second pull", registry.ModeProxy, []Pull{miss, {Node: "n2", Delta: registry.Counters{Requests: registry.Split{Manifest: 1}, Hits: registry.Split{Manifest: 1},
			Upstream: registry.Upstream{RateLimited: 2, Limit: -1, Remaining: -1}}}}, RateLimited, "during the pull on n2: 2 answers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := Judge(tc.mode, tc.pulls)
			if got != tc.want || !strings.Contains(reason, tc.reason) || (tc.reason == "" && reason != "") {
				t.Fatalf("got %s (%q), want %s with a reason containing %q (none when empty)", got, reason, tc.want, tc.reason)
			}
		})
	}
}
