package registry

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	gometrics "github.com/docker/go-metrics"

	"github.com/kdev-dev/kdev/internal/registrytest"
)

// inProcess serves a distribution registry with cfg over httptest. Its metrics are
// process-global, so only one registry in a test process may turn Prometheus on.
func inProcess(t *testing.T, cfg *configuration.Configuration, prometheus bool) *httptest.Server {
	t.Helper()
	cfg.Storage = configuration.Storage{"inmemory": configuration.Parameters{}}
	cfg.Log.Level = "error"
	cfg.HTTP.Debug.Prometheus.Enabled = prometheus
	srv := httptest.NewServer(handlers.NewApp(context.Background(), cfg))
	t.Cleanup(srv.Close)
	return srv
}

// scrape reads the process's metrics the way kdev reads a mirror's debug port: the
// registries run in this process, so their metrics are this process's.
func scrape(t *testing.T) Counters {
	t.Helper()
	rec := httptest.NewRecorder()
	gometrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	c, err := ParseCounters(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCountersFromARealProxy runs distribution's own proxy in front of distribution's
// own registry, pulls an image through it twice, and checks that ParseCounters reads
// a miss for every object, then a hit for every object.
func TestCountersFromARealProxy(t *testing.T) {
	upstream := inProcess(t, &configuration.Configuration{Version: "0.1"}, false)
	ttl := time.Duration(0)
	proxy := inProcess(t, &configuration.Configuration{Version: "0.1", Proxy: configuration.Proxy{RemoteURL: upstream.URL, TTL: &ttl}}, true)

	img, err := registrytest.NewImage(2, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	before := scrape(t)
	if _, err := registrytest.Pull(proxy.URL, "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	first := scrape(t).Sub(before)
	blobs := int64(len(img.Layers) + 1)
	if first.Misses.Blob != blobs || first.Hits.Blob != 0 || first.Requests.Blob != blobs || first.Misses.Manifest != 1 {
		t.Fatalf("first pull: %+v; want %d blob misses, one manifest miss, no hits", first, blobs)
	}
	if _, err := registrytest.Pull(proxy.URL, "team/absent", "v1"); err == nil {
		t.Fatal("pulled an image that exists nowhere")
	}
	first = scrape(t).Sub(before)
	if first.Served.Blob != blobs || first.Answered.Manifest != first.Served.Manifest+1 || first.PulledBytes == 0 {
		t.Errorf("first pull: served %+v, pulled %d bytes", first.Served, first.PulledBytes)
	}
	if _, err := registrytest.Pull(proxy.URL, "team/app", img.Digest); err != nil {
		t.Fatal(err)
	}
	second := scrape(t).Sub(before).Sub(first)
	if second.Hits.Blob != blobs || second.Misses.Total() != 0 || second.Hits.Manifest != 1 {
		t.Fatalf("second pull: %+v; want %d blob hits, a manifest hit, no misses", second, blobs)
	}
	if r := scrape(t).Sub(before).HitRatio(); r <= 0.4 || r >= 0.6 {
		t.Errorf("hit ratio over both pulls %.2f, want about one half", r)
	}
}
