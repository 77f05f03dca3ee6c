package env

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockerfake"
	"github.com/kdev-dev/kdev/internal/lock"
	"github.com/kdev-dev/kdev/internal/registry"
)

// The unit tier runs the orchestrator, unchanged, against dockerfake: an in-memory
// engine that answers as Docker does and serves real HTTP on a registry's published
// ports. These tests need no Docker; the integration tests prove the same paths on
// the real engine.

const fakeRegistryImage = "kdev.local/registry:3.1.2"

// fakeEnv is an environment of mirrors (no cluster) on a fake engine.
type fakeEnv struct {
	t    *testing.T
	fake *dockerfake.Fake
	env  *Env
	log  *lines
}

// newFakeEnv parses a kdev.yaml made of the environment name and body, on a fake
// engine that has the registry image (or on engine, to share one with another env).
func newFakeEnv(t *testing.T, engine *dockerfake.Fake, name, body string) *fakeEnv {
	t.Helper()
	if engine == nil {
		engine = dockerfake.New()
		t.Cleanup(engine.Close)
		engine.AddRegistryImage(fakeRegistryImage)
	}
	yaml := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nimages:\n  registry: %s\n%s", name, fakeRegistryImage, body)
	cfg, err := config.Parse("kdev.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := lock.In(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := &lines{}
	return &fakeEnv{t: t, fake: engine, log: log, env: &Env{Config: cfg, Docker: engine, Progress: log, Locks: locks}}
}

func (f *fakeEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	f.t.Cleanup(cancel)
	return ctx
}

// up runs Up and fails the test on an error.
func (f *fakeEnv) up() *UpResult {
	f.t.Helper()
	res, err := f.env.Up(f.ctx())
	if err != nil {
		f.t.Fatalf("up: %v\nprogress:\n%s", err, f.log)
	}
	return res
}

// upChangesNothing runs Up and fails unless it made no mutating call.
func (f *fakeEnv) upChangesNothing() {
	f.t.Helper()
	f.fake.ResetCalls()
	res := f.up()
	if calls := f.fake.Calls(); len(calls) > 0 || res.Changed {
		f.t.Fatalf("up on an environment that is up to date: changed %v, calls:\n%s", res.Changed, strings.Join(calls, "\n"))
	}
}

func (f *fakeEnv) mirror(i int) config.Mirror { return f.env.Config.Mirrors[i] }

// container returns a container's state in the fake, failing when it is missing.
func (f *fakeEnv) container(name string) dockerfake.Container {
	f.t.Helper()
	c, ok := f.fake.Container(name)
	if !ok {
		f.t.Fatalf("no container %s; containers: %v", name, f.fake.ContainerNames())
	}
	return c
}

// mirrorResult finds a registry's result in an up.
func mirrorResult(t *testing.T, res *UpResult, reg string) registry.MirrorResult {
	t.Helper()
	i := slices.IndexFunc(res.Mirrors, func(m registry.MirrorResult) bool { return m.Registry == reg })
	if i < 0 {
		t.Fatalf("up reported no mirror of %s: %+v", reg, res.Mirrors)
	}
	return res.Mirrors[i]
}
