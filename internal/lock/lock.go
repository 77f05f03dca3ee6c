// Package lock serializes kdev runs that change the same things: two `kdev up` of one
// environment from a Makefile's parallel targets, two environments choosing a subnet,
// two environments creating the mirror they share. A lock is an flock(2) on a file
// under a directory per Docker engine: the kernel releases it when its holder exits,
// even by SIGKILL, so a cancelled CI job never leaves a stale lock behind.
package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Locks is the lock directory of one Docker engine; the zero value locks nothing.
type Locks struct {
	dir string
}

// ForEngine returns the locks of the engine at endpoint (a DOCKER_HOST value, or ""
// for the default socket), kept under $XDG_RUNTIME_DIR/kdev, else the user cache dir.
func ForEngine(endpoint string) (Locks, error) {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return Locks{}, fmt.Errorf("no directory for kdev's locks: %w", err)
		}
		base = cache
	}
	sum := sha256.Sum256([]byte(endpoint))
	return In(filepath.Join(base, "kdev", "locks", hex.EncodeToString(sum[:])[:12]))
}

// In returns the locks kept in dir, creating it.
func In(dir string) (Locks, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Locks{}, fmt.Errorf("create lock directory: %w", err)
	}
	return Locks{dir: dir}, nil
}

// poll is how often a waiting Acquire tries again.
const poll = 100 * time.Millisecond

// Acquire takes the lock name, waiting while another process holds it; waiting is
// called once, when the first try finds it held. It gives up when ctx ends. release
// frees the lock; it is safe to call more than once.
func (l Locks) Acquire(ctx context.Context, name string, waiting func()) (release func(), err error) {
	if l.dir == "" {
		return func() {}, nil
	}
	path := filepath.Join(l.dir, name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", name, ctx.Err())
		case <-time.After(poll):
		}
	}
	done := false
	return func() {
		if !done {
			done = true
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}
	}, nil
}
