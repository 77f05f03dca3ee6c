package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadHostileFiles: what a user can hand kdev as its config is read only if it is a
// small regular file; anything else is a one-line error naming the file. A FIFO is
// refused before it is opened: were it read, this test would block until its timeout.
func TestLoadHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, append([]byte(header+"# "), make([]byte, MaxFileSize)...), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ path, want string }{
		"an endless device": {"/dev/zero", "not a regular file (a device)"},
		"a FIFO":            {fifo, "not a regular file (a FIFO)"},
		"a directory":       {dir, "not a regular file (a directory)"},
		"an oversized file": {big, "more than the 1048576 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(tc.path, Overrides{})
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.path+": cannot read") {
				t.Fatalf("Load(%s) = %v; want a config error naming the file and %q", tc.path, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("a multi-line error: %q", err)
			}
		})
	}
}

func TestExpandPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KDEV_TEST_SECRETS", "/run/secrets")
	for in, want := range map[string]string{
		"~/.config/kdev/token":           home + "/.config/kdev/token",
		"~":                              home,
		"$KDEV_TEST_SECRETS/hub":         "/run/secrets/hub",
		"${KDEV_TEST_SECRETS}/hub":       "/run/secrets/hub",
		"/etc/kdev/token":                "/etc/kdev/token",
		"relative/~/not-home":            "relative/~/not-home",
		"~other/is/not/expanded/as/home": "~other/is/not/expanded/as/home",
	} {
		if got, err := ExpandPath(in); err != nil || got != want {
			t.Errorf("ExpandPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ExpandPath("$KDEV_TEST_UNSET_VARIABLE/x"); err == nil || !strings.Contains(err.Error(), "KDEV_TEST_UNSET_VARIABLE") {
		t.Errorf("an unset variable: %v, want an error naming it", err)
	}
}
