package cluster

import (
	"testing"

	kinddefaults "sigs.k8s.io/kind/pkg/apis/config/defaults"

	"github.com/kdev-dev/kdev/internal/config"
)

func TestParseConfigVersion(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       int
		err        bool
	}{
		{"kind's version 2", "# explicitly use v2 config format\nversion = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.10\"\n", 2, false},
		{"native version 3", "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/containerd/certs.d'\n", 3, false},
		{"no version is version 1", "[plugins.cri]\n  sandbox_image = \"x\"\n", 1, false},
		{"a version key inside a table is not the file's", "[plugins.x]\n  version = 3\n", 1, false},
		{"not TOML", "version = = 2", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfigVersion([]byte(tc.file))
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("parseConfigVersion = %d, %v; want %d, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// TestDefaultNodeImageIsKinds: config spells out kind's default node image (config must
// not import kind); a kind upgrade that changes it fails here rather than drifting.
func TestDefaultNodeImageIsKinds(t *testing.T) {
	if config.DefaultNodeImage != kinddefaults.Image {
		t.Fatalf("config.DefaultNodeImage = %q; the kind module's default node image is %q: update internal/config/defaults.go", config.DefaultNodeImage, kinddefaults.Image)
	}
}
