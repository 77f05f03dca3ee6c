package env

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/lock"
)

// TestConcurrentUps: two ups of one environment at once (a Makefile's parallel targets)
// both succeed and make one environment; two environments brought up at once get a
// subnet each instead of colliding on the first free one.
func TestConcurrentUps(t *testing.T) {
	locks, err := lock.In(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := newFixture(t, "localRegistry:\n  enabled: false\nmirrors: []\n")
	b := newFixture(t, "localRegistry:\n  enabled: false\nmirrors: []\n")
	host := dockertest.Name("r") + ".test"
	m := []config.Mirror{{Registry: host, RemoteURL: "http://" + dockertest.Name("kt-nowhere-") + ":5000", Policy: config.PolicyFallback}}
	a.env.Config.Mirrors, b.env.Config.Mirrors = m, m
	a.env.Locks, b.env.Locks = locks, locks
	twin := &Env{Config: a.env.Config, Docker: a.api, Progress: &lines{}, Locks: locks}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	envs := []*Env{a.env, twin, b.env}
	results := make([]*UpResult, len(envs))
	errs := make([]error, len(envs))
	var wg sync.WaitGroup
	for i, e := range envs {
		wg.Go(func() { results[i], errs[i] = e.Up(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("up %d of 3 at once: %v", i+1, err)
		}
	}

	nets, err := a.api.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", "^"+a.env.Config.Network.Name+"$")})
	if err != nil {
		t.Fatal(err)
	}
	if len(nets.Items) != 1 {
		t.Fatalf("%d networks named %s after two ups at once, want 1", len(nets.Items), a.env.Config.Network.Name)
	}
	if results[0].Network.Subnet != results[1].Network.Subnet {
		t.Errorf("the two ups of one environment saw subnets %s and %s", results[0].Network.Subnet, results[1].Network.Subnet)
	}
	if results[0].Network.Subnet == results[2].Network.Subnet {
		t.Errorf("two environments got the same subnet %s", results[0].Network.Subnet)
	}
	if !results[0].Changed && !results[1].Changed {
		t.Error("neither up of the environment created anything")
	}
	if results[0].Mirrors[0].Container.ID != results[1].Mirrors[0].Container.ID || results[0].Mirrors[0].Container.ID != results[2].Mirrors[0].Container.ID {
		t.Errorf("one mirror config gave containers %s, %s and %s", results[0].Mirrors[0].Container.ID, results[1].Mirrors[0].Container.ID, results[2].Mirrors[0].Container.ID)
	}
	waited := "another kdev run holds environment " + a.env.Config.Name
	if !strings.Contains(a.log.String()+twin.Progress.(*lines).String(), waited) {
		t.Errorf("neither up of %s said it waited for the other:\n%s\n%s", a.env.Config.Name, a.log, twin.Progress)
	}
}
