package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStatusPlain(t *testing.T) {
	var buf bytes.Buffer
	s := NewStatus(&buf, Normal, false)
	s.Step("Network kdev")("Network kdev (172.30.0.0/24)", nil)
	s.Step("Mirrors")("", errors.New("boom"))
	s.Warn("upstream unreachable")
	want := " ✓ Network kdev (172.30.0.0/24)\n ✗ Mirrors\n ! upstream unreachable\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestStatusVerboseTimings(t *testing.T) {
	var buf bytes.Buffer
	s := NewStatus(&buf, Verbose, false)
	clock := time.Unix(0, 0)
	s.now = func() time.Time { clock = clock.Add(1500 * time.Millisecond); return clock }
	s.Step("Mirrors")("Mirrors docker.io", nil)
	want := " • Mirrors ...\n ✓ Mirrors docker.io (1.5s)\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestStatusQuiet(t *testing.T) {
	var buf bytes.Buffer
	s := NewStatus(&buf, Quiet, false)
	s.Step("Network")("done", nil)
	s.Warn("still shown")
	if buf.String() != " ! still shown\n" {
		t.Fatalf("got %q", buf.String())
	}
}

func TestStatusSpinnerClearsLine(t *testing.T) {
	var buf bytes.Buffer
	s := NewStatus(&buf, Normal, true)
	s.Step("Mirrors")("Mirrors ok", nil)
	out := buf.String()
	if !strings.Contains(out, "\r\x1b[K") || !strings.HasSuffix(out, " ✓ Mirrors ok\n") {
		t.Fatalf("got %q", out)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{-1: "?", 0: "0 B", 999: "999 B", 1200: "1.2 kB", 1_234_567_890: "1.2 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
