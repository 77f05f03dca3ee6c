package api

// KindCheckReport is the kind of `kdev check -o json`.
const KindCheckReport = "CheckReport"

// CheckReport is the cache proof of every mirror.
type CheckReport struct {
	TypeMeta
	// Results are one per mirror, in kdev.yaml's order.
	Results []CheckResult `json:"results"`
}

// Verdicts of a mirror's check. pass is exit 0; bypassed, missed, failed and
// rate-limited are exit 1; unavailable (the check could not run) and unproven (no pull
// was served from the cache) are exit 3.
const (
	VerdictPass        = "pass"
	VerdictBypassed    = "bypassed"
	VerdictMissed      = "missed"
	VerdictFailed      = "failed"
	VerdictRateLimited = "rate-limited"
	VerdictUnavailable = "unavailable"
	VerdictUnproven    = "unproven"
)

// CheckResult is one mirror's proof, also found in UpResult's check.
type CheckResult struct {
	// Registry is the upstream host the mirror stands for.
	Registry string `json:"registry"`
	// Canary is the image pulled to prove the cache.
	Canary string `json:"canary"`
	// Mode is the mirror's mode during the check: proxy or cache-only.
	Mode string `json:"mode"`
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// Reason explains the verdict; on a pass, an optional note.
	Reason string `json:"reason,omitempty"`
	// Cause is what kdev found wrong around the mirror when the verdict is not pass.
	Cause string `json:"cause,omitempty"`
	// Pulls are the canary pulls, in order.
	Pulls []Pull `json:"pulls"`
	// Requests the mirror counted over all pulls.
	Requests int64 `json:"requests"`
	// Hits the mirror counted over all pulls.
	Hits int64 `json:"hits"`
	// Misses the mirror counted over all pulls.
	Misses int64 `json:"misses"`
	// CachedBytes are the bytes the mirror sent that it did not fetch from upstream.
	CachedBytes int64 `json:"cachedBytes"`
}

// Pull is one canary pull on one node and what the mirror counted during it.
type Pull struct {
	// Node is the node that pulled.
	Node string `json:"node"`
	// DurationMs is how long the pull took, in milliseconds.
	DurationMs int64 `json:"durationMs"`
	// Error is the pull's error, absent when it succeeded.
	Error string `json:"error,omitempty"`
	// Delta is what the mirror counted during the pull.
	Delta Counters `json:"delta"`
	// NextHost is whether containerd logged "trying next host" for the mirror: it
	// went past it.
	NextHost bool `json:"nextHost"`
}
