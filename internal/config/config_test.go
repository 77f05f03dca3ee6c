package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const header = "apiVersion: kdev.dev/v1alpha1\nkind: Environment\n"

func TestDefaults(t *testing.T) {
	e := Default()
	if e.Name != "kdev" || e.Network.Name != "kdev" {
		t.Fatalf("name %q network %q, want kdev", e.Name, e.Network.Name)
	}
	var regs []string
	for _, m := range e.Mirrors {
		regs = append(regs, m.Registry+"="+m.RemoteURL+"/"+string(m.Policy))
	}
	want := "docker.io=https://registry-1.docker.io/fallback registry.k8s.io=https://registry.k8s.io/fallback " +
		"ghcr.io=https://ghcr.io/fallback quay.io=https://quay.io/fallback"
	if got := strings.Join(regs, " "); got != want {
		t.Errorf("mirrors\n got %s\nwant %s", got, want)
	}
	if !e.LocalRegistry.On() || e.LocalRegistry.Port != 5001 {
		t.Errorf("local registry on=%v port=%d, want on 5001", e.LocalRegistry.On(), e.LocalRegistry.Port)
	}
	if e.Images.Registry != "registry:3" || !strings.HasPrefix(e.Images.Node, "kindest/node:") {
		t.Errorf("images %+v", e.Images)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestParseFillsDefaults(t *testing.T) {
	e, err := Parse("kdev.yaml", []byte(header+`name: dev
mirrors:
  - registry: ghcr.io
  - registry: registry.example.com:5000
    remoteURL: http://10.0.0.5:5000
    policy: strict
localRegistry:
  enabled: false
cluster:
  workers: 2
  kind:
    networking:
      apiServerPort: 6443
`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Network.Name != "dev" {
		t.Errorf("network name %q, want the environment's name", e.Network.Name)
	}
	if len(e.Mirrors) != 2 || e.Mirrors[0].RemoteURL != "https://ghcr.io" || e.Mirrors[0].Policy != PolicyFallback {
		t.Errorf("mirrors %+v", e.Mirrors)
	}
	if e.Mirrors[1].Policy != PolicyStrict {
		t.Errorf("policy %q, want strict", e.Mirrors[1].Policy)
	}
	if e.LocalRegistry.On() {
		t.Error("local registry enabled, want disabled")
	}
	if e.Cluster.Workers != 2 || e.Cluster.Kind["networking"] == nil {
		t.Errorf("cluster %+v", e.Cluster)
	}
}

// TestProbeTimeout: the node probe waits 10 s for an upstream unless kdev.yaml says
// otherwise, up to 2 minutes.
func TestProbeTimeout(t *testing.T) {
	if d := Default().ProbeTimeout(); d != 10*time.Second {
		t.Errorf("default probe timeout %s, want 10s", d)
	}
	for body, want := range map[string]time.Duration{
		"upstreamProbeTimeout: 1m30s\n": 90 * time.Second,
		"upstreamProbeTimeout: 500ms\n": 500 * time.Millisecond,
		"upstreamProbeTimeout: 2m\n":    2 * time.Minute,
	} {
		e, err := Parse("kdev.yaml", []byte(header+body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if d := e.ProbeTimeout(); d != want {
			t.Errorf("%q: probe timeout %s, want %s", body, d, want)
		}
	}
}

func TestParseEmptyMirrorListMeansNone(t *testing.T) {
	e, err := Parse("kdev.yaml", []byte(header+"mirrors: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Mirrors) != 0 {
		t.Errorf("got %d mirrors, want none", len(e.Mirrors))
	}
}

func TestParseErrorsNameFieldAndLine(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		want       string
	}{
		{"unknown top field", "nmae: x\n", 3, "field nmae not found"},
		{"unknown nested field", "mirrors:\n  - registry: ghcr.io\n    remoteUrl: https://ghcr.io\n", 5, "field remoteUrl not found"},
		{"bad url", "mirrors:\n  - registry: ghcr.io\n    remoteURL: ftp://ghcr.io\n", 5, "mirrors[0].remoteURL"},
		{"url with path", "mirrors:\n  - registry: ghcr.io\n    remoteURL: https://ghcr.io/v2/foo\n", 5, "registry's root"},
		{"duplicate registry", "mirrors:\n  - registry: ghcr.io\n  - registry: ghcr.io\n", 5, "already mirrored by mirrors[0]"},
		{"canary on another registry", "mirrors:\n  - registry: ghcr.io\n    canary: docker.io/library/busybox:1\n", 5, "must be an image on ghcr.io"},
		{"bad policy", "mirrors:\n  - registry: ghcr.io\n    policy: sometimes\n", 5, "mirrors[0].policy"},
		{"port out of range", "localRegistry:\n  port: 70000\n", 4, "localRegistry.port: 70000 is out of range"},
		{"public subnet", "network:\n  subnet: 8.8.8.0/24\n", 4, "not in a private range"},
		{"subnet straddling private", "network:\n  subnet: 172.0.0.0/8\n", 4, "not in a private range"},
		{"host bits", "network:\n  subnet: 172.30.0.1/24\n", 4, "did you mean 172.30.0.0/24"},
		{"not yaml", "mirrors: [\n", 3, "did not find expected node content"},
		{"wrong type", "localRegistry:\n  port: lots\n", 4, `"lots" is not an integer`},
		{"a string where a list goes", "mirrors: docker.io\n", 3, "cannot unmarshal"},
		// Values the decoder alone accepted (issue 16), each named with its line.
		{"empty name", "name: \"\"\n", 3, "name: is empty"},
		{"null name", "name:\n", 3, "name: is empty"},
		{"double dash in name", "name: a--b\n", 3, `name: "a--b" is not a valid name`},
		{"name ending with a dash", "name: ab-\n", 3, "not a valid name"},
		{"empty network name", "network:\n  name: ''\n", 4, "network.name: is empty"},
		{"port 0", "localRegistry:\n  port: 0\n", 4, "localRegistry.port: is 0"},
		{"float port", "localRegistry:\n  port: 5001.0\n", 4, `"5001.0" is not an integer`},
		{"float workers", "cluster:\n  workers: 1.5\n", 4, `cluster.workers: "1.5" is not an integer`},
		{"empty node image", "images:\n  node: ''\n", 4, "images.node: is empty"},
		{"remote port out of range", "mirrors:\n  - registry: ghcr.io\n    remoteURL: http://h:99999\n", 5, `port "99999"`},
		{"remote port empty", "mirrors:\n  - registry: ghcr.io\n    remoteURL: 'http://h:'\n", 5, `port ""`},
		{"remote with a fragment", "mirrors:\n  - registry: ghcr.io\n    remoteURL: http://h#frag\n", 5, "fragment"},
		{"remote host with a leading dash", "mirrors:\n  - registry: ghcr.io\n    remoteURL: http://-h\n", 5, "host is not a valid name"},
		{"empty remote", "mirrors:\n  - registry: ghcr.io\n    remoteURL: ''\n", 5, "mirrors[0].remoteURL: is empty"},
		{"registry with an empty label", "mirrors:\n  - registry: a..b\n", 4, `"a..b" is not a registry host name`},
		{"registry with a leading dash", "mirrors:\n  - registry: -a.io\n", 4, "is not a registry host name"},
		{"registry port out of range", "mirrors:\n  - registry: a.io:70000\n", 4, `port "70000"`},
		{"registry port 0", "mirrors:\n  - registry: a.io:0\n", 4, `port "0"`},
		{"non-string key in cluster.kind", "cluster:\n  kind:\n    1: true\n", 5, `cluster.kind: key "1" is not a string`},
		{"boolean key", "mirrors:\n  - registry: a.io\n    true: 1\n", 5, `key "true" is not a string`},
		{"list as a key", "? [a]\n: 1\n", 3, "a key is a list or a map"},
		{"bad name", "name: My_Env\n", 3, "name: \"My_Env\" is not a valid name"},
		{"probe timeout without a unit", "upstreamProbeTimeout: 10\n", 3, `upstreamProbeTimeout: "10" is not a duration`},
		{"probe timeout zero", "upstreamProbeTimeout: 0s\n", 3, "upstreamProbeTimeout: 0s must be positive"},
		{"probe timeout negative", "upstreamProbeTimeout: -5s\n", 3, "upstreamProbeTimeout: -5s must be positive"},
		{"probe timeout too long", "upstreamProbeTimeout: 2m1s\n", 3, "upstreamProbeTimeout: 2m1s is longer than 2m0s"},
		{"probe timeout empty", "upstreamProbeTimeout: ''\n", 3, "upstreamProbeTimeout: is empty"},
		{"credentials without password", "mirrors:\n  - registry: docker.io\n    credentials:\n      username: me\n", 6, "exactly one of passwordFile and passwordEnv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("kdev.yaml", []byte(header+tc.body))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if ce.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", ce.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "kdev.yaml:") {
				t.Errorf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
}

func TestParseWrongAPIVersion(t *testing.T) {
	_, err := Parse("x.yaml", []byte("apiVersion: kdev.dev/v2\nkind: Environment\n"))
	if err == nil || !strings.Contains(err.Error(), `x.yaml:1: apiVersion: is "kdev.dev/v2"`) {
		t.Fatalf("got %v", err)
	}
	_, err = Parse("x.yaml", []byte("name: foo\n"))
	if err == nil || !strings.Contains(err.Error(), "apiVersion: missing") {
		t.Fatalf("got %v", err)
	}
}

func TestLoad(t *testing.T) {
	t.Chdir(t.TempDir())
	e, err := Load("", Overrides{})
	if err != nil || e.Name != DefaultName {
		t.Fatalf("no file: got %v, %v; want the defaults", e, err)
	}
	if _, err := Load("missing.yaml", Overrides{}); err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read") {
		t.Fatalf("named missing file: got %v", err)
	}
	if err := os.WriteFile(filepath.Join(".", DefaultFile), []byte(header+"name: fromfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, err := Load("", Overrides{}); err != nil || e.Name != "fromfile" {
		t.Fatalf("./kdev.yaml: got %v, %v", e, err)
	}
	e, err = Load("", Overrides{Name: "other", RegistryImage: "kdev.local/registry:3"})
	if err != nil || e.Name != "other" || e.Network.Name != "other" || e.Images.Registry != "kdev.local/registry:3" {
		t.Fatalf("overrides: got %+v, %v; want name and network other", e, err)
	}
	if _, err := Load("", Overrides{Name: "Bad Name"}); err == nil || !strings.Contains(err.Error(), "name: \"Bad Name\"") {
		t.Fatalf("bad --name: got %v", err)
	}
}
