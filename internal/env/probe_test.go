package env

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
)

// TestProbe: status asks each upstream as its mirror would, within a budget, and says
// what happened: an answer (401 counts), no answer in time, a certificate it does not
// trust (and that caFile fixes), through the proxy the mirrors use.
func TestProbe(t *testing.T) {
	v2 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	fast := httptest.NewServer(v2)
	defer fast.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	private := httptest.NewTLSServer(v2)
	defer private.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: private.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer proxy.Close()

	e := &Env{Config: &config.Environment{}}
	for _, tc := range []struct {
		name   string
		m      config.Mirror
		proxy  docker.Proxy
		ok     bool
		reason string
	}{
		{"answers with 401", config.Mirror{RemoteURL: fast.URL}, docker.Proxy{}, true, ""},
		{"slow", config.Mirror{RemoteURL: slow.URL}, docker.Proxy{}, false, "no answer within 200ms"},
		{"private CA, untrusted", config.Mirror{Registry: "corp.test", RemoteURL: private.URL}, docker.Proxy{}, false, "set caFile"},
		{"private CA, caFile", config.Mirror{Registry: "corp.test", RemoteURL: private.URL, CAFile: caFile}, docker.Proxy{}, true, ""},
		{"through the proxy", config.Mirror{RemoteURL: "http://behind.proxy.test:5000"}, docker.Proxy{HTTP: proxy.URL}, true, ""},
	} {
		e.Proxy = tc.proxy
		// A probe that ignored its budget would wait for the slow upstream, which
		// answers only when the test ends: the test would hang, not pass.
		// Only the slow upstream is asked within status's own budget: a TLS handshake
		// on a loaded machine (-race, two cores, an image build) can take longer than
		// 200 ms, and these cases are about what the answer says.
		limit := 10 * time.Second
		if tc.name == "slow" {
			limit = StatusProbeBudget
		}
		ok, why := e.probe(context.Background(), tc.m, limit)
		if ok != tc.ok || !strings.Contains(why, tc.reason) {
			t.Errorf("%s: %v %q, want %v and %q", tc.name, ok, why, tc.ok, tc.reason)
		}
	}
	if proxied.Load() == 0 {
		t.Error("the proxy saw no request")
	}
}
