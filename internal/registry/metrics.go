package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Counters are a mirror's proxy counters since it started, per kind of object.
// They come from distribution's own Prometheus metrics, so a hit here is one the
// mirror really served from its cache.
type Counters struct {
	Requests Split `json:"requests"`
	Hits     Split `json:"hits"`
	Misses   Split `json:"misses"`
	// PulledBytes came from the upstream; PushedBytes went to clients.
	PulledBytes int64 `json:"pulledBytes"`
	PushedBytes int64 `json:"pushedBytes"`
	// Served counts successful blob and manifest responses, from the HTTP metrics: the
	// one count a cache-only mirror (no proxy counters) has of what it served.
	Served Split `json:"served"`
	// Answered counts every blob and manifest response, errors included: proof that a
	// request reached the mirror even when it could not serve it.
	Answered Split `json:"answered"`
	// Upstream is what the upstream answered the mirror, from kdev's registry build
	// (other registry images do not count it).
	Upstream Upstream `json:"upstream"`
}

// Upstream counts an upstream's answers to the mirror. distribution's proxy turns an
// upstream's 429 into a 404 for its client, and containerd then goes around the mirror:
// RateLimited is the only trace of it.
type Upstream struct {
	// Responses counts every response the upstream gave (token server included).
	Responses int64 `json:"responses"`
	// RateLimited counts 429 Too Many Requests.
	RateLimited int64 `json:"rateLimited"`
	// Limit and Remaining are Docker Hub's ratelimit-limit and ratelimit-remaining
	// headers as last seen; -1 when none was seen.
	Limit     float64 `json:"rateLimitLimit"`
	Remaining float64 `json:"rateLimitRemaining"`
}

// Sub returns c minus before: what happened between two readings.
func (c Counters) Sub(before Counters) Counters {
	return Counters{
		Requests:    c.Requests.sub(before.Requests),
		Hits:        c.Hits.sub(before.Hits),
		Misses:      c.Misses.sub(before.Misses),
		PulledBytes: c.PulledBytes - before.PulledBytes,
		PushedBytes: c.PushedBytes - before.PushedBytes,
		Served:      c.Served.sub(before.Served),
		Answered:    c.Answered.sub(before.Answered),
		Upstream: Upstream{Responses: c.Upstream.Responses - before.Upstream.Responses,
			RateLimited: c.Upstream.RateLimited - before.Upstream.RateLimited,
			Limit:       c.Upstream.Limit, Remaining: c.Upstream.Remaining},
	}
}

func (s Split) sub(b Split) Split {
	return Split{Blob: s.Blob - b.Blob, Manifest: s.Manifest - b.Manifest}
}

// Split counts blobs and manifests apart: label `type` of the metrics.
type Split struct {
	Blob     int64 `json:"blob"`
	Manifest int64 `json:"manifest"`
}

// Total is blobs plus manifests.
func (s Split) Total() int64 { return s.Blob + s.Manifest }

// HitRatio is hits over requests, or -1 when there were no requests.
func (c Counters) HitRatio() float64 {
	if c.Requests.Total() == 0 {
		return -1
	}
	return float64(c.Hits.Total()) / float64(c.Requests.Total())
}

// ReadCounters fetches and parses a registry's Prometheus metrics from its debug port;
// a nil hc means a client with a short timeout.
func ReadCounters(ctx context.Context, hc *http.Client, debugPort int) (Counters, error) {
	url := "http://127.0.0.1:" + strconv.Itoa(debugPort) + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Counters{}, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Counters{}, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Counters{}, fmt.Errorf("read metrics: %s answered %s", url, resp.Status)
	}
	return ParseCounters(resp.Body)
}

// ParseCounters reads the registry_proxy_* counters from Prometheus text format.
func ParseCounters(r io.Reader) (Counters, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Counters{}, fmt.Errorf("parse metrics: %w", err)
	}
	var c Counters
	split := func(name string, into *Split) {
		for _, m := range fams[name].GetMetric() {
			v := int64(m.GetCounter().GetValue())
			for _, l := range m.GetLabel() {
				if l.GetName() != "type" {
					continue
				}
				switch l.GetValue() {
				case "blob":
					into.Blob += v
				case "manifest":
					into.Manifest += v
				}
			}
		}
	}
	sum := func(name string) int64 {
		var t int64
		for _, m := range fams[name].GetMetric() {
			t += int64(m.GetCounter().GetValue())
		}
		return t
	}
	split("registry_proxy_requests_total", &c.Requests)
	split("registry_proxy_hits_total", &c.Hits)
	split("registry_proxy_misses_total", &c.Misses)
	for _, m := range fams["registry_http_requests_total"].GetMetric() {
		var code, handler string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "code":
				code = l.GetValue()
			case "handler":
				handler = l.GetValue()
			}
		}
		v := int64(m.GetCounter().GetValue())
		into := []*Split{&c.Answered}
		if strings.HasPrefix(code, "2") {
			into = append(into, &c.Served)
		}
		for _, sp := range into {
			switch handler {
			case "blob":
				sp.Blob += v
			case "manifest":
				sp.Manifest += v
			}
		}
	}
	c.PulledBytes = sum("registry_proxy_pulled_bytes_total")
	c.PushedBytes = sum("registry_proxy_pushed_bytes_total")
	c.Upstream = Upstream{Limit: -1, Remaining: -1}
	for _, m := range fams["kdev_upstream_responses_total"].GetMetric() {
		v := int64(m.GetCounter().GetValue())
		c.Upstream.Responses += v
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" && l.GetValue() == "429" {
				c.Upstream.RateLimited += v
			}
		}
	}
	for name, into := range map[string]*float64{"kdev_upstream_ratelimit_limit": &c.Upstream.Limit, "kdev_upstream_ratelimit_remaining": &c.Upstream.Remaining} {
		for _, m := range fams[name].GetMetric() {
			*into = m.GetGauge().GetValue()
		}
	}
	return c, nil
}
