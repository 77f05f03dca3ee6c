//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/app"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/ui"
)

// TestInterruptedUp: Ctrl-C while the cluster is made (its node containers being
// created; kubeadm or the Ready wait under way) exits 130 without a panic, leaves no
// node container and no volume of it behind, and the next up makes the cluster.
func TestInterruptedUp(t *testing.T) {
	api := dockertest.Connect(t)
	nodeImage := os.Getenv(NodeImageEnv)
	if nodeImage == "" {
		t.Fatalf("%s is not set: run `make e2e`, which builds the offline node image and sets it", NodeImageEnv)
	}
	name := dockertest.Name("e2ei")
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "kubeconfig"))
	file := filepath.Join(dir, "kdev.yaml")
	yaml := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nmirrors: []\nlocalRegistry:\n  enabled: false\n", name)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	kdev := func(ctx context.Context, args ...string) (int, string) {
		var out, errb bytes.Buffer
		full := append([]string{"-f", file, "--node-image", nodeImage}, args...)
		code := app.Run(ctx, full, ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
		t.Logf("kdev %s → exit %d\n%s", strings.Join(args, " "), code, errb.String())
		return code, errb.String()
	}
	t.Cleanup(func() {
		if code, _ := kdev(context.Background(), "down"); code != 0 {
			t.Errorf("cleanup: kdev down: exit %d", code)
		}
	})
	volumesBefore := volumeCount(t, api)

	// About 1 s into the cluster: node containers being made. About 12 s: kubeadm
	// running, or the Ready wait (where kind's own wait used to panic).
	for _, after := range []time.Duration{4 * time.Second, 16 * time.Second} {
		// Cancelled as Ctrl-C cancels it (context.Canceled), not by a deadline.
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(after, cancel)
		code, errb := kdev(ctx, "up", "--verify=false")
		timer.Stop()
		cancel()
		if code != 130 || strings.Contains(errb, "panic") {
			t.Fatalf("up interrupted after %s: exit %d, want 130 and no panic", after, code)
		}
		nodes, err := api.ContainerList(context.Background(), client.ContainerListOptions{All: true,
			Filters: make(client.Filters).Add("label", "io.x-k8s.kind.cluster="+name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range nodes.Items {
			t.Errorf("up interrupted after %s left node container %s (%s)", after, c.Names[0], c.State)
		}
		if n := volumeCount(t, api); n != volumesBefore {
			t.Errorf("up interrupted after %s: %d volumes, %d before: a node's volume was left", after, n, volumesBefore)
		}
	}
	if code, errb := kdev(context.Background(), "up", "--verify=false"); code != 0 {
		t.Fatalf("up after the interrupted ones: exit %d\n%s", code, errb)
	}
}

func volumeCount(t *testing.T, api *client.Client) int {
	t.Helper()
	vs, err := api.VolumeList(context.Background(), client.VolumeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(vs.Items)
}
