package env

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/templates"
)

// TestMirrorCAInNodes: every mirror with authorities has them written into the nodes,
// whatever its policy, and the probe from a node is given them; containerd's hosts.toml
// names them only where containerd itself talks to an HTTPS upstream (a fallback).
func TestMirrorCAInNodes(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "corp.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &Env{Config: &config.Environment{Name: "t", Mirrors: []config.Mirror{
		{Registry: "strict.corp", RemoteURL: "https://strict.corp", Policy: config.PolicyStrict, CAFile: ca},
		{Registry: "fallback.corp", RemoteURL: "https://fallback.corp", Policy: config.PolicyFallback, CAFile: ca},
		{Registry: "plain.lan", RemoteURL: "http://plain.lan", Policy: config.PolicyFallback, CAFile: ca},
		{Registry: "public.io", RemoteURL: "https://public.io", Policy: config.PolicyStrict},
	}}}
	files, err := e.hostsFiles()
	if err != nil {
		t.Fatal(err)
	}
	content := map[string]string{}
	for _, f := range files {
		content[f.Path] = f.Content
	}
	for reg, caLine := range map[string]bool{"strict.corp": false, "fallback.corp": true, "plain.lan": false} {
		dir := templates.CertsDir + "/" + reg + "/"
		if !strings.Contains(content[dir+templates.CAFileName], "BEGIN CERTIFICATE") {
			t.Errorf("%s: no %s written into the nodes", reg, templates.CAFileName)
		}
		if got := strings.Contains(content[dir+"hosts.toml"], `ca = "`+dir+templates.CAFileName+`"`); got != caLine {
			t.Errorf("%s: hosts.toml names the authorities: %v, want %v\n%s", reg, got, caLine, content[dir+"hosts.toml"])
		}
	}
	if _, ok := content[templates.CertsDir+"/public.io/"+templates.CAFileName]; ok {
		t.Error("public.io has no caFile, yet an authorities' file was written for it")
	}
	for _, u := range e.upstreams(nil) {
		want := ""
		if u.URL != "https://public.io" {
			want = templates.CertsDir + "/" + strings.TrimPrefix(strings.TrimPrefix(u.URL, "https://"), "http://") + "/" + templates.CAFileName
		}
		if u.CAFile != want {
			t.Errorf("probe of %s trusts %q, want %q", u.URL, u.CAFile, want)
		}
	}
}
