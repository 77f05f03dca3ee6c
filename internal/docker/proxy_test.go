package docker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFindProxy(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"proxies": {"default": {"httpsProxy": "http://corp:3128", "noProxy": "*.corp"},
	  "tcp://build.corp:2376": {"httpProxy": "http://bob:s3cret@edge:8080"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	for _, tc := range []struct {
		name                    string
		vars                    map[string]string
		host                    string
		http, https, no, source string
	}{
		{"environment wins, lower case too", map[string]string{"https_proxy": "http://envproxy:3128", "NO_PROXY": "x", "DOCKER_CONFIG": dir}, "",
			"", "http://envproxy:3128", "x", "environment"},
		{"docker config, default entry", map[string]string{"DOCKER_CONFIG": dir}, "",
			"", "http://corp:3128", "*.corp", "(default)"},
		{"docker config, the engine's own entry", map[string]string{"DOCKER_CONFIG": dir}, "tcp://build.corp:2376",
			"http://bob:s3cret@edge:8080", "", "", "(tcp://build.corp:2376)"},
		{"none", map[string]string{"DOCKER_CONFIG": t.TempDir()}, "", "", "", "", ""},
	} {
		p, err := FindProxy(env(tc.vars), tc.host)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.HTTP != tc.http || p.HTTPS != tc.https || p.No != tc.no || !strings.Contains(p.Source, tc.source) {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	if _, err := FindProxy(env(map[string]string{"HTTPS_PROXY": "corp:3128"}), ""); err == nil {
		t.Error("a proxy that is not a URL is accepted")
	}
}

func TestProxyEnvAndMask(t *testing.T) {
	p := Proxy{HTTP: "http://bob:s3cret@edge:8080", HTTPS: "http://bob:s3cret@edge:8080", No: "*.corp, localhost"}
	env := p.Env("localhost", "127.0.0.1")
	for _, want := range []string{"HTTP_PROXY=http://bob:s3cret@edge:8080", "https_proxy=http://bob:s3cret@edge:8080",
		"NO_PROXY=*.corp,localhost,127.0.0.1", "no_proxy=*.corp,localhost,127.0.0.1"} {
		if !slices.Contains(env, want) {
			t.Errorf("env %v lacks %s", env, want)
		}
	}
	if (Proxy{}).Env("localhost") != nil {
		t.Error("no proxy, yet an environment")
	}
	if m := p.Masked(); strings.Contains(m.HTTP+m.HTTPS, "s3cret") || !strings.Contains(m.HTTP, "bob:") {
		t.Errorf("masked: %+v", m)
	}
}
