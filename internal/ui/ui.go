// Package ui is kdev's terminal: progress lines on stderr in kind's style (a spinner
// only on a terminal, plain lines elsewhere), data on stdout, JSON for scripts.
package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// Verbosity of the progress stream.
type Verbosity int

// Verbosity levels: -q, default, -v.
const (
	Quiet Verbosity = iota - 1
	Normal
	Verbose
)

// Streams are a command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// StdStreams returns the process's own streams.
func StdStreams() Streams { return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Status writes step lines: " • title" while working, then " ✓ result" or " ✗ result".
// It implements the orchestrator's Progress interface.
type Status struct {
	w         io.Writer
	verbosity Verbosity
	tty       bool
	now       func() time.Time
	mu        sync.Mutex
}

// NewStatus writes progress to w. The spinner runs only when tty is true.
func NewStatus(w io.Writer, v Verbosity, tty bool) *Status {
	return &Status{w: w, verbosity: v, tty: tty, now: time.Now}
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Step starts a step and returns the function that ends it.
func (s *Status) Step(title string) func(result string, err error) {
	start := s.now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if s.verbosity >= Normal {
		if s.tty {
			wg.Go(func() { s.spin(title, stop) })
		} else if s.verbosity >= Verbose {
			s.printf(" • %s ...\n", title)
		}
	}
	var once sync.Once
	return func(result string, err error) {
		once.Do(func() {
			close(stop)
			wg.Wait()
			if result == "" {
				result = title
			}
			took := ""
			if s.verbosity >= Verbose {
				took = fmt.Sprintf(" (%s)", s.now().Sub(start).Round(time.Millisecond))
			}
			switch {
			case err != nil:
				// The error itself is printed once, by the command; here only the step fails.
				s.printf(" ✗ %s%s\n", title, took)
			case s.verbosity >= Normal:
				s.printf(" ✓ %s%s\n", result, took)
			}
		})
	}
}

func (s *Status) spin(title string, stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		s.printf("\r\x1b[K %s %s", spinnerFrames[i%len(spinnerFrames)], title)
		select {
		case <-stop:
			s.printf("\r\x1b[K")
			return
		case <-t.C:
		}
	}
}

// Warn prints a warning line, even with -q: warnings are never noise.
func (s *Status) Warn(msg string) { s.printf(" ! %s\n", msg) }

// Detail prints a line only with -v: what kind itself says while it works.
func (s *Status) Detail(msg string) {
	if s.verbosity >= Verbose && msg != "" {
		s.printf("   %s\n", msg)
	}
}

// Info prints a line at normal verbosity.
func (s *Status) Info(msg string) {
	if s.verbosity >= Normal {
		s.printf(" ✓ %s\n", msg)
	}
}

func (s *Status) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, args...)
}

// JSON writes v to w as indented JSON with a final newline.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Bytes formats a size for people: 1.2 GB, 340 MB, 12 kB.
func Bytes(n int64) string {
	if n < 0 {
		return "?"
	}
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
