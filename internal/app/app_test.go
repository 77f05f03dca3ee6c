package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/ui"
	"github.com/kdev-dev/kdev/internal/verify"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kdev.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	bad := writeFile(t, "apiVersion: kdev.dev/v1alpha1\nkind: Environment\nmirrors:\n  - registry: docker.io\n    polcy: strict\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command", []string{"upp"}, 2, `unknown command "upp"`},
		{"unknown flag", []string{"status", "--bogus"}, 2, "unknown flag: --bogus"},
		{"extra argument", []string{"down", "now"}, 2, "takes no arguments"},
		{"bad output", []string{"config", "view", "-o", "yaml"}, 2, `-o "yaml": use text or json`},
		{"quiet and verbose", []string{"config", "view", "-q", "-v"}, 2, "cannot be used together"},
		{"unknown config field", []string{"config", "view", "-f", bad}, 2, bad + ":5: field polcy not found"},
		{"missing config file", []string{"up", "-f", "/nonexistent/kdev.yaml"}, 2, "cannot read"},
		{"bad --name", []string{"config", "view", "--name", "No_Good"}, 2, `name: "No_Good" is not a valid name`},
		{"cache prune with a bad size", []string{"cache", "prune", "--max-size", "lots"}, 2, `--max-size: "lots" is not a size`},
		{"cache prune with a bad age", []string{"cache", "prune", "--older-than", "1w"}, 2, `--older-than: "1w" is not an age`},
		{"cache export without a file", []string{"cache", "export"}, 2, "needs -o FILE"},
		{"cache import without an archive", []string{"cache", "import"}, 2, "takes one argument"},
		{"cache import of a missing archive", []string{"cache", "import", "/nonexistent/kdev-cache.tar.zst"}, 2, "open the archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.stderr)
			}
			if strings.Count(stderr, "ERROR:") != 1 {
				t.Errorf("the error must be printed exactly once: %q", stderr)
			}
		})
	}
}

func TestConfigViewJSON(t *testing.T) {
	t.Chdir(t.TempDir())
	f := writeFile(t, "apiVersion: kdev.dev/v1alpha1\nkind: Environment\nname: web\nmirrors:\n  - registry: ghcr.io\n")
	code, out, stderr := run(t, "config", "view", "-f", f, "-o", "json", "--registry-image", "kdev.local/registry:3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Name    string
		Network struct{ Name string }
		Mirrors []struct{ Registry, RemoteURL, Policy string }
		Images  struct{ Registry string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if got.Name != "web" || got.Network.Name != "web" || len(got.Mirrors) != 1 ||
		got.Mirrors[0].RemoteURL != "https://ghcr.io" || got.Mirrors[0].Policy != "fallback" ||
		got.Images.Registry != "kdev.local/registry:3" {
		t.Fatalf("effective config: %+v", got)
	}
}

func TestConfigViewDefaultsWithoutFile(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, _ := run(t, "config", "view")
	if code != 0 || !strings.Contains(out, "registry: docker.io") || !strings.Contains(out, "port: 5001") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestDockerUnreachable(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	code, out, stderr := run(t, "status")
	if code != 1 || out != "" {
		t.Fatalf("exit %d stdout %q, want 1 and nothing on stdout", code, out)
	}
	if !strings.Contains(stderr, "docker is not reachable at unix:///nonexistent/docker.sock (from DOCKER_HOST)") || !strings.Contains(stderr, "is Docker running?") {
		t.Fatalf("stderr %q does not say where kdev looked and what to do", stderr)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("stderr %q: want one line", stderr)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "kdev dev (kind ") {
		t.Fatalf("exit %d: %q", code, out)
	}
}

func TestCompletion(t *testing.T) {
	code, out, _ := run(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "__start_kdev") {
		t.Fatalf("exit %d, no bash completion script", code)
	}
}

// TestCheckExit: each verdict decides check's exit code; a failure outweighs a check
// that proved nothing.
func TestCheckExit(t *testing.T) {
	r := func(reg string, v verify.Verdict) verify.Result { return verify.Result{Registry: reg, Verdict: v} }
	for _, tc := range []struct {
		name    string
		results []verify.Result
		want    int
	}{
		{"all pass", []verify.Result{r("a", verify.Pass), r("b", verify.Pass)}, ExitOK},
		{"a bypass", []verify.Result{r("a", verify.Pass), r("b", verify.Bypassed)}, ExitFailure},
		{"rate-limited", []verify.Result{r("a", verify.Pass), r("b", verify.RateLimited)}, ExitFailure},
		{"a miss", []verify.Result{r("a", verify.Missed)}, ExitFailure},
		{"a failure", []verify.Result{r("a", verify.Failed)}, ExitFailure},
		{"could not run", []verify.Result{r("a", verify.Pass), r("b", verify.Unavailable)}, ExitUnproven},
		{"proved nothing", []verify.Result{r("a", verify.Unproven)}, ExitUnproven},
		{"a failure beside an inconclusive check", []verify.Result{r("a", verify.Unavailable), r("b", verify.Bypassed)}, ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ExitOK
			if err := checkExit(tc.results); err != nil {
				got = exitCode(err)
			}
			if got != tc.want {
				t.Fatalf("exit %d, want %d", got, tc.want)
			}
		})
	}
	if got := exitCode(fmt.Errorf("up: %w", context.Canceled)); got != ExitInterrupted {
		t.Fatalf("a cancelled command exits %d, want %d", got, ExitInterrupted)
	}
}

func TestClusterHealth(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		obs  cluster.Observed
		want string
	}{
		{cluster.Observed{State: cluster.StateRunning, Ready: true, StartedAt: now.Add(-time.Hour)}, "ready"},
		{cluster.Observed{State: cluster.StateRunning, StartedAt: now.Add(-time.Minute)}, "starting"},
		{cluster.Observed{State: cluster.StateStarting, StartedAt: now.Add(-time.Hour)}, "starting"},
		{cluster.Observed{State: cluster.StateRunning, StartedAt: now.Add(-time.Hour)}, "not ready"},
		{cluster.Observed{State: cluster.StateStopped}, "stopped"},
		{cluster.Observed{State: cluster.StateIncomplete}, "incomplete"},
	} {
		if got := clusterHealth(&c.obs, now); !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: health %q, want %q…", c.obs, got, c.want)
		}
	}
}

func TestInterruptedMessage(t *testing.T) {
	cause := &url.Error{Op: "Get", URL: "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/networks", Err: context.Canceled}
	err := fmt.Errorf("list networks: %w", cause)
	if got, want := interrupted(err), "list networks: interrupted"; got != want {
		t.Errorf("interrupted(%q) = %q, want %q", err, got, want)
	}
	plain := fmt.Errorf("create cluster %q interrupted; its nodes were removed: %w", "x", context.Canceled)
	if got := interrupted(plain); got != plain.Error() {
		t.Errorf("interrupted changed a message with no request in it: %q", got)
	}
}
