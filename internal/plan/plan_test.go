package plan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kdev-dev/kdev/internal/config"
)

const header = "apiVersion: kdev.dev/v1alpha1\nkind: Environment\n"

func parse(t *testing.T, body string) *config.Environment {
	t.Helper()
	cfg, err := config.Parse("kdev.yaml", []byte(header+body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

// paths lists the files' paths, joined for comparison.
func paths(p *Plan) string {
	var out []string
	for _, f := range p.Files {
		out = append(out, strings.TrimPrefix(f.Path, "/etc/containerd/certs.d/"))
	}
	return strings.Join(out, " ")
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		opt   Options
		check func(t *testing.T, p *Plan)
	}{
		{"defaults", "", Options{Cluster: true}, func(t *testing.T, p *Plan) {
			if p.Environment != "kdev" || p.Network.Name != "kdev" || p.Network.Subnet != "" {
				t.Errorf("environment %q network %+v", p.Environment, p.Network)
			}
			var names []string
			for _, m := range p.Mirrors {
				names = append(names, m.Registry+"="+m.Container+"/"+m.CacheVolume)
			}
			want := "docker.io=kdev-mirror-docker-io/kdev-cache-docker-io registry.k8s.io=kdev-mirror-registry-k8s-io/kdev-cache-registry-k8s-io " +
				"ghcr.io=kdev-mirror-ghcr-io/kdev-cache-ghcr-io quay.io=kdev-mirror-quay-io/kdev-cache-quay-io"
			if got := strings.Join(names, " "); got != want {
				t.Errorf("mirrors\n got %s\nwant %s", got, want)
			}
			if l := p.LocalRegistry; l == nil || l.Container != "kdev-registry" || l.Port != 5001 || l.Endpoint != "http://kdev-registry:5000" {
				t.Errorf("local registry %+v", l)
			}
			if got, want := paths(p), "docker.io/hosts.toml ghcr.io/hosts.toml kdev-registry:5000/hosts.toml localhost:5001/hosts.toml quay.io/hosts.toml registry.k8s.io/hosts.toml"; got != want {
				t.Errorf("files\n got %s\nwant %s", got, want)
			}
			c := p.Cluster
			if c == nil || c.ControlPlanes != 1 || c.Workers != 0 || c.ParallelImagePulls != 5 || c.KindConfig != nil {
				t.Errorf("cluster %+v; want 1 control plane, no workers, 5 pulls, no kind config before the version is known", c)
			}
		}},
		{"no cluster", "", Options{}, func(t *testing.T, p *Plan) {
			if p.Cluster != nil {
				t.Errorf("cluster %+v; want none", p.Cluster)
			}
		}},
		{"strict mirror with an account", `mirrors:
  - registry: docker.io
    policy: strict
    credentials: {username: me, passwordEnv: HUB_TOKEN}
localRegistry: {enabled: false}
`, Options{}, func(t *testing.T, p *Plan) {
			m := p.Mirrors[0]
			if m.Account != "me" || m.Container == "kdev-mirror-docker-io" || !strings.HasPrefix(m.Container, "kdev-mirror-docker-io-") {
				t.Errorf("mirror %+v; want the account in its name", m)
			}
			if p.LocalRegistry != nil || paths(p) != "docker.io/hosts.toml" {
				t.Errorf("local %+v, files %s; want no local registry", p.LocalRegistry, paths(p))
			}
			h := p.Hosts[0]
			if !h.Strict || h.Server != m.Endpoint {
				t.Errorf("hosts %+v; a strict mirror is the only server", h)
			}
			if !strings.Contains(p.Files[0].Content, m.Endpoint) || strings.Contains(p.Files[0].Content, "registry-1.docker.io") {
				t.Errorf("hosts.toml of a strict mirror:\n%s", p.Files[0].Content)
			}
		}},
		{"kind nodes", `cluster:
  kind:
    nodes: [{role: control-plane}, {role: worker}, {role: worker}]
`, Options{Cluster: true, ContainerdConfigVersion: 3}, func(t *testing.T, p *Plan) {
			c := p.Cluster
			if c.ControlPlanes != 1 || c.Workers != 2 {
				t.Errorf("control planes %d workers %d; want 1 and 2", c.ControlPlanes, c.Workers)
			}
			if !strings.Contains(string(c.KindConfig), "io.containerd.cri.v1.images") || strings.Count(string(c.KindConfig), "role: worker") != 2 {
				t.Errorf("kind config for containerd 2.x:\n%s", c.KindConfig)
			}
		}},
		{"containerd 1.x", "", Options{Cluster: true, ContainerdConfigVersion: 2}, func(t *testing.T, p *Plan) {
			if !strings.Contains(string(p.Cluster.KindConfig), "io.containerd.grpc.v1.cri") {
				t.Errorf("kind config for containerd 1.x:\n%s", p.Cluster.KindConfig)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Build(parse(t, tc.body), tc.opt)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			tc.check(t, p)
		})
	}
}

// TestBuildTrust: a private CA is planned into the mirror and, for a fallback to an
// HTTPS upstream, into every node.
func TestBuildTrust(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, selfSigned(t), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Build(parse(t, `mirrors:
  - registry: registry.corp.example
    remoteURL: https://registry.corp.example
    caFile: `+ca+`
  - registry: quay.io
localRegistry: {enabled: false}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Mirrors[0].TrustsCA || p.Mirrors[1].TrustsCA {
		t.Errorf("trusts CA: %v %v; want the first mirror only", p.Mirrors[0].TrustsCA, p.Mirrors[1].TrustsCA)
	}
	if got, want := paths(p), "quay.io/hosts.toml registry.corp.example/hosts.toml registry.corp.example/kdev-ca.pem"; got != want {
		t.Errorf("files\n got %s\nwant %s", got, want)
	}
}

// TestBuildRejects: what up would refuse, the plan refuses, naming the field.
func TestBuildRejects(t *testing.T) {
	tests := []struct{ name, body, field, msg string }{
		{"kind field kind does not know", "cluster:\n  kind:\n    networking: {bogus: 1}\n", "cluster.kind", "bogus"},
		{"kind name", "cluster:\n  kind:\n    name: other\n", "cluster.kind.name", "named after the environment"},
		{"workers twice", "cluster:\n  workers: 1\n  kind:\n    nodes: [{role: control-plane}]\n", "cluster.kind.nodes", "not both"},
		{"registries patched", "cluster:\n  kind:\n    containerdConfigPatches: ['[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]']\n", "cluster.kind.containerdConfigPatches[0]", "wires itself"},
		{"CA file missing", "mirrors:\n  - registry: quay.io\n    caFile: /nonexistent/ca.pem\n", "mirrors[quay.io].caFile", "nonexistent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(parse(t, tc.body), Options{Cluster: true})
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Build = %v; want a config error on %s saying %q", err, tc.field, tc.msg)
			}
		})
	}
}

// selfSigned is a certificate authority's certificate, PEM.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kdev plan test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, c, c, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
