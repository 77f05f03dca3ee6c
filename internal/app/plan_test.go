package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/golden"
	"github.com/kdev-dev/kdev/internal/ui"
)

const planConfig = `apiVersion: kdev.dev/v1alpha1
kind: Environment
name: demo
mirrors:
  - registry: docker.io
  - registry: ghcr.io
    policy: strict
images:
  node: kdev.local/node:test
cluster:
  workers: 2
`

// dryRun runs kdev with Docker unreachable: a plan needs no Docker.
func dryRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{streams: ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb},
		connect: func(context.Context) (docker.API, error) { return nil, errors.New("no Docker in this test") }}
	root := newRoot(g)
	root.SetArgs(args)
	_, err := root.ExecuteContextC(context.Background())
	code := ExitOK
	if err != nil {
		code = exitCode(err)
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func TestUpDryRun(t *testing.T) {
	file := writeFile(t, planConfig)
	code, out, stderr := dryRun(t, "up", "--dry-run", "-o", "json", "-f", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, "plan.json", []byte(out))
	// Read back without the encoding types: the document says what it is.
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["apiVersion"] != "kdev.dev/v1alpha1" || doc["kind"] != "Plan" {
		t.Errorf("apiVersion %v kind %v", doc["apiVersion"], doc["kind"])
	}
	code, out, stderr = dryRun(t, "up", "--dry-run", "-f", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, "plan.txt", []byte(out))
}

// TestUpDryRunRejects: a cluster.kind mistake is refused by the plan, before Docker is
// asked anything, with the configuration's exit code.
func TestUpDryRunRejects(t *testing.T) {
	file := writeFile(t, planConfig+"  kind:\n    networking: {bogus: 1}\n")
	code, out, stderr := dryRun(t, "up", "--dry-run", "-f", file)
	if code != ExitUsage || out != "" || !strings.Contains(stderr, "cluster.kind") || !strings.Contains(stderr, "bogus") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 naming cluster.kind", code, out, stderr)
	}
}
