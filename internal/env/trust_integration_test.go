package env

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestPrivateCAUpstream: an upstream that serves TLS with a certificate from a private
// authority (a company registry; the internet behind a TLS-inspecting proxy). Without
// the authority, up says by name what is wrong and what to set, and the mirror serves
// its cache only. With caFile, the mirror goes back to proxy mode and a cold pull
// through it fills its cache: the mirror's counters see the miss, then the hit.
func TestPrivateCAUpstream(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	net := f.up().Network.Name
	up := dockertest.StartTLSRegistry(t, f.api, f.image, dockertest.Name("kt-tls-"), net)
	img, err := registrytest.NewImage(2, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.PushWith(up.Client, up.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	m := config.Mirror{Registry: dockertest.Name("corp") + ".test", RemoteURL: up.InNetwork, Policy: config.PolicyFallback}
	f.env.Config.Mirrors = []config.Mirror{m}

	r := f.up().Mirrors[0]
	named := strings.Contains(r.Warning, "unknown authority") && strings.Contains(r.Warning, "caFile")
	if r.Mode != registry.ModeCacheOnly || !named {
		t.Fatalf("mirror of a private-CA upstream without caFile: mode %s, warning %q; want cache-only, naming the authority and caFile", r.Mode, r.Warning)
	}

	ca := filepath.Join(t.TempDir(), "corp-ca.pem")
	if err := os.WriteFile(ca, up.CA, 0o644); err != nil {
		t.Fatal(err)
	}
	f.env.Config.Mirrors[0].CAFile = ca
	r = f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy || r.Warning != "" {
		t.Fatalf("mirror with caFile: mode %s, warning %q; want proxy", r.Mode, r.Warning)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "team/app", "v1"); err != nil {
		t.Fatalf("cold pull through the mirror: %v", err)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "team/app", "v1"); err != nil {
		t.Fatalf("warm pull through the mirror: %v", err)
	}
	c := f.settled(r, func(c registry.Counters) bool { return c.Misses.Blob > 0 && c.Hits.Blob > 0 })
	if c.Misses.Blob == 0 || c.Hits.Blob == 0 {
		t.Errorf("mirror counted %+v: want the cold pull's misses (fetched over TLS) and the warm pull's hits", c)
	}
}

// TestProxyOnlyWayOut: the upstream's name resolves nowhere and its address is not on
// the mirror's network: the proxy that HTTP_PROXY names, in kdev's environment, is the
// only way to it. The mirror goes through it and fills its cache.
func TestProxyOnlyWayOut(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	info := f.up().Network
	up := dockertest.StartRegistry(t, f.api, f.image, dockertest.Name("kt-behind-"), "bridge")
	img, err := registrytest.NewImage(2, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(up.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	hidden := dockertest.Name("upstream") + ".behind-proxy.test:5000"
	proxy := dockertest.StartProxy(t, info.Subnet.Addr().Next(), map[string]string{hidden: strings.TrimPrefix(up.URL, "http://")})
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	p, err := docker.FindProxy(os.Getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	f.env.Proxy = p
	f.env.Config.Mirrors = []config.Mirror{{Registry: dockertest.Name("r") + ".test", RemoteURL: "http://" + hidden, Policy: config.PolicyFallback}}

	r := f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy {
		t.Fatalf("mirror behind the proxy: mode %s, warning %q", r.Mode, r.Warning)
	}
	before := proxy.Requests()
	if _, err := registrytest.Pull(mirrorURL(r), "team/app", "v1"); err != nil {
		t.Fatalf("pull through the mirror: %v", err)
	}
	if c := f.settled(r, func(c registry.Counters) bool { return c.Misses.Blob > 0 }); c.Misses.Blob == 0 || proxy.Requests() == before {
		t.Errorf("mirror counted %+v, the proxy forwarded %d requests for the pull: want the blobs fetched through the proxy", c, proxy.Requests()-before)
	}
}

// TestRateLimitedUpstream: an upstream that answers manifests with 429 and Docker Hub's
// rate-limit headers. distribution's proxy gives its client a 404 for it; the mirror's
// counters (kdev's registry build) keep the 429s and the headers, and status reports them.
func TestRateLimitedUpstream(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	info := f.up().Network
	hub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("ratelimit-limit", "100;w=21600")
		w.Header().Set("ratelimit-remaining", "0;w=21600")
		http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}`, http.StatusTooManyRequests)
	})
	l, err := net.Listen("tcp", netip.AddrPortFrom(info.Subnet.Addr().Next(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: hub}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	f.env.Config.Mirrors = []config.Mirror{{Registry: dockertest.Name("hub") + ".test", RemoteURL: "http://" + l.Addr().String(), Policy: config.PolicyFallback}}

	r := f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy {
		t.Fatalf("mirror: mode %s, warning %q", r.Mode, r.Warning)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "library/app", "v1"); err == nil {
		t.Fatal("a pull through a rate-limited mirror succeeded")
	}
	u := f.settled(r, func(c registry.Counters) bool { return c.Upstream.RateLimited > 0 }).Upstream
	if u.RateLimited == 0 || u.Limit != 100 || u.Remaining != 0 {
		t.Fatalf("mirror's upstream counters: %+v, want the 429s and the 100/0 headers", u)
	}
	st, err := f.env.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Mirrors[0].Counters; c == nil || c.Upstream.RateLimited != u.RateLimited {
		t.Errorf("status of the mirror: %+v, want its 429s", st.Mirrors[0])
	}
}

// TestHTTPSProxyPrivateCA: a company's setup in full. The upstream serves TLS with a
// private authority, its name resolves nowhere, and the only way to it is a CONNECT
// through the proxy that HTTPS_PROXY names; the mirror trusts the authority through
// caFiles, and fills its cache through the tunnel.
func TestHTTPSProxyPrivateCA(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	info := f.up().Network
	name := dockertest.Name("kt-corp-")
	up := dockertest.StartTLSRegistry(t, f.api, f.image, name, "bridge")
	img, err := registrytest.NewImage(2, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.PushWith(up.Client, up.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	// The certificate is for the container's name: the mirror asks for that name, which
	// no DNS on its network knows; the proxy takes it to the registry's published port.
	proxy := dockertest.StartProxy(t, info.Subnet.Addr().Next(), map[string]string{name + ":5000": strings.TrimPrefix(up.URL, "https://")})
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("HTTP_PROXY", "")
	t.Setenv("NO_PROXY", "")
	p, err := docker.FindProxy(os.Getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	f.env.Proxy = p
	ca := filepath.Join(t.TempDir(), "corp-root.pem")
	if err := os.WriteFile(ca, up.CA, 0o644); err != nil {
		t.Fatal(err)
	}
	f.env.Config.CAFiles = []string{ca}
	f.env.Config.Mirrors = []config.Mirror{{Registry: dockertest.Name("corp") + ".test", RemoteURL: up.InNetwork, Policy: config.PolicyFallback}}

	r := f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy {
		t.Fatalf("mirror behind the HTTPS proxy: mode %s, warning %q", r.Mode, r.Warning)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "team/app", "v1"); err != nil {
		t.Fatalf("pull through the mirror: %v", err)
	}
	// A tunnel is kept alive and reused, so tunnels are not counted per pull; the name
	// resolving nowhere else, blobs fetched at all came through the proxy.
	if c := f.settled(r, func(c registry.Counters) bool { return c.Misses.Blob > 0 }); c.Misses.Blob == 0 || proxy.Requests() == 0 {
		t.Errorf("mirror counted %+v, the proxy opened %d tunnels: want the blobs fetched through it", c, proxy.Requests())
	}
}
