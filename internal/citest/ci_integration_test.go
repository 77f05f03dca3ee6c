// Package citest tests what kdev ships for CI systems, the GitHub actions' script and
// the Makefile include, by running them as a CI job would: the built kdev binary
// against real mirrors on the real engine.
package citest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// rig is a mirror with a filled cache, its kdev.yaml, and the kdev binary.
type rig struct {
	t      *testing.T
	api    *client.Client
	root   string // the repository
	dir    string
	kdev   string
	config string
	mirror config.Mirror
	env    *env.Env
}

type quiet struct{}

func (quiet) Step(string) func(string, error) { return func(string, error) {} }
func (quiet) Warn(string)                     {}

func newRig(t *testing.T) *rig {
	t.Helper()
	api := dockertest.Connect(t)
	image := dockertest.RegistryImage(t, api)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, api: api, root: root, dir: t.TempDir()}
	r.kdev = filepath.Join(r.dir, "kdev")
	if out, err := exec.Command("go", "build", "-o", r.kdev, filepath.Join(root, "cmd", "kdev")).CombinedOutput(); err != nil {
		t.Fatalf("build kdev: %v\n%s", err, out)
	}
	name := dockertest.Name("kc")
	body := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nimages:\n  registry: %s\nlocalRegistry:\n  enabled: false\nmirrors: []\n", name, image)
	cfg, err := config.Parse("kdev.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r.env = &env.Env{Config: cfg, Docker: api, Progress: quiet{}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := r.env.Down(ctx, true); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		_, _ = api.ContainerRemove(ctx, registry.MirrorName(r.mirror), client.ContainerRemoveOptions{Force: true})
		_, _ = api.VolumeRemove(ctx, registry.CacheVolume(r.mirror), client.VolumeRemoveOptions{Force: true})
	})
	ctx := context.Background()
	res, err := r.env.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	upstream := dockertest.StartRegistry(t, api, image, dockertest.Name("kc-upstream-"), res.Network.Name)
	img, err := registrytest.NewImage(2, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Push(upstream.URL, "team/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	r.mirror = config.Mirror{Registry: dockertest.Name("r") + ".test", RemoteURL: upstream.InNetwork, Policy: config.PolicyFallback}
	cfg.Mirrors = []config.Mirror{r.mirror}
	if res, err = r.env.Up(ctx); err != nil {
		t.Fatal(err)
	}
	m := res.Mirrors[0]
	if _, err := registrytest.Pull(fmt.Sprintf("http://127.0.0.1:%d", m.Container.APIPort), "team/app", "v1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the mirror finish writing what it streamed
	r.config = filepath.Join(r.dir, "kdev.yaml")
	body += fmt.Sprintf("  - registry: %s\n    remoteURL: %s\n", r.mirror.Registry, r.mirror.RemoteURL)
	body = strings.Replace(body, "mirrors: []\n", "mirrors:\n", 1)
	if err := os.WriteFile(r.config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs a command with env added, and returns its stdout; it fails the test when the
// command fails.
func (r *rig) run(env []string, name string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// forget removes the mirror and its cache, as on a fresh runner.
func (r *rig) forget() {
	r.t.Helper()
	ctx := context.Background()
	_, _ = r.api.ContainerRemove(ctx, registry.MirrorName(r.mirror), client.ContainerRemoveOptions{Force: true})
	if _, err := r.api.VolumeRemove(ctx, registry.CacheVolume(r.mirror), client.VolumeRemoveOptions{Force: true}); err != nil {
		r.t.Fatal(err)
	}
}

// cached lists the repositories:tags of the mirror's cache, through kdev cache ls.
func (r *rig) cached() string {
	r.t.Helper()
	var doc struct {
		Caches []struct {
			Volume       string `json:"volume"`
			Repositories []struct {
				Name string   `json:"name"`
				Tags []string `json:"tags"`
			} `json:"repositories"`
		} `json:"caches"`
	}
	if err := json.Unmarshal([]byte(r.run(nil, r.kdev, "-f", r.config, "cache", "ls", "-o", "json")), &doc); err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, c := range doc.Caches {
		if c.Volume != registry.CacheVolume(r.mirror) {
			continue
		}
		for _, repo := range c.Repositories {
			out = append(out, repo.Name+":"+strings.Join(repo.Tags, ","))
		}
	}
	return strings.Join(out, " ")
}

// outputs reads a GITHUB_OUTPUT file, the last value of each name winning.
func outputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}
