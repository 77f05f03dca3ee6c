package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func captured(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "nodeops", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseWiring reads readWiringScript's real output: each file asked for (one
// missing), kdev's own files found by marker and name (the user's quay.io file is
// not among them), and containerd's account of config_path, set and unset.
func TestParseWiring(t *testing.T) {
	hosts, err := os.ReadFile("../../templates/testdata/docker.io-fallback.toml")
	if err != nil {
		t.Fatal(err)
	}
	const certs = "/etc/containerd/certs.d/"
	w := parseWiring(captured(t, "wiring-containerd-1.6.20-kdev.txt"))
	if got := w.Files[certs+"docker.io/hosts.toml"]; got != string(hosts) {
		t.Errorf("docker.io hosts.toml read as:\n%s\nwant:\n%s", got, hosts)
	}
	if got := w.Files[certs+"registry.corp/kdev-ca.pem"]; !strings.HasPrefix(got, "-----BEGIN CERTIFICATE-----\n") {
		t.Errorf("CA file read as %q", got)
	}
	if got, ok := w.Files[certs+"ghcr.io/hosts.toml"]; !ok || got != "" {
		t.Errorf("a missing file: %q, %v; want it asked for and empty", got, ok)
	}
	wantOurs := []string{certs + "docker.io/hosts.toml", certs + "registry.corp/hosts.toml", certs + "registry.corp/kdev-ca.pem"}
	if !slices.Equal(w.Ours, wantOurs) {
		t.Errorf("kdev's files: %v, want %v", w.Ours, wantOurs)
	}
	if c := w.Containerd; c.Err != nil || !c.Reads || c.Registry.Version != "1.6.20" {
		t.Errorf("containerd with kdev's patch: %+v", c)
	}

	w = parseWiring(captured(t, "wiring-containerd-1.6.20-kind.txt"))
	if c := w.Containerd; c.Err != nil || c.Reads || c.Why == "" {
		t.Errorf("containerd without config_path: reads %v (%q), error %v", c.Reads, c.Why, c.Err)
	}

	// containerd's config unreadable: its dump prints nothing, which is said as such.
	w = parseWiring("\036OURS\n\036VERSION\ncontainerd github.com/containerd/containerd/v2 v2.3.4 abc\n\036CONFIG\n")
	if c := w.Containerd; c.Err == nil || !strings.Contains(c.Err.Error(), "printed nothing") {
		t.Errorf("empty dump: %+v", c)
	}
}

// TestParseReach: a name that resolves, one that does not, and the local registry
// answering (a 404 is an answer) or not.
func TestParseReach(t *testing.T) {
	for _, tc := range []struct {
		file  string
		local bool
	}{{"resolve-local-up.txt", true}, {"resolve-local-down.txt", false}} {
		r := parseReach(captured(t, tc.file), true)
		if !r.Resolves["localhost"] || r.Resolves["kdev-mirror-nowhere-test"] || r.Local != tc.local {
			t.Errorf("%s: %+v, want localhost only and local %v", tc.file, r, tc.local)
		}
		if r.Resolves["local"] {
			t.Errorf("%s: the local registry's line was read as a host", tc.file)
		}
	}
	if r := parseReach("ok kdev-mirror-a\nfail kdev-mirror-b\n", false); !r.Resolves["kdev-mirror-a"] || r.Resolves["kdev-mirror-b"] || r.Local {
		t.Errorf("without the local registry: %+v", r)
	}
}

// TestParseProbeCaptured: curl's real answers: any HTTP status is an answer; a refused
// port and a name that does not resolve fail at once.
func TestParseProbeCaptured(t *testing.T) {
	urls := []string{"http://127.0.0.1:18473", "http://127.0.0.1:1", "http://upstream.invalid"}
	got := parseProbe(captured(t, "probe.txt"), urls, 10*time.Second)
	if got[urls[0]] != "" {
		t.Errorf("an upstream that answered 404: %q", got[urls[0]])
	}
	for _, u := range urls[1:] {
		if !strings.Contains(got[u], "failed at once") {
			t.Errorf("%s: %q, want a connection that failed at once", u, got[u])
		}
	}
}

// TestParseTriedNextHost: only "trying next host" lines count, for the hosts asked about.
func TestParseTriedNextHost(t *testing.T) {
	hosts := []string{"kdev-mirror-docker-io:5000", "kdev-mirror-quay-io:5000", "kdev-mirror-ghcr-io:5000"}
	got := parseTriedNextHost(captured(t, "containerd-journal.txt"), hosts)
	if !got[hosts[0]] || got[hosts[1]] || got[hosts[2]] || len(got) != 1 {
		t.Errorf("tried next host: %v, want docker.io's mirror only", got)
	}
}

// TestParsePodStatus: a pulled image (an ID, or the kubelet's refusal to create the
// container, which comes after the pull), a refused pull with its reason, a container
// still pulling, and lines that are not canaries of this pod.
func TestParsePodStatus(t *testing.T) {
	got := parsePodStatus(captured(t, "pod-status.txt"), 5)
	want := []containerState{
		{index: 0, pulled: true},
		{index: 1, pulled: true},
		{index: 2, failed: true, message: `failed to pull and unpack image "a.test/missing:1": failed to resolve reference "a.test/missing:1": a.test/missing:1: not found`},
		{index: 4, failed: true, message: `Back-off pulling image "b.test/gone:1"`},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parsePodStatus:\n got %+v\nwant %+v", got, want)
	}
}

func TestControlPlaneIsReady(t *testing.T) {
	for out, want := range map[string]bool{"True": true, "True True": true, "": false, "True False": false, "Unknown": false, " \n": false} {
		if got := controlPlaneIsReady(out); got != want {
			t.Errorf("controlPlaneIsReady(%q) = %v, want %v", out, got, want)
		}
	}
}
