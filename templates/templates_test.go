package templates

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/kdev-dev/kdev/internal/golden"
)

func TestHostsTOML(t *testing.T) {
	tests := []struct {
		file string
		h    Hosts
	}{
		{"docker.io-fallback.toml", Hosts{Registry: "docker.io", Mirror: "http://kdev-mirror-docker-io:5000", Server: "https://registry-1.docker.io"}},
		{"ghcr.io-strict.toml", Hosts{Registry: "ghcr.io", Mirror: "http://kdev-mirror-ghcr-io:5000", Server: "http://kdev-mirror-ghcr-io:5000", Strict: true}},
		{"localhost-5001.toml", Hosts{Registry: "localhost:5001", Mirror: "http://kdev-registry:5000", Server: "http://kdev-registry:5000", Strict: true}},
		{"registry.corp-private-ca.toml", Hosts{Registry: "registry.corp", Mirror: "http://kdev-mirror-registry-corp-1a2b3c4d:5000", Server: "https://registry.corp", CA: "-----BEGIN CERTIFICATE-----\n"}},
		// The authorities' file is written for the probe, but containerd talks only to
		// the mirror (strict) or to a plain-HTTP upstream: no ca line.
		{"registry.corp-strict-private-ca.toml", Hosts{Registry: "registry.corp", Mirror: "http://kdev-mirror-registry-corp-1a2b3c4d:5000", Server: "http://kdev-mirror-registry-corp-1a2b3c4d:5000", Strict: true, CA: "-----BEGIN CERTIFICATE-----\n"}},
		{"registry.lan-http-ca.toml", Hosts{Registry: "registry.lan", Mirror: "http://kdev-mirror-registry-lan-1a2b3c4d:5000", Server: "http://registry.lan", CA: "-----BEGIN CERTIFICATE-----\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := HostsTOML(tc.h)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, []byte(got))
			var parsed struct {
				Server string
				CA     string
				Host   map[string]struct{ Capabilities []string }
			}
			if _, err := toml.Decode(got, &parsed); err != nil {
				t.Fatalf("not valid TOML: %v", err)
			}
			caps := parsed.Host[tc.h.Mirror].Capabilities
			if parsed.Server != tc.h.Server || strings.Join(caps, ",") != "pull,resolve" {
				t.Errorf("parsed back as %+v", parsed)
			}
			if want := tc.h.ServerCAPath(); parsed.CA != want {
				t.Errorf("ca = %q, want %q", parsed.CA, want)
			}
		})
	}
}

func TestConfigPathPatch(t *testing.T) {
	for _, v := range []int{2, 3} {
		got, err := ConfigPathPatch(v)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "config-path-v"+string(rune('0'+v))+".toml", []byte(got))
		var parsed map[string]any
		if _, err := toml.Decode(got, &parsed); err != nil {
			t.Fatalf("v%d: not valid TOML: %v", v, err)
		}
		if strings.Contains(got, "mirrors") {
			t.Errorf("v%d: legacy registry.mirrors emitted", v)
		}
	}
}
