package app

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/api"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/golden"
	"github.com/kdev-dev/kdev/internal/ui"
)

// promise is one value a golden document must hold at a path such as
// "mirrors.0.address": what scripts and the e2e suite read, pinned apart from the
// api types, so that a field renamed there and a golden rewritten with -update still
// fail here.
type promise struct {
	path string
	want any // as encoding/json decodes into any: string, float64, bool or nil
}

// TestJSONGolden: each -o json document, made from fixed internal values by the real
// converter and encoder, is byte for byte its golden file (go test -update rewrites
// them), and the golden, read back without the api types, keeps its promises.
func TestJSONGolden(t *testing.T) {
	for _, tc := range []struct {
		file     string
		doc      any
		kind     string
		promises []promise
	}{
		{"status.json", statusDoc(fixedStatus()), api.KindStatus, []promise{
			{"name", "web"}, {"network.subnet", "172.30.0.0/24"}, {"cluster.ready", true}, {"cluster.workers", 1.0},
			{"cluster.startedAt", "2026-12-01T09:00:00Z"}, {"localRegistry.port", 5001.0},
			{"mirrors.0.registry", "docker.io"}, {"mirrors.0.address", "127.0.0.1:32768"}, {"mirrors.0.state", "running"},
			{"mirrors.0.mode", "proxy"}, {"mirrors.0.modeSince", "2026-12-01T09:30:00Z"}, {"mirrors.0.attached", true},
			{"mirrors.0.upstreamReachable", true}, {"mirrors.0.cacheBytes", 52000000.0}, {"mirrors.0.hitRatio", 0.6},
			{"mirrors.0.counters.requests.blob", 6.0}, {"mirrors.0.counters.hits.manifest", 2.0},
			{"mirrors.0.counters.misses.blob", 2.0}, {"mirrors.0.counters.upstream.rateLimited", 1.0},
			{"mirrors.0.counters.upstream.rateLimitRemaining", 0.0}, {"mirrors.0.counters.upstream.rateLimitLimit", 100.0},
			{"mirrors.1.state", "missing"}, {"mirrors.1.hitRatio", -1.0}, {"mirrors.1.cacheBytes", -1.0},
		}},
		{"check.json", checkDoc(fixedCheck()), api.KindCheckReport, []promise{
			{"results.0.registry", "docker.io"}, {"results.0.verdict", "pass"}, {"results.0.hits", 4.0},
			{"results.0.pulls.0.durationMs", 1740.0}, {"results.0.pulls.0.delta.misses.blob", 2.0},
			{"results.0.pulls.1.delta.hits.blob", 2.0}, {"results.1.verdict", "bypassed"}, {"results.1.pulls.0.nextHost", true},
			{"results.1.cause", "not mirror kdev-mirror-quay-io running (state exited); fix: run kdev up"},
			{"results.2.verdict", "unavailable"}, {"results.2.mode", "cache-only"},
		}},
		{"doctor.json", doctorDoc(fixedDoctor()), api.KindDoctorReport, []promise{
			{"findings.0.ok", true}, {"findings.2.item", "docker.io/hosts.toml in web-worker"}, {"findings.2.ok", false},
			{"findings.2.fix", "run kdev up"}, {"findings.2.node", "web-worker"}, {"findings.2.registry", "docker.io"},
		}},
		{"up.json", upDoc(fixedUp()), api.KindUpResult, []promise{
			{"changed", true}, {"networkCreated", true}, {"mirrors.0.action", "created"}, {"mirrors.0.container.apiPort", 32768.0},
			{"mirrors.1.mode", "cache-only"}, {"mirrors.1.was", "proxy"}, {"mirrors.1.container.created", "2026-12-01T09:30:00Z"},
			{"cluster.created", true}, {"cluster.wiring.1.node", "web-worker"},
			{"cluster.wiring.1.written.0", "/etc/containerd/certs.d/docker.io/hosts.toml"},
			{"check.0.verdict", "pass"}, {"localRegistry.port", 5001.0},
		}},
		{"up-unchanged.json", upDoc(fixedUpUnchanged()), api.KindUpResult, []promise{
			{"changed", false}, {"provenAt", "2026-12-01T09:30:00Z"}, {"mirrors.0.action", "unchanged"},
		}},
		{"cache-ls.json", cacheDocument(fixedCaches()), api.KindCacheList, []promise{
			{"caches.0.registry", "docker.io"}, {"caches.0.upstream", "https://registry-1.docker.io"}, {"caches.0.key", "docker-io"},
			{"caches.0.volume", "kdev-cache-docker-io"}, {"caches.0.bytes", 52000000.0}, {"caches.0.mirror", "kdev-mirror-docker-io"},
			{"caches.0.lastUsed", "2026-12-01T09:30:00Z"}, {"caches.0.repositories.0.name", "library/busybox"},
			{"caches.0.repositories.0.tags.0", "1.37.0"}, {"caches.1.bytes", -1.0}, {"caches.1.volume", "kdev-cache-quay-io-1a2b3c4d"},
		}},
		{"down.json", downDoc(fixedDown()), api.KindDownResult, []promise{
			{"cluster", true}, {"network", true}, {"localRegistry", true}, {"purged.0", "kdev-mirror-quay-io"},
			{"kept.0.usedBy.0", "api"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ui.JSON(&buf, tc.doc); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, buf.Bytes())
			doc := readBack(t, tc.file)
			tc.promises = append(tc.promises, promise{"apiVersion", "kdev.dev/v1alpha1"}, promise{"kind", tc.kind})
			for _, p := range tc.promises {
				if got, ok := lookup(doc, p.path); !ok || got != p.want {
					t.Errorf("%s: %s = %v (present: %v), want %v", tc.file, p.path, got, ok, p.want)
				}
			}
			camelCase(t, "", doc)
		})
	}
}

// TestConfigViewGolden: config view -o json prints the kdev.yaml document itself,
// defaults filled in, plus the proxy kdev found (its password masked); kdev's own
// strict loader reads the golden back as the same configuration.
func TestConfigViewGolden(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("HTTPS_PROXY", "http://ci:s3cret@proxy.corp.example:3128")
	t.Setenv("NO_PROXY", "localhost,127.0.0.1")
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	code, out, stderr := run(t, "config", "view", "-f", "testdata/kdev.yaml", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, "config-view.json", []byte(out))
	doc := readBack(t, "config-view.json")
	for _, p := range []promise{{"apiVersion", config.APIVersion}, {"kind", config.Kind}, {"name", "web"},
		{"localRegistry.port", 5002.0}, {"images.node", "kindest/node:v1.34.0"}, {"mirrors.0.policy", "strict"},
		{"effectiveProxy.httpsProxy", "http://ci:xxxxx@proxy.corp.example:3128"}, {"effectiveProxy.source", "environment"}} {
		if got, ok := lookup(doc, p.path); !ok || got != p.want {
			t.Errorf("%s = %v (present: %v), want %v", p.path, got, ok, p.want)
		}
	}
	delete(doc.(map[string]any), "effectiveProxy")
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.Parse("config-view.json", data)
	if err != nil {
		t.Fatalf("kdev's loader rejects config view's JSON: %v", err)
	}
	want, err := config.Load("testdata/kdev.yaml", config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	backJSON, _ := json.Marshal(back)
	if !bytes.Equal(wantJSON, backJSON) {
		t.Errorf("config view's JSON loads as\n%s\nwant\n%s", backJSON, wantJSON)
	}
}

// readBack decodes a golden file as a script would, into plain maps and lists.
func readBack(t *testing.T, file string) any {
	t.Helper()
	data := golden.Read(t, file)
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s is not JSON: %v", file, err)
	}
	return doc
}

// lookup follows a dotted path of keys and list indexes.
func lookup(doc any, path string) (any, bool) {
	for _, step := range strings.Split(path, ".") {
		switch v := doc.(type) {
		case map[string]any:
			var ok bool
			if doc, ok = v[step]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

var camel = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// camelCase fails t for any key of doc that is not camelCase.
func camelCase(t *testing.T, at string, doc any) {
	t.Helper()
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			if !camel.MatchString(k) {
				t.Errorf("key %q at %q is not camelCase", k, at)
			}
			camelCase(t, at+"."+k, x)
		}
	case []any:
		for i, x := range v {
			camelCase(t, at+"."+strconv.Itoa(i), x)
		}
	}
}
