package cluster

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestNoteState(t *testing.T) {
	started := "2026-12-01T10:00:00.5Z"
	running := &container.State{Status: container.StateRunning, Running: true, StartedAt: started}
	for _, c := range []struct {
		name   string
		states []*container.State
		want   string
	}{
		{"all running", []*container.State{running, running}, StateRunning},
		{"one restarting", []*container.State{running, {Status: container.StateRestarting, Running: true, Restarting: true}}, StateStarting},
		{"one exited", []*container.State{running, {Status: container.StateExited}}, StateStopped},
		{"one paused", []*container.State{{Status: container.StatePaused, Running: true, Paused: true}}, StateStopped},
		{"exited and never started", []*container.State{{Status: container.StateExited}, {Status: container.StateCreated}}, StateIncomplete},
		{"no state", []*container.State{nil}, StateStopped},
	} {
		o := &Observed{State: StateRunning}
		for _, s := range c.states {
			o.noteState(s)
		}
		if o.State != c.want {
			t.Errorf("%s: state %q, want %q", c.name, o.State, c.want)
		}
	}
	o := &Observed{State: StateRunning}
	o.noteState(running)
	if want := time.Date(2026, 12, 1, 10, 0, 0, 5e8, time.UTC); !o.StartedAt.Equal(want) {
		t.Errorf("StartedAt %v, want %v", o.StartedAt, want)
	}
}
