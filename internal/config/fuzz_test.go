package config

import (
	"errors"
	"testing"
)

// seeds are real kdev.yaml files: the README's full example, the suites' shapes, and
// the invalid values issue 16 found, so the fuzzer starts from what users write.
var seeds = []string{
	header,
	header + `name: kdev
network:
  name: kdev
  subnet: 172.30.0.0/24
mirrors:
  - registry: docker.io
    remoteURL: https://registry-1.docker.io
    policy: fallback
    canary: docker.io/library/busybox:1.36
    credentials:
      username: me
      passwordEnv: DOCKERHUB_TOKEN
localRegistry:
  enabled: true
  port: 5001
images:
  registry: registry:3
  node: kindest/node:v1.37.0
cluster:
  workers: 0
  kind: {}
`,
	header + "name: e2e\nlocalRegistry:\n  port: 40123\ncluster:\n  workers: 1\nmirrors:\n  - registry: quay.io\n    remoteURL: http://e2e-up-quay-io:5000\n    policy: strict\n    canary: quay.io/kdev/hello:canary\n",
	header + "mirrors: []\nlocalRegistry:\n  enabled: false\n",
	header + "cluster:\n  kind:\n    networking:\n      podSubnet: 10.244.0.0/16\n    containerdConfigPatches:\n      - |\n        [plugins.\"io.containerd.grpc.v1.cri\"]\n          x = 1\n",
	header + "name: \"\"\n",
	header + "cluster:\n  kind:\n    1: true\n",
	header + "localRegistry:\n  port: 5001.0\n",
	header + "mirrors:\n  - registry: a..b\n    remoteURL: http://-h:99999#x\n",
	"? [a]\n: 1\n",
	"a: &x [*x]\n",
}

// FuzzParse: whatever bytes a kdev.yaml holds, Parse returns either a configuration
// that validates or a *config.Error (exit 2, with the file named), and never panics.
// `make fuzz` runs it for a bounded time; a crash it finds is added to seeds above.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Parse("kdev.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %q is not a *config.Error", err, err)
			}
			if ce.File != "kdev.yaml" {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := env.Validate(); err != nil {
			t.Fatalf("Parse accepted a configuration that does not validate: %v", err)
		}
	})
}
