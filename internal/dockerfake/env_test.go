package dockerfake_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockerfake"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/registry"
)

const registryImage = "kdev.local/registry:3.1.2"

// progress records what a user would read.
type progress struct {
	mu  sync.Mutex
	out []string
}

func (p *progress) Step(title string) func(string, error) {
	return func(result string, err error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.out = append(p.out, "✗ "+title+": "+err.Error())
			return
		}
		p.out = append(p.out, "✓ "+result)
	}
}

func (p *progress) Warn(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out = append(p.out, "! "+msg)
}

func (p *progress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

// TestUpTwiceThenDown runs kdev's orchestrator, unchanged, against the fake: the first
// up makes the network, the cache and the mirror; the second changes nothing; down
// --purge removes all three.
func TestUpTwiceThenDown(t *testing.T) {
	fake := dockerfake.New()
	t.Cleanup(fake.Close)
	fake.AddRegistryImage(registryImage)
	body := "apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: kt\nimages:\n  registry: " + registryImage + "\n" +
		"mirrors:\n- registry: r.test\n  remoteURL: http://up.test:5000\nlocalRegistry:\n  enabled: false\n"
	cfg, err := config.Parse("test.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	log := &progress{}
	e := &env.Env{Config: cfg, Docker: fake, Progress: log}
	m := cfg.Mirrors[0]
	mirror, cache := registry.MirrorName(m), registry.CacheVolume(m)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	first, err := e.Up(ctx)
	if err != nil {
		t.Fatalf("first up: %v\nprogress:\n%s", err, log)
	}
	if !first.NetworkCreated || !first.Changed || len(first.Mirrors) != 1 || first.Mirrors[0].Action != registry.Created {
		t.Fatalf("first up: %+v, want the network and the mirror created", first)
	}
	for _, want := range []string{"NetworkCreate kt", "VolumeCreate " + cache, "ContainerCreate " + mirror,
		"CopyToContainer " + mirror + " /", "ContainerStart " + mirror} {
		if !slices.Contains(fake.Calls(), want) {
			t.Errorf("first up did not call %q; calls:\n%s", want, strings.Join(fake.Calls(), "\n"))
		}
	}
	c, ok := fake.Container(mirror)
	if !ok || c.State != "running" || !slices.Equal(c.Networks, []string{"kt"}) || !slices.Contains(c.Volumes, cache) {
		t.Fatalf("mirror after up: %+v, want running on kt with its cache", c)
	}
	if !strings.Contains(string(c.Files["/etc/distribution/config.yml"]), "remoteurl: http://up.test:5000") {
		t.Errorf("mirror config:\n%s\nwant the proxy of http://up.test:5000", c.Files["/etc/distribution/config.yml"])
	}

	fake.ResetCalls()
	second, err := e.Up(ctx)
	if err != nil {
		t.Fatalf("second up: %v\nprogress:\n%s", err, log)
	}
	if calls := fake.Calls(); len(calls) != 0 || second.Changed || second.Mirrors[0].Action != registry.Unchanged {
		t.Fatalf("second up: changed %v, action %s, calls %v; want nothing changed", second.Changed, second.Mirrors[0].Action, calls)
	}

	down, err := e.Down(ctx, true)
	if err != nil {
		t.Fatalf("down --purge: %v\nprogress:\n%s", err, log)
	}
	if !down.Network || !slices.Equal(down.Purged, []string{"r.test"}) {
		t.Errorf("down: %+v, want the network removed and the mirror purged", down)
	}
	if _, ok := fake.Container(mirror); ok {
		t.Error("the mirror is still there after down --purge")
	}
	if slices.Contains(fake.VolumeNames(), cache) || slices.Contains(fake.NetworkNames(), "kt") {
		t.Errorf("after down --purge: volumes %v, networks %v", fake.VolumeNames(), fake.NetworkNames())
	}
}
