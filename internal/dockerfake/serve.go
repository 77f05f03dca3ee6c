package dockerfake

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/network"
)

// The ports kdev's registry configuration listens on inside the container: the API,
// and the debug listener with Prometheus metrics.
const (
	apiPort   = 5000
	debugPort = 5001
)

// Counts are one counter split by the `type` label distribution gives it.
type Counts struct{ Blob, Manifest int64 }

// Metrics are the counters a registry container's debug port serves.
type Metrics struct {
	Requests, Hits, Misses Counts
	// Extra is more Prometheus text, served as it is after the proxy counters
	// (registry_http_requests_total, registry_proxy_pulled_bytes_total...).
	Extra string
}

// served holds what a container's servers answer. It has its own lock: a server being
// closed under the fake's lock waits for its requests, which must not wait for that lock.
type served struct {
	mu sync.Mutex
	m  Metrics
}

func (s *served) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, c := range []struct {
		name, help string
		v          Counts
	}{
		{"registry_proxy_requests_total", "The number of total incoming proxy request received", s.m.Requests},
		{"registry_proxy_hits_total", "The number of total proxy request hits", s.m.Hits},
		{"registry_proxy_misses_total", "The number of total proxy request misses", s.m.Misses},
	} {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
		fmt.Fprintf(&b, "%s{type=\"blob\"} %d\n%s{type=\"manifest\"} %d\n", c.name, c.v.Blob, c.name, c.v.Manifest)
	}
	b.WriteString(s.m.Extra)
	return b.String()
}

// SetMetrics sets the counters that the named container's debug port serves, from now
// on and for any later container of that name.
func (f *Fake) SetMetrics(name string, m Metrics) {
	f.mu.Lock()
	s := f.metricsOf(name)
	f.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
}

func (f *Fake) metricsOf(name string) *served {
	s := f.metrics[name]
	if s == nil {
		s = &served{}
		f.metrics[name] = s
	}
	return s
}

// publish opens a real listener on 127.0.0.1 for every port binding of c: the host
// port asked for, or a free one. A registry serves its API and its metrics there;
// anything else has connections accepted and closed, as the
// engine's proxy does when nothing listens inside.
func (c *ctr) publish(registry bool, m *served) error {
	ports := network.PortMap{}
	for p, binds := range c.host.PortBindings {
		for _, b := range binds {
			srv, err := serve(b.HostPort, handlerFor(p, registry, m))
			if err != nil {
				c.unpublish()
				return fmt.Errorf("bind for %s:%s failed: port is already allocated", hostIP(b), b.HostPort)
			}
			c.servers = append(c.servers, srv)
			port := srv.Listener.Addr().(*net.TCPAddr).Port
			ports[p] = append(ports[p], network.PortBinding{HostIP: hostIP(b), HostPort: strconv.Itoa(port)})
		}
	}
	c.published = ports
	return nil
}

// hostIP is the address a binding reports: the one asked for, else all of them.
func hostIP(b network.PortBinding) netip.Addr {
	if b.HostIP.IsValid() {
		return b.HostIP
	}
	return netip.IPv4Unspecified()
}

func serve(hostPort string, h http.Handler) (*httptest.Server, error) {
	srv := httptest.NewUnstartedServer(h)
	if hostPort != "" && hostPort != "0" {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback.String(), hostPort))
		if err != nil {
			srv.Listener.Close()
			return nil, err
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	return srv, nil
}

// unpublish closes c's listeners; its ports are no longer published.
func (c *ctr) unpublish() {
	for _, s := range c.servers {
		s.Close()
	}
	c.servers, c.published = nil, nil
}

func handlerFor(p network.Port, registry bool, m *served) http.Handler {
	if !registry {
		return http.HandlerFunc(hangUp)
	}
	mux := http.NewServeMux()
	switch p.Num() {
	case apiPort:
		mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path != "/v2/" {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`)
				return
			}
			fmt.Fprint(w, "{}")
		})
	case debugPort:
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			fmt.Fprint(w, m.text())
		})
		mux.HandleFunc("/debug/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "{}") })
	default:
		return http.HandlerFunc(hangUp)
	}
	return mux
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
