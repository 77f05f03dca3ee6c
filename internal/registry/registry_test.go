package registry

import (
	"archive/tar"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/golden"
)

func TestConfigsGolden(t *testing.T) {
	tests := []struct {
		name string
		cfg  *configuration.Configuration
	}{
		{"mirror-proxy.yml", MirrorConfig("https://registry-1.docker.io", "", "", ModeProxy)},
		{"mirror-proxy-credentials.yml", MirrorConfig("https://ghcr.io", "me", "s3cret", ModeProxy)},
		{"mirror-cache-only.yml", MirrorConfig("https://quay.io", "", "", ModeCacheOnly)},
		{"local.yml", LocalConfig()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.name, b)
			// What the registry itself would read back must be what was meant.
			parsed, err := configuration.Parse(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("distribution cannot parse the generated config: %v", err)
			}
			if parsed.Proxy.RemoteURL != tc.cfg.Proxy.RemoteURL || parsed.HTTP.Debug.Addr != ":5001" || !parsed.HTTP.Debug.Prometheus.Enabled {
				t.Errorf("round trip lost settings: %+v", parsed)
			}
			if tc.cfg.Proxy.RemoteURL != "" && (parsed.Proxy.TTL == nil || *parsed.Proxy.TTL != 0) {
				t.Errorf("proxy ttl = %v, want 0 (no expiry)", parsed.Proxy.TTL)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for reg, want := range map[string]string{
		"docker.io":                 "kdev-mirror-docker-io",
		"registry.example.com:5000": "kdev-mirror-registry-example-com-5000",
		"GHCR.io":                   "kdev-mirror-ghcr-io",
	} {
		m := config.Mirror{Registry: reg, RemoteURL: config.RemoteFor(reg)}
		if got := MirrorName(m); got != want {
			t.Errorf("MirrorName(%q) = %q, want %q", reg, got, want)
		}
		if MirrorName(m) == reg {
			t.Errorf("mirror of %s named after its upstream", reg)
		}
	}
	hub := config.Mirror{Registry: "docker.io", RemoteURL: "https://registry-1.docker.io"}
	if CacheVolume(hub) != "kdev-cache-docker-io" || LocalName("dev") != "dev-registry" {
		t.Error("volume or local registry names changed: existing caches would be orphaned")
	}
}

// TestKey: a mirror's identity is its registry, its upstream and its account, so that two
// upstreams of one registry never share a container or a cache.
func TestKey(t *testing.T) {
	hub := config.Mirror{Registry: "docker.io", RemoteURL: "https://registry-1.docker.io"}
	slash := hub
	slash.RemoteURL += "/"
	corp := config.Mirror{Registry: "docker.io", RemoteURL: "https://hub-proxy.corp.example"}
	corp2 := corp
	authed := hub
	authed.Credentials = &config.Credentials{Username: "me", PasswordEnv: "TOKEN"}
	other := authed
	other.Credentials = &config.Credentials{Username: "you", PasswordFile: "/x"}
	rotated := authed
	rotated.Credentials = &config.Credentials{Username: "me", PasswordFile: "/elsewhere"}

	if Key(hub) != "docker-io" || Key(slash) != "docker-io" {
		t.Errorf("default upstream: key %q (%q with a trailing slash), want docker-io", Key(hub), Key(slash))
	}
	keys := map[string]string{}
	for name, m := range map[string]config.Mirror{"default": hub, "corp": corp, "authed": authed, "other account": other} {
		k := Key(m)
		if prev, dup := keys[k]; dup {
			t.Errorf("%s and %s share key %q", prev, name, k)
		}
		keys[k] = name
		if !strings.HasPrefix(k, "docker-io") || MirrorName(m) != "kdev-mirror-"+k || CacheVolume(m) != "kdev-cache-"+k {
			t.Errorf("%s: key %q, mirror %q, cache %q: want readable names built on the key", name, k, MirrorName(m), CacheVolume(m))
		}
	}
	if Key(corp) != Key(corp2) || Key(authed) != Key(rotated) {
		t.Error("the same upstream and account must give the same key (where the password comes from is not identity)")
	}
	// Keys name caches on users' machines: a change of the hash orphans every cache
	// made before it. These are the values docs/design.md shows.
	if Key(corp) != "docker-io-70c8d4b2" || Key(authed) != "docker-io-a5ee3bbc" {
		t.Errorf("keys %q and %q changed: existing caches would no longer be found", Key(corp), Key(authed))
	}
}

func TestMirrorSpec(t *testing.T) {
	m := config.Mirror{Registry: "ghcr.io", RemoteURL: "https://ghcr.io", Policy: config.PolicyStrict,
		Credentials: &config.Credentials{Username: "me", PasswordEnv: "GHCR_TOKEN"}}
	s, err := MirrorSpec(m, "registry:3", Access{Password: "s3cret"}, ModeProxy)
	if err != nil {
		t.Fatal(err)
	}
	opts := s.createOptions("kdev")
	// An account is part of a mirror's identity: not the anonymous ghcr.io mirror.
	if opts.Name != MirrorName(m) || !strings.HasPrefix(opts.Name, "kdev-mirror-ghcr-io-") || opts.Config.Image != "registry:3" {
		t.Errorf("name %q image %q", opts.Name, opts.Config.Image)
	}
	for k, v := range opts.Config.Labels {
		if strings.Contains(k+v, "s3cret") {
			t.Errorf("label %s=%s carries the password", k, v)
		}
	}
	if len(opts.Config.Env) != 0 || len(opts.Config.Cmd) != 0 {
		t.Errorf("env %v cmd %v: the config must travel as a file only", opts.Config.Env, opts.Config.Cmd)
	}
	if !strings.Contains(string(s.Config), "password: s3cret") {
		t.Error("the password is missing from the registry config file")
	}
	for port, binds := range opts.HostConfig.PortBindings {
		for _, b := range binds {
			if b.HostIP.String() != "127.0.0.1" {
				t.Errorf("port %v published on %v, want 127.0.0.1 only", port, b.HostIP)
			}
		}
	}
	if opts.HostConfig.RestartPolicy.Name != "unless-stopped" {
		t.Errorf("restart policy %q", opts.HostConfig.RestartPolicy.Name)
	}
	if len(opts.HostConfig.Mounts) != 1 || opts.HostConfig.Mounts[0].Source != CacheVolume(m) {
		t.Errorf("mounts %+v, want the shared cache volume", opts.HostConfig.Mounts)
	}
	if s.Labels[docker.LabelMode] != "proxy" || s.Labels[docker.LabelRemote] != "https://ghcr.io" || s.Labels[docker.LabelKey] != Key(m) ||
		s.VolumeLabels[docker.LabelKey] != Key(m) || s.VolumeLabels[docker.LabelRemote] != "https://ghcr.io" {
		t.Errorf("labels %v", s.Labels)
	}

	other, _ := MirrorSpec(m, "registry:3", Access{Password: "rotated"}, ModeProxy)
	cache, _ := MirrorSpec(m, "registry:3", Access{Password: "s3cret"}, ModeCacheOnly)
	same, _ := MirrorSpec(m, "registry:3", Access{Password: "s3cret"}, ModeProxy)
	if s.Hash() == other.Hash() || s.Hash() == cache.Hash() || s.Hash() != same.Hash() {
		t.Error("spec hash must change with the password and the mode, and only then")
	}
}

func TestUpstreamDown(t *testing.T) {
	panicLog := "time=x level=info msg=\"redis not configured\"\n" +
		"panic: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host\n\ngoroutine 1 [running]:\n"
	why, down := upstreamDown(panicLog, "https://registry-1.docker.io")
	if !down || !strings.Contains(why, "no such host") || strings.Contains(why, "goroutine") {
		t.Errorf("4038 panic: got %q, %v", why, down)
	}
	if _, down := upstreamDown("level=info msg=\"listening on [::]:5000\"\npanic: something else\n", "https://x.io"); down {
		t.Error("a registry that was listening is not an unreachable upstream")
	}
	if why, down := upstreamDown("level=info msg=\"configuring endpoint\"\n", "https://x.io"); !down || !strings.Contains(why, "did not answer") {
		t.Errorf("a registry stuck before listening: got %q, %v", why, down)
	}
}

func TestUpstreamDiagnosis(t *testing.T) {
	remote := "https://up.corp:5000"
	for _, tc := range []struct{ err, want string }{
		{`tls: failed to verify certificate: x509: certificate signed by unknown authority`, "set caFile"},
		{`tls: failed to verify certificate: x509: certificate is valid for other.corp, not up.corp`, "for another name"},
		{`tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-01`, "expired"},
		{`proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused`, "the proxy refused"},
		{`dial tcp: lookup up.corp on 127.0.0.11:53: no such host`, "does not resolve"},
		{`dial tcp 10.1.2.3:5000: connect: connection refused`, "connection refused"},
	} {
		log := "level=info msg=\"configuring endpoint\"\npanic: Get \"" + remote + "/v2/\": " + tc.err + "\n\ngoroutine 1 [running]:\n"
		why, down := upstreamDown(log, remote)
		if !down || !strings.Contains(why, tc.want) || !strings.Contains(why, tc.err) {
			t.Errorf("%s: got %q, want it to say %q and quote the error", tc.err, why, tc.want)
		}
	}
}

// TestMirrorSpecAccess: the authorities and the proxy reach the container (the
// authorities as a file beside the config, found through SSL_CERT_DIR with the image's
// own bundle), change its hash, and leave a mirror without them hashed as before.
func TestMirrorSpecAccess(t *testing.T) {
	m := config.Mirror{Registry: "docker.io", RemoteURL: "https://registry-1.docker.io"}
	plain, _ := MirrorSpec(m, "registry:3", Access{}, ModeProxy)
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	env := []string{"HTTPS_PROXY=http://proxy:3128", "https_proxy=http://proxy:3128"}
	full, _ := MirrorSpec(m, "registry:3", Access{CA: ca, Env: env}, ModeProxy)
	if plain.Hash() == full.Hash() || len(plain.createOptions("n").Config.Env) != 0 {
		t.Fatalf("hash %s and %s; plain env %v", plain.Hash(), full.Hash(), plain.createOptions("n").Config.Env)
	}
	got := full.createOptions("n").Config.Env
	for _, want := range append(env, "SSL_CERT_DIR=/etc/kdev/ca:/etc/ssl/certs") {
		if !slices.Contains(got, want) {
			t.Errorf("env %v lacks %s", got, want)
		}
	}
	tarball, err := configTar(full.Config, full.CA)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(tarball)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	if files["etc/kdev/ca/kdev-ca.pem"] != string(ca) || files["etc/distribution/config.yml"] == "" {
		t.Errorf("tarball holds %v", slices.Collect(maps.Keys(files)))
	}
	cacheOnly, _ := MirrorSpec(m, "registry:3", Access{CA: ca, Env: env}, ModeCacheOnly)
	if len(cacheOnly.Env) != 0 {
		t.Errorf("a cache-only mirror fetches nothing, yet has the proxy: %v", cacheOnly.Env)
	}
}
