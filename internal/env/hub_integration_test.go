package env

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/dockertest"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// hubMirror starts a Docker Hub-like upstream (registry, token server and blob host
// named in one domain, a private CA) where the fixture's network reaches it, seeds
// library/app:v1 into it, and returns it with a mirror of it that trusts its
// authority. Nothing resolves the hub's names: the mirror reaches them through the
// proxy that HTTPS_PROXY names, as a company's laptop reaches Docker Hub.
func hubMirror(t *testing.T, f *fixture, users map[string]string) (*dockertest.Hub, config.Mirror, *registrytest.Image) {
	t.Helper()
	gw := f.up().Network.Subnet.Addr().Next()
	hub := dockertest.StartHub(t, gw, dockertest.HubOptions{Users: users, Domain: dockertest.Name("hub") + ".test"})
	proxy := dockertest.StartProxy(t, gw, hub.Routes)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("HTTP_PROXY", "")
	t.Setenv("NO_PROXY", "")
	p, err := docker.FindProxy(os.Getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	f.env.Proxy = p
	img, err := registrytest.NewImage(2, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Push("library/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "hub-ca.pem")
	if err := os.WriteFile(ca, hub.CA, 0o644); err != nil {
		t.Fatal(err)
	}
	return hub, config.Mirror{Registry: dockertest.Name("hub") + ".test", RemoteURL: hub.URL, Policy: config.PolicyFallback, CAFile: ca}, img
}

// TestHubColdPull: through a real mirror, a cold pull from an upstream that works as
// Docker Hub does (401 and a Bearer challenge, tokens from another host, blobs 307 to
// a third, library/ names) fills the cache: the mirror fetched tokens and followed the
// redirects (misses), and a second pull is served from the cache (hits, no blob fetched
// again).
func TestHubColdPull(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	hub, m, _ := hubMirror(t, f, nil)
	f.env.Config.Mirrors = []config.Mirror{m}
	r := f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy || r.Warning != "" {
		t.Fatalf("mirror of the hub: mode %s, warning %q; want proxy\n%s", r.Mode, r.Warning, f.log)
	}
	tokens := hub.TokensIssued()
	if _, err := registrytest.Pull(mirrorURL(r), "library/app", "v1"); err != nil {
		t.Fatalf("cold pull through the mirror: %v\nthe mirror's logs:\n%s", err, mirrorLogs(t, f, m))
	}
	cold := f.settled(r, func(c registry.Counters) bool { return c.Misses.Blob >= 3 })
	redirected := hub.BlobsRedirected()
	if cold.Misses.Blob < 3 || cold.Misses.Manifest == 0 || hub.TokensIssued() == tokens || redirected < 3 {
		t.Fatalf("cold pull: mirror counted %+v, the hub issued %d tokens and served %d redirected blobs; want 3 blob misses, tokens, and the blobs from the redirect host",
			cold, hub.TokensIssued()-tokens, redirected)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "library/app", "v1"); err != nil {
		t.Fatalf("warm pull through the mirror: %v", err)
	}
	warm := f.settled(r, func(c registry.Counters) bool { return c.Hits.Blob >= 3 })
	if warm.Hits.Blob < 3 || warm.Misses.Blob != cold.Misses.Blob || hub.BlobsRedirected() != redirected {
		t.Errorf("warm pull: mirror counted %+v (cold %+v), the redirect host served %d more blobs; want 3 blob hits and nothing fetched again",
			warm, cold, hub.BlobsRedirected()-redirected)
	}
}

// TestHubCredentials: a mirror with credentials.username and a passwordFile pulls
// from a hub whose repository needs an account; the password is in none of what a
// user or a log collector sees: the mirror's logs, `kdev status -o json`, `docker
// inspect`, up's progress.
func TestHubCredentials(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	password := dockertest.Name("pw-")
	hub, m, _ := hubMirror(t, f, map[string]string{"kdev-ci": password})
	pwFile := filepath.Join(t.TempDir(), "hub-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Credentials = &config.Credentials{Username: "kdev-ci", PasswordFile: pwFile}
	f.env.Config.Mirrors = []config.Mirror{m}
	r := f.up().Mirrors[0]
	if r.Mode != registry.ModeProxy || r.Warning != "" || strings.Contains(f.log.String(), "refused") {
		t.Fatalf("mirror with credentials: mode %s, warning %q; want proxy, nothing refused\n%s", r.Mode, r.Warning, f.log)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "library/app", "v1"); err != nil {
		t.Fatalf("pull through the mirror with credentials: %v", err)
	}
	if c := f.settled(r, func(c registry.Counters) bool { return c.Misses.Blob >= 3 }); c.Misses.Blob < 3 || hub.TokensRefused() != 0 {
		t.Fatalf("mirror counted %+v, the token server refused %d requests; want the blobs fetched with the account", c, hub.TokensRefused())
	}

	ctx := context.Background()
	name := registry.MirrorName(m)
	seen := map[string]string{"progress of up": f.log.String()}
	seen["docker logs"] = mirrorLogs(t, f, m)
	ins, err := f.api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen["docker inspect's Env"] = strings.Join(ins.Container.Config.Env, "\n")
	all, _ := json.Marshal(ins.Container)
	seen["docker inspect"] = string(all)
	st, err := f.env.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(st)
	seen["status -o json"] = string(js)
	for where, text := range seen {
		if strings.Contains(text, password) {
			t.Errorf("the upstream password is in %s", where)
		}
	}
	if !strings.Contains(seen["docker logs"], "/v2/library/app/") {
		t.Errorf("the mirror's logs do not show the pull, so the leak check read the wrong logs:\n%.2000s", seen["docker logs"])
	}
}

// TestHubRefusedCredentials: the hub's token server refuses the mirror's password. up
// says so by name (the token server, the user, what to check), and a pull through the
// mirror fails rather than serving anything.
func TestHubRefusedCredentials(t *testing.T) {
	f := newFixture(t, "mirrors: []\nlocalRegistry:\n  enabled: false\n")
	hub, m, _ := hubMirror(t, f, map[string]string{"kdev-ci": dockertest.Name("right-")})
	pwFile := filepath.Join(t.TempDir(), "hub-password")
	if err := os.WriteFile(pwFile, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Credentials = &config.Credentials{Username: "kdev-ci", PasswordFile: pwFile}
	f.env.Config.Mirrors = []config.Mirror{m}
	r := f.up().Mirrors[0]
	out := f.log.String()
	want := `mirror ` + m.Registry + `: the upstream's token server (` + hub.TokenURL + `) refused user "kdev-ci" (401 Unauthorized)`
	if !strings.Contains(out, want) || !strings.Contains(out, "passwordFile") || strings.Contains(out, "not-the-password") {
		t.Fatalf("up with a refused password said:\n%s\nwant a line with %q and what to check, without the password", out, want)
	}
	if _, err := registrytest.Pull(mirrorURL(r), "library/app", "v1"); err == nil {
		t.Fatal("a pull through a mirror whose account is refused succeeded")
	} else {
		t.Logf("the pull through the mirror failed as: %v", err)
	}
	if hub.TokensRefused() == 0 {
		t.Error("the token server refused nothing: the refusal did not come from it")
	}
}

// mirrorLogs is what `docker logs` says of m's mirror.
func mirrorLogs(t *testing.T, f *fixture, m config.Mirror) string {
	t.Helper()
	logs, err := f.api.ContainerLogs(context.Background(), registry.MirrorName(m), client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	b, _ := io.ReadAll(logs)
	return string(b)
}
