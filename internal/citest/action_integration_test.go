package citest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestActionScript runs the phases the kdev actions run, as GitHub would between its
// own cache steps: a cold start, a save, a save that finds nothing changed, and a
// fresh runner that restores the archive and has the cache back.
func TestActionScript(t *testing.T) {
	r := newRig(t)
	script := filepath.Join(r.root, "hack", "kdev-action.sh")
	temp := t.TempDir()
	out := filepath.Join(temp, "github-output")
	gh := func(runID string) []string {
		return []string{"KDEV=" + r.kdev, "KDEV_CONFIG=" + r.config, "RUNNER_TEMP=" + temp, "RUNNER_OS=Linux",
			"GITHUB_OUTPUT=" + out, "GITHUB_RUN_ID=" + runID, "GITHUB_RUN_ATTEMPT=1"}
	}
	reset := func() {
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	reset()
	r.run(gh("100"), script, "key")
	k := outputs(t, out)
	if !strings.HasPrefix(k["key"], k["prefix"]) || !strings.HasSuffix(k["key"], "-100-1") || k["archive"] != filepath.Join(temp, "kdev-cache.tar.zst") {
		t.Fatalf("key outputs %v", k)
	}
	if got := r.run(gh("100"), script, "restore"); !strings.Contains(got, "starting cold") {
		t.Fatalf("restore without an archive: %q", got)
	}

	reset()
	r.run(gh("100"), script, "save")
	if o := outputs(t, out); o["changed"] != "true" || o["key"] != k["key"] {
		t.Fatalf("first save: %v; want changed=true under the run's key", o)
	}
	reset()
	r.run(gh("101"), script, "save")
	if o := outputs(t, out); o["changed"] != "false" || o["prefix"] != k["prefix"] {
		t.Fatalf("second save: %v; want changed=false, same prefix", o)
	}

	// A fresh runner: actions/cache restored the archive; the caches are not there.
	want := r.cached()
	if want != "team/app:v1" {
		t.Fatalf("cache before: %q", want)
	}
	r.forget()
	r.run(gh("102"), script, "restore")
	if got := r.cached(); got != want {
		t.Fatalf("cache after restore: %q; want %q", got, want)
	}
}

// TestMakeInclude runs kdev.mk's cache targets from a Makefile that includes it, and
// checks the commands of the others.
func TestMakeInclude(t *testing.T) {
	r := newRig(t)
	mk := filepath.Join(r.dir, "Makefile")
	if err := os.WriteFile(mk, []byte("include "+filepath.Join(r.root, "kdev.mk")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(r.dir, ".kdev", "cache.tar.zst")
	vars := []string{"KDEV=" + r.kdev, "KDEV_CONFIG=" + r.config, "KDEV_CACHE=" + archive}
	make := func(target string) string { return r.run(nil, "make", append([]string{"-s", target}, vars...)...) }

	if got := make("kdev-cache-restore"); !strings.Contains(got, "starting cold") {
		t.Fatalf("restore without an archive: %q", got)
	}
	if got := make("kdev-cache-save"); strings.TrimSpace(got) != "changed" {
		t.Fatalf("first save printed %q; want changed", got)
	}
	if got := make("kdev-cache-save"); strings.TrimSpace(got) != "unchanged" {
		t.Fatalf("second save printed %q; want unchanged", got)
	}
	want := r.cached()
	r.forget()
	make("kdev-cache-restore")
	if got := r.cached(); got != want || got == "" {
		t.Fatalf("cache after restore: %q; want %q", got, want)
	}
	dry := r.run(nil, "make", append([]string{"-n", "kdev-up", "kdev-down"}, vars...)...)
	if !strings.Contains(dry, r.kdev+" -f "+r.config+" up") || !strings.Contains(dry, r.kdev+" -f "+r.config+" down") {
		t.Fatalf("make -n kdev-up kdev-down:\n%s", dry)
	}
}
