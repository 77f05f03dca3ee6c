package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/docker/go-metrics"
)

// What the mirror's upstream answers, for kdev status and check: distribution's proxy
// turns an upstream's 429 into a 404 for its client, and containerd then goes around
// the mirror, so without these counters a rate-limited mirror looks like a working one.
// They are served with distribution's own metrics on the debug listener.
var (
	upstreamNS = metrics.NewNamespace("kdev", "upstream", nil)
	responses  = upstreamNS.NewLabeledCounter("responses", "Responses from the upstream, by HTTP status code", "code")
	// Docker Hub's ratelimit-limit and ratelimit-remaining headers ("100;w=21600"),
	// as last seen; -1 until an upstream sends them.
	rateLimit     = upstreamNS.NewGauge("ratelimit_limit", "The upstream's pull limit per window, from its ratelimit-limit header (-1: none seen)", metrics.Unit(""))
	rateRemaining = upstreamNS.NewGauge("ratelimit_remaining", "Pulls left in the upstream's window, from its ratelimit-remaining header (-1: none seen)", metrics.Unit(""))
)

func init() {
	metrics.Register(upstreamNS)
	rateLimit.Set(-1)
	rateRemaining.Set(-1)
	// distribution's proxy reaches its upstream (and its token server) through
	// http.DefaultTransport: every response passes here.
	http.DefaultTransport = watch{next: http.DefaultTransport}
}

// watch counts an upstream's responses and records its rate-limit headers.
type watch struct{ next http.RoundTripper }

func (w watch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	responses.WithValues(strconv.Itoa(resp.StatusCode)).Inc(1)
	if v, ok := headerNumber(resp.Header.Get("ratelimit-limit")); ok {
		rateLimit.Set(v)
	}
	if v, ok := headerNumber(resp.Header.Get("ratelimit-remaining")); ok {
		rateRemaining.Set(v)
	}
	return resp, nil
}

// headerNumber reads the count of a rate-limit header: "76;w=21600" is 76.
func headerNumber(h string) (float64, bool) {
	n, _, _ := strings.Cut(h, ";")
	v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	return v, err == nil
}
