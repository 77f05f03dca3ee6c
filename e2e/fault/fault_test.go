//go:build e2e

package fault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/lock"
)

// TestInterruptedUp: Ctrl-C at each of five points of `kdev up` (creating the mirrors,
// waiting to create the network, creating the node containers, waiting for Ready, the
// check) ends it with exit 130, no panic, a line saying how to go on, and nothing
// half-made; the next `kdev up` completes. Each point starts with no cluster; the
// mirror and its cache stay from the point before, as they do between a developer's
// days.
func TestInterruptedUp(t *testing.T) {
	e := newEnv(t, "fi", true)
	dangling := danglingVolumes(t, e.api)
	points := []struct {
		name, trigger string
		delay         time.Duration
	}{
		// First, while the mirror does not exist yet: up is making it.
		{"mirrors", "• Mirrors", 150 * time.Millisecond},
		// The test holds the networks lock: up waits at the network step.
		{"network", "waiting for it to finish", 0},
		{"node create", "Preparing nodes", 300 * time.Millisecond},
		{"Ready wait", "for the control plane to be Ready", 300 * time.Millisecond},
		{"check", "• Checking", time.Second},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			e.t = t
			defer func() { e.t = t }()
			release := func() {}
			if p.name == "network" {
				release = holdLock(t, "networks")
			}
			code, out := e.interrupt(p.trigger, p.delay, "up")
			release()
			if code != 130 {
				t.Errorf("up interrupted at %s: exit %d, want 130", p.name, code)
			}
			for _, bad := range []string{"panic", "goroutine ", "bypass"} {
				if strings.Contains(out, bad) {
					t.Errorf("up interrupted at %s printed %q", p.name, bad)
				}
			}
			if !strings.Contains(out, "Interrupted:") {
				t.Errorf("up interrupted at %s did not say what was left and how to go on", p.name)
			}
			e.assertClean("after the interrupt at " + p.name)
			if p.name != "check" && e.controlPlaneID() != "" {
				t.Errorf("up interrupted at %s left the cluster's nodes", p.name)
			}
			if n := danglingVolumes(t, e.api); n > dangling {
				t.Errorf("up interrupted at %s: %d volumes belong to no container, %d before", p.name, n, dangling)
			}
			if code, _, errb := e.kdev(context.Background(), "up"); code != 0 {
				t.Fatalf("up after the interrupt at %s: exit %d\n%s", p.name, code, errb)
			}
			e.assertClean("after the up that followed the interrupt at " + p.name)
			if p.name != "check" {
				// The next point starts with the network and mirrors there, the cluster
				// gone (kdev down would also remove the network the upstream sits on).
				if err := cluster.New(nil).Delete(e.name); err != nil {
					t.Fatalf("delete the cluster: %v", err)
				}
			}
		})
	}
	t.Run("check command", func(t *testing.T) {
		e.t = t
		code, out := e.interrupt("• Checking", time.Second, "check")
		if code != 130 || strings.Contains(out, "bypass") || strings.Contains(out, "panic") {
			t.Errorf("check interrupted: exit %d, want 130 and no bypass reported", code)
		}
		if code, _, errb := e.kdev(context.Background(), "check"); code != 0 {
			t.Errorf("check after the interrupted one: exit %d\n%s", code, errb)
		}
	})
}

// TestConcurrentUps: a Makefile's parallel targets run `kdev up` twice for one
// environment and once for another, all at once, each from nothing. All exit 0; the
// first environment has one cluster (the second run waited, then found it done); the
// two environments have networks on different subnets.
func TestConcurrentUps(t *testing.T) {
	a := newEnv(t, "fca", false)
	b := newEnv(t, "fcb", false)
	runs := []*env{a, a, b}
	codes := make([]int, len(runs))
	outs := make([]string, len(runs))
	var wg sync.WaitGroup
	for i, e := range runs {
		wg.Go(func() { codes[i], _, outs[i] = e.kdev(context.Background(), "up") })
	}
	wg.Wait()
	for i, code := range codes {
		if code != 0 {
			t.Errorf("concurrent up %d of %s: exit %d\n%s", i, runs[i].name, code, outs[i])
		}
	}
	if n := len(a.containers("io.x-k8s.kind.role=control-plane")); n == 0 {
		t.Fatal("no control-plane container at all")
	}
	cps := 0
	for _, c := range a.containers("io.x-k8s.kind.cluster=" + a.name) {
		if strings.HasSuffix(c.Names[0], "-control-plane") {
			cps++
		}
	}
	if cps != 1 {
		t.Errorf("environment %s has %d control planes after two concurrent ups, want 1", a.name, cps)
	}
	if !strings.Contains(outs[0]+outs[1], "waiting for it to finish") {
		t.Errorf("neither up of %s said that it waited for the other", a.name)
	}
	sa, sb := a.subnet(), b.subnet()
	if sa == sb {
		t.Errorf("environments %s and %s share subnet %s", a.name, b.name, sa)
	}
	a.assertClean("after concurrent ups")
	b.assertClean("after concurrent ups")
}

// TestDockerRestart: Docker restarts (an upgrade, a laptop's reboot) under a running
// environment. The next `kdev up` waits for the cluster to answer and keeps it: the
// same node and mirror containers, a workload made before still there, the check
// passing from the cache.
func TestDockerRestart(t *testing.T) {
	e := newEnv(t, "fr", true)
	if code, _, errb := e.kdev(context.Background(), "up"); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errb)
	}
	if out, err := e.nodeKubectl("create", "configmap", "kept", "--from-literal=a=b"); err != nil {
		t.Fatalf("create the workload: %v\n%s", err, out)
	}
	cp, mirror := e.controlPlaneID(), e.mirrorID()

	out, err := exec.Command("../../hack/restart-docker.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("restart Docker: %v\n%s", err, out)
	}
	t.Logf("Docker restarted:\n%s", out)
	// The stand-in upstream has no restart policy; a real one does not restart with us.
	if _, err := e.api.ContainerStart(context.Background(), e.upstream.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start the upstream again: %v", err)
	}
	if code, _, errb := e.kdev(context.Background(), "up"); code != 0 {
		t.Fatalf("up after the Docker restart: exit %d\n%s", code, errb)
	} else if strings.Contains(errb, "re-creating") {
		t.Errorf("up after the Docker restart re-created the cluster:\n%s", errb)
	}
	if got := e.controlPlaneID(); got != cp {
		t.Errorf("control plane is container %.12s after the restart, was %.12s: the cluster was re-created", got, cp)
	}
	if got := e.mirrorID(); got != mirror {
		t.Errorf("mirror is container %.12s after the restart, was %.12s", got, mirror)
	}
	if out, err := e.nodeKubectl("get", "configmap", "kept"); err != nil {
		t.Errorf("the workload made before the restart is gone: %v\n%s", err, out)
	}
	if code, _, errb := e.kdev(context.Background(), "check"); code != 0 {
		t.Errorf("check after the Docker restart: exit %d\n%s", code, errb)
	}
	e.assertClean("after the Docker restart")
}

// TestHostileFiles: files that are not small regular files, given as the configuration
// or as a password file, end kdev at once with exit 2 and a one-line error, and
// nothing is created.
func TestHostileFiles(t *testing.T) {
	e := newEnv(t, "fh", false)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("# padding\n", 200_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	withPassword := func(path string) string {
		f := filepath.Join(t.TempDir(), "kdev.yaml")
		yaml := fmt.Sprintf("apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: %s\nmirrors:\n  - registry: docker.io\n    credentials:\n      username: u\n      passwordFile: %s\n", e.name, path)
		if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	before := e.kdevObjects()
	for _, c := range []struct{ name, file string }{
		{"config /dev/zero", "/dev/zero"},
		{"config FIFO", fifo},
		{"config oversized", big},
		{"config a directory", dir},
		{"config /dev/null (a device)", "/dev/null"},
		{"passwordFile /dev/zero", withPassword("/dev/zero")},
		{"passwordFile FIFO", withPassword(fifo)},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A hang is killed after a minute and fails the test (exit -1).
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, e.bin, "-f", c.file, "up")
			out, _ := cmd.CombinedOutput()
			code := cmd.ProcessState.ExitCode()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if code != 2 || len(lines) != 1 {
				t.Errorf("kdev -f %s up: exit %d with %d lines, want exit 2 and one line:\n%s", c.file, code, len(lines), out)
			}
		})
	}
	if after := e.kdevObjects(); after != before {
		t.Errorf("hostile files made Docker objects: %s before, %s after", before, after)
	}
}

// holdLock takes one of kdev's locks on this Docker engine, as another run would.
func holdLock(t *testing.T, name string) func() {
	t.Helper()
	endpoint, err := docker.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	locks, err := lock.ForEngine(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	release, err := locks.Acquire(context.Background(), name, func() { t.Logf("waiting for lock %s", name) })
	if err != nil {
		t.Fatal(err)
	}
	return release
}
