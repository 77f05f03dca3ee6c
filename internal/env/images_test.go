package env

import (
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/dockerfake"
)

// TestFakeUpImages: up says where its images came from, and an image it cannot have
// stops it before it makes anything.
func TestFakeUpImages(t *testing.T) {
	mirror := "mirrors:\n- registry: a.test\n  remoteURL: http://up-a.test:5000\nlocalRegistry:\n  enabled: false\n"
	f := newFakeEnv(t, nil, "img", mirror)
	f.up()
	if !strings.Contains(f.log.String(), "Images "+fakeRegistryImage+" (on this machine)") {
		t.Errorf("progress:\n%s\nwant the registry image said to be on this machine", f.log)
	}

	engine := dockerfake.New()
	t.Cleanup(engine.Close)
	pulled := newFakeEnv(t, engine, "img2", mirror)
	engine.AllowPull(fakeRegistryImage, dockerfake.Image{Registry: true, Volumes: []string{"/var/lib/registry"}})
	pulled.up()
	if !strings.Contains(pulled.log.String(), "Images "+fakeRegistryImage+" (pulled)") {
		t.Errorf("progress:\n%s\nwant the registry image said to be pulled", pulled.log)
	}

	// No mirror and no local registry: the registry image is not needed.
	none := dockerfake.New()
	t.Cleanup(none.Close)
	n := newFakeEnv(t, none, "img4", "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	if _, err := n.env.Up(n.ctx()); err != nil {
		t.Fatalf("up of an environment that runs no registry, without the registry image: %v", err)
	}

	offline := dockerfake.New()
	t.Cleanup(offline.Close)
	o := newFakeEnv(t, offline, "img3", mirror)
	_, err := o.env.Up(o.ctx())
	if err == nil || !strings.Contains(err.Error(), "kdev cache export --images") {
		t.Fatalf("up without the registry image: %v; want the error to say how to get it offline", err)
	}
	for _, c := range offline.Calls() {
		if strings.HasPrefix(c, "NetworkCreate") || strings.HasPrefix(c, "ContainerCreate") || strings.HasPrefix(c, "VolumeCreate") {
			t.Errorf("up called %s before it failed; want nothing made", c)
		}
	}
}
