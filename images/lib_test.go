// Package images tests the shell library every build and CI script sources
// (images/lib.sh): its phase helper and its version checks, run by bash as the
// scripts run them.
package images

import (
	"os/exec"
	"strings"
	"testing"
)

// bash runs script after sourcing lib.sh under the scripts' own options, and returns
// its exit status and what it printed.
func bash(t *testing.T, script string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n. ./lib.sh\n"+script)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestSays: a version check that matches the first line of a command that goes on
// writing passes every time, where `cmd | grep -q` under pipefail failed by timing
// (etcd's "built etcd is not 3.6.4" on a fresh machine).
func TestSays(t *testing.T) {
	// Many lines after the match: a pipe into grep -q would kill the writer with SIGPIPE.
	talker := `talk() { echo "etcd Version: 3.6.4"; for i in $(seq 1 20000); do echo "line $i"; done; }`
	for i := range 20 {
		if code, out := bash(t, talker+"\nsays 'etcd Version: 3.6.4' talk"); code != 0 {
			t.Fatalf("run %d: says failed on a match: exit %d\n%s", i, code, out)
		}
	}
	if code, _ := bash(t, talker+"\nsays 'etcd Version: 3.6.5' talk"); code == 0 {
		t.Fatal("says passed on another version")
	}
	if code, _ := bash(t, "says 'v1' false"); code == 0 {
		t.Fatal("says passed on a failing command")
	}
}

// TestPhase: a phase that succeeds logs its time; one that fails shows its log's end
// and stops the script; with PHASE_LOGS the log stays there.
func TestPhase(t *testing.T) {
	code, out := bash(t, "ok() { echo working; }\nphase build ok\necho after")
	if code != 0 || !strings.Contains(out, "• build") || strings.Contains(out, "working") || !strings.HasSuffix(out, "after\n") {
		t.Fatalf("a phase that succeeds: exit %d\n%s", code, out)
	}
	code, out = bash(t, "bad() { echo 'the reason'; false; echo 'not reached'; }\nphase build bad\necho 'script went on'")
	if code == 0 || !strings.Contains(out, "✗ phase build failed") || !strings.Contains(out, "the reason") ||
		strings.Contains(out, "not reached") || strings.Contains(out, "script went on") {
		t.Fatalf("a phase that fails: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	if code, out = bash(t, "ok() { echo kept; }\nPHASE_LOGS="+dir+" phase build ok\ncat "+dir+"/build.log"); code != 0 || !strings.HasSuffix(out, "kept\n") {
		t.Fatalf("PHASE_LOGS: exit %d\n%s", code, out)
	}
}
