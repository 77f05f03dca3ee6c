package env

import (
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/dockerfake"
	"github.com/kdev-dev/kdev/internal/registry"
)

// twoMirrors is an environment with two mirrors and its local registry on port.
func twoMirrors(port int) string {
	return "mirrors:\n- registry: a.test\n  remoteURL: http://up-a.test:5000\n- registry: b.test\n  remoteURL: http://up-b.test:5000\n" +
		"localRegistry:\n  port: " + strconv.Itoa(port) + "\n"
}

// freePort is a port nothing listens on now (the local registry's port is checked on
// this machine, even on the fake engine), below the ephemeral range (Linux's starts at
// 32768): the fake engine publishes the mirrors' ports on ephemeral ones, and a port
// the kernel had just handed out and taken back was seen given to a mirror, leaving
// the local registry without its port.
func freePort(t *testing.T) int {
	t.Helper()
	for p := 20000 + rand.IntN(10000); p < 32768; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}

// TestFakeUpFromNothing: the first up makes the network, each mirror with its cache
// and its config, and the local registry; the second changes nothing.
func TestFakeUpFromNothing(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	res := f.up()
	if !res.NetworkCreated || !res.Changed || res.Local == nil || res.Local.Action != registry.Created {
		t.Fatalf("first up: %+v", res)
	}
	for i := range 2 {
		m := f.mirror(i)
		if r := mirrorResult(t, res, m.Registry); r.Action != registry.Created || r.Mode != registry.ModeProxy {
			t.Errorf("mirror of %s: %s, %s", m.Registry, r.Action, r.Mode)
		}
		c := f.container(registry.MirrorName(m))
		if c.State != "running" || !slices.Equal(c.Networks, []string{"kt"}) || !slices.Contains(c.Volumes, registry.CacheVolume(m)) {
			t.Errorf("mirror of %s: %+v", m.Registry, c)
		}
		if cfg := string(c.Files["/etc/distribution/config.yml"]); !strings.Contains(cfg, "remoteurl: "+m.RemoteURL) {
			t.Errorf("mirror of %s fetches from elsewhere:\n%s", m.Registry, cfg)
		}
	}
	if c := f.container(registry.LocalName("kt")); c.State != "running" || !slices.Contains(c.Volumes, registry.LocalVolume("kt")) {
		t.Errorf("local registry: %+v", c)
	}
	f.upChangesNothing()
}

// TestFakeUpHeals: each kind of drift is found and mended by the next up, and only
// what drifted is touched; the up after that changes nothing.
func TestFakeUpHeals(t *testing.T) {
	port := freePort(t)
	cases := []struct {
		name string
		// drift changes the engine behind kdev's back; it returns the container that up
		// must act on and the action it must report for it.
		drift func(f *fakeEnv) (string, registry.Action)
	}{
		{"mirror stopped", func(f *fakeEnv) (string, registry.Action) {
			n := registry.MirrorName(f.mirror(0))
			must(t, f.fake.Stop(n))
			return n, registry.Started
		}},
		{"mirror removed, cache kept", func(f *fakeEnv) (string, registry.Action) {
			n := registry.MirrorName(f.mirror(0))
			must(t, f.fake.RemoveContainer(n))
			return n, registry.Created
		}},
		{"mirror disconnected from the network", func(f *fakeEnv) (string, registry.Action) {
			n := registry.MirrorName(f.mirror(1))
			must(t, f.fake.Disconnect(n, "kt"))
			return n, registry.Restarted
		}},
		{"mirror half-made (created, never started)", func(f *fakeEnv) (string, registry.Action) {
			n := registry.MirrorName(f.mirror(0))
			c := f.container(n)
			must(t, f.fake.RemoveContainer(n))
			// Same name and labels, no config, never started: an up cut short.
			_, err := f.fake.ContainerCreate(f.ctx(), client.ContainerCreateOptions{Name: n, Config: &container.Config{Image: c.Image, Labels: c.Labels}})
			must(t, err)
			return n, registry.Recreated
		}},
		{"local registry stopped", func(f *fakeEnv) (string, registry.Action) {
			n := registry.LocalName("kt")
			must(t, f.fake.Stop(n))
			return n, registry.Started
		}},
		{"local registry removed", func(f *fakeEnv) (string, registry.Action) {
			n := registry.LocalName("kt")
			must(t, f.fake.RemoveContainer(n))
			return n, registry.Created
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEnv(t, nil, "kt", twoMirrors(port))
			f.up()
			name, want := tc.drift(f)
			res := f.up()
			got := registry.Action("")
			if name == registry.LocalName("kt") {
				got = res.Local.Action
			} else {
				for _, m := range res.Mirrors {
					if m.Container != nil && m.Container.Name == name {
						got = m.Action
					} else if m.Action != registry.Unchanged {
						t.Errorf("up touched the mirror of %s (%s), which had not drifted", m.Registry, m.Action)
					}
				}
			}
			if got != want {
				t.Errorf("up after %s: %s %s, want %s\nprogress:\n%s", tc.name, name, got, want, f.log)
			}
			if c := f.container(name); c.State != "running" {
				t.Errorf("%s is %s after up", name, c.State)
			}
			f.upChangesNothing()
		})
	}
}

// TestFakeImageChanged: a new registry image re-creates every mirror and the local
// registry from it, each with the cache or images it had.
func TestFakeImageChanged(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	f.up()
	const newer = "kdev.local/registry:3.1.3"
	f.fake.AddRegistryImage(newer)
	f.env.Config.Images.Registry = newer
	res := f.up()
	for _, m := range res.Mirrors {
		if m.Action != registry.Recreated || m.Container.Image != newer {
			t.Errorf("mirror of %s after the image changed: %s, image %s", m.Registry, m.Action, m.Container.Image)
		}
		if c := f.container(m.Container.Name); !slices.Contains(c.Volumes, registry.CacheVolume(config.Mirror{Registry: m.Registry, RemoteURL: m.Container.Remote()})) {
			t.Errorf("mirror of %s lost its cache: %v", m.Registry, c.Volumes)
		}
	}
	if res.Local.Action != registry.Recreated {
		t.Errorf("local registry after the image changed: %s", res.Local.Action)
	}
	f.upChangesNothing()
}

// TestFakeRemoteChanged: a mirror whose remoteURL changes is another mirror; the old
// one is detached from the environment and kept, with its cache.
func TestFakeRemoteChanged(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	f.up()
	old := f.mirror(0)
	f.env.Config.Mirrors[0].RemoteURL = "http://elsewhere.test:5000"
	res := f.up()
	if !slices.Contains(res.Detached, old.Registry) || mirrorResult(t, res, old.Registry).Action != registry.Created {
		t.Fatalf("up after the remote changed: detached %v, %+v", res.Detached, res.Mirrors)
	}
	if c := f.container(registry.MirrorName(old)); len(c.Networks) != 0 {
		t.Errorf("the old mirror is still on %v", c.Networks)
	}
	if !slices.Contains(f.fake.VolumeNames(), registry.CacheVolume(old)) {
		t.Error("the old mirror's cache is gone")
	}
	f.upChangesNothing()
}

// TestFakeUpFailures: a failure at each step of up is reported, leaves nothing
// half-made that the next up would trust, and the next up completes.
func TestFakeUpFailures(t *testing.T) {
	port := freePort(t)
	boom := errors.New("injected failure")
	for _, step := range []struct{ method, target string }{
		{"NetworkCreate", "kt"},
		{"VolumeCreate", ""},
		{"ContainerCreate", "kdev-mirror-a-test-"},
		{"CopyToContainer", ""},
		{"ContainerStart", ""},
		{"NetworkConnect", ""},
		{"ContainerList", ""},
	} {
		t.Run(step.method, func(t *testing.T) {
			f := newFakeEnv(t, nil, "kt", twoMirrors(port))
			target := step.target
			if strings.HasSuffix(target, "-") {
				target = registry.MirrorName(f.mirror(0))
			}
			if step.method != "NetworkConnect" {
				f.fake.FailOn(step.method, target, boom)
			} else {
				// Connections happen when a mirror exists and is not attached.
				f.up()
				must(t, f.fake.Disconnect(registry.MirrorName(f.mirror(0)), "kt"))
				must(t, f.fake.Stop(registry.MirrorName(f.mirror(0))))
				f.fake.FailOn(step.method, "", boom)
			}
			if _, err := f.env.Up(f.ctx()); !errors.Is(err, boom) {
				t.Fatalf("up with %s failing: %v, want the injected failure", step.method, err)
			}
			f.up()
			for _, n := range f.fake.ContainerNames() {
				if c := f.container(n); c.State != "running" {
					t.Errorf("after a failed up and a good one, %s is %s", n, c.State)
				}
			}
			f.upChangesNothing()
		})
	}
}

// TestFakeDownAndPurge: down keeps the mirrors and caches; down --purge removes what no
// other environment uses, and keeps, naming it, what another one does.
func TestFakeDownAndPurge(t *testing.T) {
	engine := dockerfake.New()
	t.Cleanup(engine.Close)
	engine.AddRegistryImage(fakeRegistryImage)
	shared := "mirrors:\n- registry: a.test\n  remoteURL: http://up-a.test:5000\nlocalRegistry:\n  enabled: false\n"
	one := newFakeEnv(t, engine, "one", shared)
	two := newFakeEnv(t, engine, "two", shared)
	one.up()
	two.up()
	m := one.mirror(0)
	mirror, cache := registry.MirrorName(m), registry.CacheVolume(m)
	if c := one.container(mirror); !slices.Equal(c.Networks, []string{"one", "two"}) {
		t.Fatalf("the shared mirror is on %v, want both networks", c.Networks)
	}

	down, err := one.env.Down(one.ctx(), false)
	if err != nil || !down.Network || len(down.Purged) != 0 {
		t.Fatalf("down: %+v, %v", down, err)
	}
	if slices.Contains(engine.NetworkNames(), "one") || !slices.Contains(engine.VolumeNames(), cache) {
		t.Fatalf("after down: networks %v, volumes %v", engine.NetworkNames(), engine.VolumeNames())
	}
	one.up()
	purged, err := one.env.Down(one.ctx(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(purged.Kept) != 1 || !slices.Equal(purged.Kept[0].UsedBy, []string{"two"}) || len(purged.Purged) != 0 {
		t.Fatalf("purge of one while two uses the mirror: %+v", purged)
	}
	if c := one.container(mirror); !slices.Equal(c.Networks, []string{"two"}) || !slices.Contains(engine.VolumeNames(), cache) {
		t.Fatalf("the mirror two uses was changed: %+v", c)
	}
	two.upChangesNothing()
	purged, err = two.env.Down(two.ctx(), true)
	if err != nil || !slices.Equal(purged.Purged, []string{"a.test"}) {
		t.Fatalf("purge of the last user: %+v, %v", purged, err)
	}
	if len(engine.ContainerNames()) != 0 || slices.Contains(engine.VolumeNames(), cache) {
		t.Errorf("after both purged: containers %v, volumes %v", engine.ContainerNames(), engine.VolumeNames())
	}
}

// TestFakeUpstreamDownAndBack: a mirror whose upstream cannot be reached serves its
// cache only, with a warning; once the upstream answers, the next up puts it back in
// proxy mode and says so.
func TestFakeUpstreamDownAndBack(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	f.fake.SetUpstreamDown("http://up-a.test:5000", true)
	r := mirrorResult(t, f.up(), "a.test")
	if r.Mode != registry.ModeCacheOnly || r.Warning == "" {
		t.Fatalf("mirror of an unreachable upstream: %s, warning %q", r.Mode, r.Warning)
	}
	if !strings.Contains(f.log.String(), "mirror a.test:") {
		t.Errorf("up did not warn about a.test:\n%s", f.log)
	}
	// Still down: the next up probes the upstream with a throwaway container and keeps
	// the serving mirror as it is, rather than re-making it in proxy mode to fail again.
	id := r.Container.ID
	if again := mirrorResult(t, f.up(), "a.test"); again.Action != registry.Unchanged || again.Container.ID != id || again.Mode != registry.ModeCacheOnly {
		t.Errorf("up while the upstream is still down: %s (%s), container %.12s, was %.12s; want it kept", again.Action, again.Mode, again.Container.ID, id)
	}
	f.fake.SetUpstreamDown("http://up-a.test:5000", false)
	r = mirrorResult(t, f.up(), "a.test")
	if r.Mode != registry.ModeProxy || r.Action == registry.Unchanged || r.Was != registry.ModeCacheOnly || r.Since == nil {
		t.Fatalf("mirror after its upstream came back: %s (%s, was %q), want proxy again, and the mode it left", r.Mode, r.Action, r.Was)
	}
	if !strings.Contains(f.log.String(), "mirror a.test: its upstream answers again: back to proxy mode") {
		t.Errorf("up did not say that a.test went back to proxy mode:\n%s", f.log)
	}
	f.upChangesNothing()
}

// TestFakeDownKeepsCaches: down without --purge keeps every mirror's cache and the
// local registry's images; down --purge removes them.
func TestFakeDownKeepsCaches(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	f.up()
	volumes := f.fake.VolumeNames()
	if _, err := f.env.Down(f.ctx(), false); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.VolumeNames(); !slices.Equal(got, volumes) {
		t.Fatalf("down without --purge: volumes %v, were %v", got, volumes)
	}
	f.up()
	if _, err := f.env.Down(f.ctx(), true); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.VolumeNames(); len(got) != 0 {
		t.Errorf("down --purge left volumes %v", got)
	}
}

// TestFakeStatus: status reports each mirror's state, mode, address and counters as
// the mirror's metrics give them, and a mirror that is missing as missing.
func TestFakeStatus(t *testing.T) {
	f := newFakeEnv(t, nil, "kt", twoMirrors(freePort(t)))
	f.up()
	a := registry.MirrorName(f.mirror(0))
	f.fake.SetMetrics(a, dockerfake.Metrics{Requests: dockerfake.Counts{Blob: 8, Manifest: 2}, Hits: dockerfake.Counts{Blob: 6, Manifest: 1}, Misses: dockerfake.Counts{Blob: 2, Manifest: 1}})
	must(t, f.fake.RemoveContainer(registry.MirrorName(f.mirror(1))))
	st, err := f.env.Status(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if st.Network == nil || st.LocalRegistry == nil || st.LocalRegistry.State != "running" || len(st.Mirrors) != 2 {
		t.Fatalf("status: %+v", st)
	}
	ma, mb := st.Mirrors[0], st.Mirrors[1]
	if ma.State != "running" || ma.Mode != registry.ModeProxy || !ma.Attached || ma.Address == "" || ma.Counters == nil || ma.HitRatio != 0.7 {
		t.Errorf("status of a.test: %+v", ma)
	}
	if mb.State != "missing" {
		t.Errorf("status of the removed b.test mirror: %+v", mb)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
