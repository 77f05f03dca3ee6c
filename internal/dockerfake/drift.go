package dockerfake

import (
	"sort"
)

// Container is a test's copy of a container's state.
type Container struct {
	ID, Name, Image string
	Labels          map[string]string
	// State is created, running or exited.
	State    string
	ExitCode int
	// Networks are the names of its networks, in the order they were attached.
	Networks []string
	// Ports maps a published container port ("5000/tcp") to its host port on 127.0.0.1.
	Ports   map[string]int
	Volumes []string
	Env     []string
	Cmd     []string
	Files   map[string][]byte
	Logs    string
}

// Container returns the named container (a name or an ID), and whether it exists.
func (f *Fake) Container(name string) (Container, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(name)
	if err != nil {
		return Container{}, false
	}
	return f.view(c), true
}

// ContainerNames returns the names of every container, sorted.
func (f *Fake) ContainerNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.containers {
		out = append(out, c.name)
	}
	sort.Strings(out)
	return out
}

// NetworkNames returns the names of every network, predefined ones included, sorted.
func (f *Fake) NetworkNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.networks {
		out = append(out, n.name)
	}
	sort.Strings(out)
	return out
}

// VolumeNames returns the names of every volume, anonymous ones included, sorted.
func (f *Fake) VolumeNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.sortedVolumes() {
		out = append(out, v.name)
	}
	return out
}

// The helpers below change the engine behind kdev's back, as a user or a crash would.
// They are not logged in Calls, and the failures FailOn injects do not apply to them.

// Stop stops a running container, as `docker stop` does (exit code 0).
func (f *Fake) Stop(name string) error { return f.Exit(name, 0, "") }

// Exit ends a running container's process with code, after it printed logs.
func (f *Fake) Exit(name string, code int, logs string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(name)
	if err != nil {
		return err
	}
	c.logs = append(c.logs, logs...)
	if c.state == stateRunning {
		f.stop(c, code)
	}
	return nil
}

// RemoveFile deletes a file from a container, as `docker exec rm` would.
func (f *Fake) RemoveFile(name, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(name)
	if err != nil {
		return err
	}
	delete(c.files, path)
	return nil
}

// Disconnect detaches a container from a network, as `docker network disconnect` does.
func (f *Fake) Disconnect(name, network string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(name)
	if err != nil {
		return err
	}
	n, err := f.findNetwork(network)
	if err != nil {
		return err
	}
	return f.detach(c, n)
}

// DeleteVolume deletes a volume even while containers mount it, as a `docker system
// prune` racing a removal, or a wiped disk, leaves things. Its mounts stay dangling.
func (f *Fake) DeleteVolume(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.volumes, name)
}

// RemoveContainer deletes a container whatever its state, as `docker rm -f` does.
func (f *Fake) RemoveContainer(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(name)
	if err != nil {
		return err
	}
	f.removeContainer(c, false)
	return nil
}
