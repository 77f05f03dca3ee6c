// Package dockerfake is an in-memory Docker engine for unit tests: it implements
// docker.API with containers, networks, volumes and images held in maps, answers with
// the error kinds and messages the real engine gives, and runs a real HTTP server on
// each port a registry container publishes, so that kdev's readiness checks and
// metrics reads work against it unchanged.
//
// Everything it does is under one mutex: kdev ensures mirrors from parallel goroutines.
package dockerfake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kdev-dev/kdev/internal/docker"
)

var _ docker.API = (*Fake)(nil)

// Fake is the engine. The zero value is not usable: call New.
type Fake struct {
	// OnStart, when set before the fake is used, decides what every started container
	// does instead of the default (see Run). It is called with the fake's lock held,
	// so it must not call the fake.
	OnStart func(c Container) Run
	// AllowDuplicateNetworks makes NetworkCreate accept a name that is taken, as
	// engines before API 1.44 (Docker 25) did.
	AllowDuplicateNetworks bool

	mu         sync.Mutex
	seq        int
	clock      time.Time
	calls      []string
	fails      []*failure
	images     map[string]*image
	pullable   map[string]Image
	containers map[string]*ctr // by ID
	networks   map[string]*netw
	volumes    map[string]*vol
	down       map[string]bool
	metrics    map[string]*served // by container name; outlives re-creation
}

// New returns an engine with Docker's predefined networks (bridge on 172.17.0.0/16,
// host, none) and no image, container or volume.
func New() *Fake {
	f := &Fake{
		clock:      time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		images:     map[string]*image{},
		pullable:   map[string]Image{},
		containers: map[string]*ctr{},
		networks:   map[string]*netw{},
		volumes:    map[string]*vol{},
		down:       map[string]bool{},
		metrics:    map[string]*served{},
	}
	f.addPredefined()
	return f
}

// Close stops every server the fake runs for published ports. Tests call it in t.Cleanup.
func (f *Fake) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		c.unpublish()
	}
}

// Calls returns the mutating calls made so far, in order, one "Method arg..." string
// each (names, not IDs): "ContainerCreate kdev-mirror-docker-io". Failed calls are
// included: they are what kdev tried to change.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ResetCalls empties the log of calls.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

type failure struct {
	method, target string
	n, seen        int
	err            error
}

// FailOn makes the next call of method that names target ("" for any) return err.
func (f *Fake) FailOn(method, target string, err error) { f.FailOnNth(method, target, 1, err) }

// FailOnNth makes the nth call (from 1) of method that names target ("" for any)
// return err; the calls before and after it behave normally. A call names its target
// when target is one of its arguments as Calls shows them (a container, network,
// volume or image name): FailOnNth("NetworkConnect", "kdev-mirror-docker-io", 1, err)
// fails the mirror's first connection to any network. Reads can fail too
// ("ContainerInspect", "NetworkList", "Ping"), though Calls does not log them.
func (f *Fake) FailOnNth(method, target string, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails = append(f.fails, &failure{method: method, target: target, n: n, err: err})
}

// enter starts a call: it answers a cancelled context as the client would, logs a
// mutating call, and returns the error a test injected for it.
func (f *Fake) enter(ctx context.Context, mutating bool, method string, args ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if mutating {
		call := method
		for _, a := range args {
			if a != "" {
				call += " " + a
			}
		}
		f.calls = append(f.calls, call)
	}
	for i, r := range f.fails {
		if r.method != method || (r.target != "" && !slices.Contains(args, r.target)) {
			continue
		}
		r.seen++
		if r.seen == r.n {
			f.fails = slices.Delete(f.fails, i, i+1)
			return r.err
		}
	}
	return nil
}

// now is the fake's clock: every call to it is a millisecond later, so creation times
// are distinct and ordered as the objects were made.
func (f *Fake) now() time.Time {
	f.clock = f.clock.Add(time.Millisecond)
	return f.clock
}

// newID returns a 64-hex-digit ID, as Docker's, deterministic for a test.
func (f *Fake) newID(kind string) string {
	f.seq++
	sum := sha256.Sum256([]byte(kind + strconv.Itoa(f.seq)))
	return hex.EncodeToString(sum[:])
}

// SetUpstreamDown makes registry containers in proxy mode for remote (their
// dev.kdev.remote label) exit at start as distribution does when its upstream cannot be
// reached (distribution issue 4038), or, with down false, serve again.
func (f *Fake) SetUpstreamDown(remote string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[remote] = down
}

// fromDaemon is how the client prefixes every error the engine answers.
const fromDaemon = "Error response from daemon"

// daemonErr wraps an errdefs kind with the message the engine gives, as the client does.
func daemonErr(kind interface{ WithMessage(string) error }, format string, a ...any) error {
	return fmt.Errorf("%s: %w", fromDaemon, kind.WithMessage(fmt.Sprintf(format, a...)))
}
