package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Endpoint is where kdev reaches Docker, as the docker CLI would: DOCKER_HOST, else the
// current context's endpoint, else "" for the platform default. It names an engine, so
// that what kdev keeps per engine (its locks) is kept apart for each.
func Endpoint() (string, error) {
	h, _, err := resolveHost()
	return h, err
}

// resolveHost returns the engine's endpoint ("" for the client default) and where it
// came from, for messages: "DOCKER_HOST", "docker context NAME", or "the default".
// DOCKER_HOST wins; then DOCKER_CONTEXT; then the currentContext of the CLI's
// config.json. Docker Desktop on macOS relies on the context, not on
// /var/run/docker.sock, so ignoring contexts would fail there.
func resolveHost() (host, source string, err error) {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h, "DOCKER_HOST", nil
	}
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "the default", nil
		}
		dir = filepath.Join(home, ".docker")
	}
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err == nil {
			_ = json.Unmarshal(data, &cfg) // an unreadable config means the default context
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", "the default", nil
	}
	h, err := contextHost(dir, name)
	return h, "docker context " + name, err
}

// contextHost reads the docker endpoint of a named context from the CLI's context store,
// where each context's metadata sits under the hex SHA-256 of its name.
func contextHost(dir, name string) (string, error) {
	sum := sha256.Sum256([]byte(name))
	path := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("docker context %q does not exist (no %s); run `docker context ls` and `docker context use`", name, path)
	}
	if err != nil {
		return "", fmt.Errorf("read docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return "", fmt.Errorf("read docker context %q from %s: %w", name, path, err)
	}
	h := meta.Endpoints["docker"].Host
	if h == "" {
		return "", fmt.Errorf("docker context %q has no docker endpoint (%s)", name, path)
	}
	return h, nil
}
