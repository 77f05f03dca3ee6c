package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeContext(t *testing.T, dir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	body := `{"Name":"` + name + `","Endpoints":{"docker":{"Host":"` + host + `"}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveHost(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	writeContext(t, dir, "desktop-linux", "unix:///Users/me/.docker/run/docker.sock")

	if h, _, err := resolveHost(); err != nil || h != "" {
		t.Fatalf("no config: got %q, %v; want the client default", h, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext":"desktop-linux"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if h, src, err := resolveHost(); err != nil || h != "unix:///Users/me/.docker/run/docker.sock" || src != "docker context desktop-linux" {
		t.Fatalf("current context: got %q from %q, %v", h, src, err)
	}
	t.Setenv("DOCKER_CONTEXT", "default")
	if h, _, err := resolveHost(); err != nil || h != "" {
		t.Fatalf("DOCKER_CONTEXT=default: got %q, %v", h, err)
	}
	t.Setenv("DOCKER_CONTEXT", "gone")
	if _, _, err := resolveHost(); err == nil || !strings.Contains(err.Error(), `docker context "gone" does not exist`) {
		t.Fatalf("missing context: got %v", err)
	}
	t.Setenv("DOCKER_HOST", "tcp://10.1.2.3:2375")
	if h, src, err := resolveHost(); err != nil || h != "tcp://10.1.2.3:2375" || src != "DOCKER_HOST" {
		t.Fatalf("DOCKER_HOST: got %q, %v", h, err)
	}
}
