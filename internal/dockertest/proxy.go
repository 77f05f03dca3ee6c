package dockertest

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"sync/atomic"
	"testing"
)

// Proxy is a forward HTTP proxy the test runs on this machine, standing in for a
// company's proxy: it forwards requests for the hosts it knows to their addresses, and
// counts them. The hosts are names that nothing else resolves, so the proxy is the
// only way to them.
type Proxy struct {
	// URL is the proxy's address, for HTTP_PROXY.
	URL      string
	requests atomic.Int64
}

// Requests is how many requests the proxy forwarded.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// StartProxy listens on ip (a Docker network's gateway, which its containers reach)
// and forwards absolute-URI requests (plain HTTP) and CONNECT tunnels (HTTPS, as
// HTTPS_PROXY is used) for routes' hosts ("name:port") to their targets
// ("127.0.0.1:port"); any other host gets 502. It stops when the test ends.
func StartProxy(t *testing.T, ip netip.Addr, routes map[string]string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatalf("proxy: listen on %s: %v", ip, err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = routes[r.In.URL.Host]
			r.Out.Host = r.In.URL.Host
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			p.tunnel(w, r, routes[r.Host])
			return
		}
		if _, ok := routes[r.URL.Host]; !ok || !r.URL.IsAbs() {
			http.Error(w, "proxy: no route to "+r.URL.Host, http.StatusBadGateway)
			return
		}
		p.requests.Add(1)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// tunnel answers a CONNECT: it joins the client to target, byte for byte, as a
// company's proxy does for HTTPS (the TLS session is end to end).
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, target string) {
	if target == "" {
		http.Error(w, "proxy: no route to "+r.Host, http.StatusBadGateway)
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "proxy: cannot hijack", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	client, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.requests.Add(1)
	go func() {
		defer up.Close()
		defer client.Close()
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			_, _ = up.Write(b)
		}
		done := make(chan struct{})
		go func() { _, _ = io.Copy(client, up); close(done) }()
		_, _ = io.Copy(up, client)
		<-done
	}()
}
