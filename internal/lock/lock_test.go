package lock

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestAcquireWaitsForTheHolder(t *testing.T) {
	l, err := In(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release, err := l.Acquire(ctx, "env-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another lock name is independent.
	other, err := l.Acquire(ctx, "env-b", func() { t.Error("env-b waited for env-a") })
	if err != nil {
		t.Fatal(err)
	}
	other()

	var waited atomic.Bool
	got := make(chan error, 1)
	go func() {
		r, err := l.Acquire(ctx, "env-a", func() { waited.Store(true) })
		if err == nil {
			r()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second Acquire returned (%v) while the first held the lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	release() // a second release is harmless
	if err := <-got; err != nil || !waited.Load() {
		t.Fatalf("second Acquire: %v, told it waited: %v", err, waited.Load())
	}
}

func TestAcquireGivesUpWithItsContext(t *testing.T) {
	l, err := In(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	release, err := l.Acquire(context.Background(), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx, "x", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire on a held lock past its deadline: %v", err)
	}
}

// TestKilledHolderReleases: a holder killed with SIGKILL (a cancelled CI job) leaves no
// stale lock: the kernel drops an flock with its last file descriptor.
func TestKilledHolderReleases(t *testing.T) {
	dir := t.TempDir()
	l, err := In(dir)
	if err != nil {
		t.Fatal(err)
	}
	// --close: the lock stays with flock itself, not with the sleep it runs.
	holder := exec.Command("flock", "--exclusive", "--close", filepath.Join(dir, "env-a.lock"), "sleep", "60")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() { _ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL) })
	if err := holder.Start(); err != nil {
		t.Fatalf("start a holder with util-linux's flock: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	held := make(chan struct{})
	go func() {
		for {
			probe, err := l.Acquire(context.Background(), "env-a", func() { close(held) })
			if err == nil {
				probe()
			}
			if err != nil || ctx.Err() != nil {
				return
			}
			select {
			case <-held:
				return
			default:
				time.Sleep(50 * time.Millisecond) // the holder has not locked yet
			}
		}
	}()
	select {
	case <-held:
	case <-ctx.Done():
		t.Fatal("the holder never took the lock")
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	release, err := l.Acquire(ctx, "env-a", nil)
	if err != nil {
		t.Fatalf("the lock of a killed holder: %v", err)
	}
	release()
}
