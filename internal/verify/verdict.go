// Package verify is the cache proof: a canary pulled by containerd in the nodes, and
// the mirror's own counters read around each pull. A hit is real only when the mirror
// counted it; a pull the mirror did not see went around it.
package verify

import (
	"fmt"
	"time"

	"github.com/kdev-dev/kdev/internal/registry"
)

// Verdict is the outcome of one mirror's check.
type Verdict string

// Verdicts. Pass is exit 0; Bypassed, Missed and Failed are exit 1; Unavailable (the
// check could not run) and Unproven (it ran, but no pull was served from the cache)
// are exit 3: they prove nothing either way.
const (
	Pass        Verdict = "pass"
	Bypassed    Verdict = "bypassed"
	Missed      Verdict = "missed"
	Failed      Verdict = "failed"
	Unavailable Verdict = "unavailable"
	Unproven    Verdict = "unproven"
	// RateLimited: the upstream answered the mirror 429 during the check. Exit 1: the
	// mirror cannot fetch, and under fallback containerd goes around it.
	RateLimited Verdict = "rate-limited"
)

// Inconclusive says the verdict neither proves the cache nor catches a fault.
func (v Verdict) Inconclusive() bool { return v == Unavailable || v == Unproven }

// Pull is one canary pull on one node, and what the mirror counted during it.
type Pull struct {
	Node     string            `json:"node"`
	Duration time.Duration     `json:"duration"`
	Error    string            `json:"error,omitempty"`
	Delta    registry.Counters `json:"delta"`
	// NextHost is containerd's "trying next host" for the mirror during the pull.
	NextHost bool `json:"nextHost"`
}

// Judge turns a mirror's pulls into a verdict and a reason. The first pull must reach
// the mirror; every later one (the canary removed in between) must be served from the
// cache: hits, blob hits when it asked for blobs, and no new misses. A proxy's pass
// needs such a later pull: one pull that reached the mirror proves it is used, not that
// its cache serves, so it is Unproven. A pass can carry a note as its reason (otherwise
// ""): a later pull that needed no layer proves the manifest only. mode is the mirror's
// mode; in cache-only mode there are no proxy counters, and everything the mirror
// served came from its cache, so what it served is what counts.
func Judge(mode registry.Mode, pulls []Pull) (Verdict, string) {
	if len(pulls) == 0 {
		return Unavailable, "no pull was made"
	}
	note := ""
	for i, p := range pulls {
		if u := p.Delta.Upstream; u.RateLimited > 0 {
			left := ""
			if u.Remaining >= 0 && u.Limit > 0 {
				left = fmt.Sprintf("; %.0f of %.0f pulls left in its window", u.Remaining, u.Limit)
			}
			return RateLimited, fmt.Sprintf("the upstream rate-limited the mirror during the pull on %s: %d answers were 429 Too Many Requests%s; the mirror cannot fetch what it lacks, and under fallback containerd goes around it: give the mirror credentials (an account has a higher limit) or wait for the window", p.Node, u.RateLimited, left)
		}
		if p.Error != "" {
			if p.Delta.Requests.Total() == 0 && p.Delta.Answered.Total() == 0 {
				return Bypassed, fmt.Sprintf("the pull on %s failed without reaching the mirror: %s", p.Node, p.Error)
			}
			if i == 0 {
				return Unavailable, "the mirror was asked but could not serve the canary (is the upstream unreachable and the canary not cached?): " + p.Error
			}
			return Failed, fmt.Sprintf("pull %d on %s failed after the first succeeded: %s", i+1, p.Node, p.Error)
		}
		if p.NextHost {
			return Bypassed, fmt.Sprintf("containerd on %s logged \"trying next host\": it went past the mirror to the upstream", p.Node)
		}
		seen := p.Delta.Requests.Total()
		if mode == registry.ModeCacheOnly {
			seen = p.Delta.Served.Total()
		}
		if seen == 0 {
			return Bypassed, fmt.Sprintf("the pull on %s succeeded but the mirror counted no request: containerd did not use it", p.Node)
		}
		if i == 0 || mode == registry.ModeCacheOnly {
			continue
		}
		if m := p.Delta.Misses.Total(); m > 0 {
			return Missed, fmt.Sprintf("pull %d on %s missed the cache %d times after the first pull filled it", i+1, p.Node, m)
		}
		if p.Delta.Hits.Total() == 0 {
			return Missed, fmt.Sprintf("pull %d on %s fetched nothing from the cache", i+1, p.Node)
		}
		if p.Delta.Requests.Blob > 0 && p.Delta.Hits.Blob == 0 {
			return Missed, fmt.Sprintf("pull %d on %s fetched no blob from the cache", i+1, p.Node)
		}
		if p.Delta.Requests.Blob == 0 && note == "" {
			// containerd keeps a layer while any image uses it: a canary that shares its
			// layers with another image on the node needs only its manifest.
			note = fmt.Sprintf("pull %d on %s needed no layer (the node holds them for another image): the cache served its manifest", i+1, p.Node)
		}
	}
	if len(pulls) < 2 && mode != registry.ModeCacheOnly {
		return Unproven, fmt.Sprintf("only one pull was made (on %s): it reached the mirror, but no second pull showed the cache serving it", pulls[0].Node)
	}
	return Pass, note
}
