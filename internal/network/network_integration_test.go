package network_test

import (
	"context"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/network"
)

// TestEnsureRacing: several runs that no lock serializes (as on a remote engine shared
// by machines) choose subnets at once. Docker refuses all but one of each overlapping
// pick; the others try the next free subnet, so every network is made, each distinct.
// Two runs of the same network both get it, one having created it.
func TestEnsureRacing(t *testing.T) {
	api := dockertest.Connect(t)
	ctx := context.Background()
	env := dockertest.Name("race")
	names := []string{env + "-a", env + "-b", env + "-c", env + "-a"}
	t.Cleanup(func() {
		// By ID: a name made twice (the failure this test looks for) is ambiguous.
		l, err := api.NetworkList(context.Background(), client.NetworkListOptions{Filters: make(client.Filters).Add("name", env)})
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, n := range l.Items {
			if _, err := api.NetworkRemove(context.Background(), n.ID, client.NetworkRemoveOptions{}); err != nil {
				t.Errorf("cleanup: remove network %s: %v", n.Name, err)
			}
		}
	})
	infos := make([]network.Info, len(names))
	created := make([]bool, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { infos[i], created[i], errs[i] = network.Ensure(ctx, api, env, n, "") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ensure %s: %v", names[i], err)
		}
	}
	seen := map[string]string{}
	for i, info := range infos[:3] {
		if other, ok := seen[info.Subnet.String()]; ok {
			t.Errorf("%s and %s both got subnet %s", names[i], other, info.Subnet)
		}
		seen[info.Subnet.String()] = names[i]
	}
	if infos[0].ID != infos[3].ID {
		t.Errorf("two Ensure of %s returned networks %s and %s", names[0], infos[0].ID, infos[3].ID)
	}
	l, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", names[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Errorf("%d networks named %s, want 1", len(l.Items), names[0])
	}
	if created[0] == created[3] {
		t.Errorf("two Ensure of %s: created %v and %v, want exactly one creation", names[0], created[0], created[3])
	}
}
