package dockertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/middleware/redirect"

	"github.com/kdev-dev/kdev/internal/registrytest"
)

// Hub is an upstream that behaves as Docker Hub does, built from distribution's
// registry run in this process: its /v2/ answers 401 with a Bearer challenge naming a
// token server on another listener, which signs JWTs that the registry verifies with
// distribution's own token auth (against the signer's authority, as rootcertbundle);
// blob GETs are answered 307 to a third listener that serves the storage's files, as a
// CDN does (distribution's redirect storage middleware). All three serve TLS with a
// certificate from one private authority, for ip: the address the mirror reaches.
type Hub struct {
	// URL is the registry (https://ip:port), TokenURL the token server's realm, and
	// BlobURL the host blob GETs are redirected to.
	URL, TokenURL, BlobURL string
	// Service is the token's audience, as the challenge names it.
	Service string
	// CA is the authority of the three listeners' certificate, PEM.
	CA []byte

	// Routes maps each listener's host:port, by name, to its address: what a proxy
	// needs to be the way to the hub (with Domain set; nothing resolves the names).
	Routes map[string]string

	tok *tokenServer
	// seed serves the same storage over plain HTTP on loopback, without auth or
	// redirects, for the test to push its images.
	seed      *httptest.Server
	blobsSent atomic.Int64
}

// HubOptions shape a Hub. With Users, the token server asks for basic auth as Docker
// Hub does for a private repository: a wrong password is refused with 401, and an
// anonymous token grants nothing.
//
// With Domain, the three are named registry.<Domain>, auth.<Domain> and cdn.<Domain>
// (the certificate is for *.<Domain>), as Docker Hub's are in one domain:
// distribution's proxy asks a token server only on its upstream's host or in its
// upstream's domain, never on another port of an IP address.
type HubOptions struct {
	Users  map[string]string
	Domain string
}

// StartHub starts a Hub listening on ip (a Docker network's gateway, which the
// network's containers reach) and stops it when the test ends.
func StartHub(t *testing.T, ip netip.Addr, opts HubOptions) *Hub {
	t.Helper()
	certName := "hub.kdev.test"
	if opts.Domain != "" {
		certName = "*." + opts.Domain
	}
	caPEM, certPEM, keyPEM := issue(t, certName, ip)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	listen := func() net.Listener {
		l, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
		if err != nil {
			t.Fatalf("hub: listen on %s: %v", ip, err)
		}
		return l
	}
	h := &Hub{Service: "registry.hub.kdev.test", CA: caPEM, Routes: map[string]string{}}
	host := func(l net.Listener, name string) string {
		if opts.Domain == "" {
			return l.Addr().String()
		}
		_, port, _ := net.SplitHostPort(l.Addr().String())
		hp := name + "." + opts.Domain + ":" + port
		h.Routes[hp] = l.Addr().String()
		return hp
	}
	regL, tokL, blobL := listen(), listen(), listen()
	h.URL, h.TokenURL, h.BlobURL = "https://"+host(regL, "registry"), "https://"+host(tokL, "auth")+"/token", "https://"+host(blobL, "cdn")

	h.tok = newTokenServer(t, h.Service, opts.Users)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "token-roots.pem")
	if err := os.WriteFile(bundle, h.tok.rootPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "storage")
	cfg := hubConfig(storage)
	cfg.Auth = configuration.Auth{"token": configuration.Parameters{
		"realm": h.TokenURL, "service": h.Service, "issuer": tokenIssuer, "rootcertbundle": bundle}}
	cfg.Middleware = map[string][]configuration.Middleware{"storage": {{Name: "redirect",
		Options: configuration.Parameters{"baseurl": h.BlobURL}}}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	blobs := http.FileServer(http.Dir(storage))
	serve(t, regL, cert, handlers.NewApp(ctx, cfg))
	serve(t, tokL, cert, h.tok)
	serve(t, blobL, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			h.blobsSent.Add(1)
		}
		blobs.ServeHTTP(w, r)
	}))
	h.seed = httptest.NewServer(handlers.NewApp(ctx, hubConfig(storage)))
	t.Cleanup(h.seed.Close)
	return h
}

// hubConfig is a registry on the filesystem storage at dir, quiet.
func hubConfig(dir string) *configuration.Configuration {
	cfg := &configuration.Configuration{Version: "0.1"}
	cfg.Storage = configuration.Storage{"filesystem": configuration.Parameters{"rootdirectory": dir}}
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	return cfg
}

func serve(t *testing.T, l net.Listener, cert tls.Certificate, h http.Handler) {
	t.Helper()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
}

// Push stores img as repo:tag in the hub (through its seed listener, which needs no
// token): "library/app" is what a pull of docker.io's "app" asks for.
func (h *Hub) Push(repo, tag string, img *registrytest.Image) error {
	return registrytest.Push(h.seed.URL, repo, tag, img)
}

// Client trusts the hub's authority, for a test to ask it from this machine.
func (h *Hub) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(h.CA)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TokensIssued counts the tokens the token server signed.
func (h *Hub) TokensIssued() int64 { return h.tok.issued.Load() }

// TokensRefused counts the token requests refused for their credentials.
func (h *Hub) TokensRefused() int64 { return h.tok.refused.Load() }

// BlobsRedirected counts the blob GETs the redirect host served: proof that a client
// followed the hub's redirects.
func (h *Hub) BlobsRedirected() int64 { return h.blobsSent.Load() }
