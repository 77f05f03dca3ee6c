package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxFileSize bounds what kdev reads from a file a user names (kdev.yaml, a password
// file): real ones are a few kilobytes, and /dev/zero must not exhaust memory.
const MaxFileSize = 1 << 20

// ReadSmallFile reads a regular file of at most MaxFileSize bytes. A device, a FIFO
// (which would block until someone writes to it) or a socket is refused before it is
// opened, and so is a file that is, or grows, too large.
func ReadSmallFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): kdev reads configuration and secrets from regular files only", path, kindOf(info.Mode()))
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d bytes kdev reads from such a file", path, info.Size(), MaxFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s grew past %d bytes while kdev read it", path, MaxFileSize)
	}
	return b, nil
}

func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	default:
		return "not a plain file"
	}
}

// ExpandPath expands a leading ~ (the user's home) and $VAR or ${VAR} in a path a user
// wrote in kdev.yaml, as a shell would have on the command line. An unset variable is
// an error rather than an empty string, which would silently name another file.
func ExpandPath(p string) (string, error) {
	var missing []string
	out := os.Expand(p, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%q names unset environment variable %s", p, strings.Join(missing, ", "))
	}
	if out == "~" || strings.HasPrefix(out, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expand %q: %w", p, err)
		}
		out = filepath.Join(home, strings.TrimPrefix(out, "~"))
	}
	return out, nil
}
