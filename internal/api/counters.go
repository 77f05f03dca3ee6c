package api

// Counters are a mirror's proxy counters, from the registry's own Prometheus metrics:
// since the mirror started in status, during one pull in a check.
type Counters struct {
	// Requests the mirror's proxy received.
	Requests Split `json:"requests"`
	// Hits are requests served from the cache.
	Hits Split `json:"hits"`
	// Misses are requests the mirror fetched from its upstream.
	Misses Split `json:"misses"`
	// PulledBytes came from the upstream.
	PulledBytes int64 `json:"pulledBytes"`
	// PushedBytes went to clients.
	PushedBytes int64 `json:"pushedBytes"`
	// Served counts successful blob and manifest responses: the one count a cache-only
	// mirror (no proxy counters) has of what it served.
	Served Split `json:"served"`
	// Answered counts every blob and manifest response, errors included.
	Answered Split `json:"answered"`
	// Upstream is what the upstream answered the mirror (kdev's registry build only).
	Upstream Upstream `json:"upstream"`
}

// Split counts blobs and manifests apart.
type Split struct {
	// Blob is the count for blobs (layers and configs).
	Blob int64 `json:"blob"`
	// Manifest is the count for manifests and indexes.
	Manifest int64 `json:"manifest"`
}

// Upstream counts an upstream's answers to the mirror.
type Upstream struct {
	// Responses counts every response the upstream gave, its token server's included.
	Responses int64 `json:"responses"`
	// RateLimited counts 429 Too Many Requests.
	RateLimited int64 `json:"rateLimited"`
	// RateLimitLimit is the ratelimit-limit header as last seen; -1 when none was.
	RateLimitLimit float64 `json:"rateLimitLimit"`
	// RateLimitRemaining is the ratelimit-remaining header as last seen; -1 when none was.
	RateLimitRemaining float64 `json:"rateLimitRemaining"`
}
