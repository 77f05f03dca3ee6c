package config

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
)

func testCA(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestCABundle(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corp, team := testCA(t, "corp"), testCA(t, "team")
	// A key pasted after the certificate must not travel with it.
	withKey := write("corp.pem", append(append([]byte("# the proxy's CA\n"), corp...), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")...))
	e := &Environment{CAFiles: []string{withKey}}
	m := Mirror{Registry: "ghcr.io", CAFile: write("team.pem", team)}
	got, err := e.CABundle(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(corp)+string(team) {
		t.Errorf("bundle:\n%s\nwant corp's then team's certificate, and nothing else", got)
	}
	if b, err := e.CABundle(Mirror{Registry: "docker.io"}); err != nil || string(b) != string(corp) {
		t.Errorf("a mirror without caFile trusts caFiles only: %q, %v", b, err)
	}

	for _, tc := range []struct {
		name, path, field, msg string
	}{
		{"no certificate", write("empty.pem", []byte("not a certificate\n")), "mirrors[ghcr.io].caFile", "holds no PEM certificate"},
		{"broken certificate", write("broken.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), "mirrors[ghcr.io].caFile", "does not parse"},
		{"missing", filepath.Join(dir, "nope.pem"), "mirrors[ghcr.io].caFile", "no such file"},
		{"a directory", dir, "mirrors[ghcr.io].caFile", "not a regular file"},
	} {
		_, err := (&Environment{}).CABundle(Mirror{Registry: "ghcr.io", CAFile: tc.path})
		var ce *Error
		if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(ce.Msg, tc.msg) {
			t.Errorf("%s: %v, want a config error on %s saying %q", tc.name, err, tc.field, tc.msg)
		}
	}
}
