package env

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
)

// lines records progress so that tests can assert on what a user would read.
type lines struct {
	mu  sync.Mutex
	out []string
}

func (l *lines) Step(title string) func(string, error) {
	return func(result string, err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			l.out = append(l.out, "✗ "+title)
			return
		}
		l.out = append(l.out, "✓ "+result)
	}
}

func (l *lines) Warn(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out = append(l.out, "! "+msg)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.out, "\n")
}

// fixture is one test environment on the real engine, purged when the test ends.
type fixture struct {
	t     *testing.T
	api   *client.Client
	image string
	env   *Env
	log   *lines
}

func newFixture(t *testing.T, yaml string) *fixture {
	t.Helper()
	api := dockertest.Connect(t)
	img := dockertest.RegistryImage(t, api)
	name := dockertest.Name("kt")
	body := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nimages:\n  registry: %s\n%s", name, img, yaml)
	cfg, err := config.Parse("test.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, api: api, image: img, log: &lines{}}
	f.env = &Env{Config: cfg, Docker: api, Progress: f.log}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := f.env.Down(ctx, true); err != nil {
			t.Errorf("cleanup: down --purge: %v", err)
		}
		for _, m := range f.env.Config.Mirrors {
			removeMirror(api, m)
		}
	})
	return f
}

// removeMirror removes a test's mirror and its cache, whatever state they are in.
func removeMirror(api *client.Client, m config.Mirror) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = api.ContainerRemove(ctx, registry.MirrorName(m), client.ContainerRemoveOptions{Force: true})
	_, _ = api.VolumeRemove(ctx, registry.CacheVolume(m), client.VolumeRemoveOptions{Force: true})
}

func (f *fixture) up() *UpResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := f.env.Up(ctx)
	if err != nil {
		f.t.Fatalf("up: %v\nprogress:\n%s", err, f.log)
	}
	return res
}

// counters reads a mirror's proxy counters.
// settled reads a mirror's counters until ok accepts them, for up to 10 s, and returns
// the last reading: distribution counts a blob it proxied once it has finished
// streaming it, which may be just after the client has all of it.
func (f *fixture) settled(m registry.MirrorResult, ok func(registry.Counters) bool) registry.Counters {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := f.counters(m)
		if ok(c) || time.Now().After(deadline) {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *fixture) counters(m registry.MirrorResult) registry.Counters {
	f.t.Helper()
	c, err := registry.ReadCounters(context.Background(), nil, m.Container.DebugPort)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func mirrorURL(m registry.MirrorResult) string {
	return fmt.Sprintf("http://127.0.0.1:%d", m.Container.APIPort)
}
