package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

// TLSRegistry is a registry that serves HTTPS with a certificate from a private
// authority, as a company's registry, or the internet seen through a TLS-inspecting
// proxy, does: nothing trusts it but what is given CA.
type TLSRegistry struct {
	Registry
	// CA is the authority's certificate, PEM.
	CA []byte
	// Client trusts CA, for the test to push and pull from this machine.
	Client *http.Client
}

// StartTLSRegistry runs distribution's registry (image) on net, serving HTTPS for its
// container name and 127.0.0.1 with a certificate signed by a new private authority,
// and removes it when the test ends. URL and InNetwork are https.
func StartTLSRegistry(t *testing.T, api docker.API, image, name, net string) *TLSRegistry {
	t.Helper()
	ctx := context.Background()
	caPEM, certPEM, keyPEM := issue(t, name)
	port := network.MustParsePort("5000/tcp")
	res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{Image: image, ExposedPorts: network.PortSet{port: {}},
			// distribution reads REGISTRY_* as overrides of its config file.
			Env: []string{"REGISTRY_HTTP_TLS_CERTIFICATE=/certs/tls.crt", "REGISTRY_HTTP_TLS_KEY=/certs/tls.key"}},
		HostConfig:       &container.HostConfig{PortBindings: network.PortMap{port: {{HostIP: loopbackAddr}}}},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: {}}},
	})
	if err != nil {
		t.Fatalf("create registry %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = api.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "certs/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, f := range []struct {
		name string
		b    []byte
	}{{"certs/tls.crt", certPEM}, {"certs/tls.key", keyPEM}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.b))})
		_, _ = tw.Write(f.b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CopyToContainer(ctx, res.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		t.Fatalf("copy the certificate into %s: %v", name, err)
	}
	if _, err := api.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start registry %s: %v", name, err)
	}
	ins, err := api.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	r := &TLSRegistry{
		Registry: Registry{ID: res.ID, Name: name,
			URL:       "https://127.0.0.1:" + ins.Container.NetworkSettings.Ports[port][0].HostPort,
			InNetwork: "https://" + name + ":5000"},
		CA:     caPEM,
		Client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := r.Client.Get(r.URL + "/v2/")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer over TLS: %v", r.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var loopbackAddr = netip.MustParseAddr("127.0.0.1")

// issue makes a private authority and a serving certificate it signs for host,
// 127.0.0.1 and ips, and returns the authority's certificate, the serving certificate
// and its key, PEM.
func issue(t *testing.T, host string, ips ...netip.Addr) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kdev test private CA " + host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []net.IP{net.IPv4(127, 0, 0, 1)}
	for _, ip := range ips {
		addrs = append(addrs, ip.AsSlice())
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{host}, IPAddresses: addrs,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
