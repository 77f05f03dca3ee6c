package cluster

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/golden"
)

func TestKindConfigGolden(t *testing.T) {
	tests := []struct {
		file    string
		cluster config.Cluster
		version int
	}{
		{"kind-default.yaml", config.Cluster{ParallelImagePulls: config.DefaultParallelImagePulls}, 2},
		{"kind-workers-v3.yaml", config.Cluster{Workers: 2, ParallelImagePulls: 1}, 3},
		{"kind-user-fields.yaml", config.Cluster{ParallelImagePulls: 3, Kind: map[string]any{
			"kubeadmConfigPatches":    []any{"kind: KubeletConfiguration\nimageGCHighThresholdPercent: 90\n"},
			"networking":              map[string]any{"apiServerPort": 6443},
			"featureGates":            map[string]any{"InPlacePodVerticalScaling": true},
			"containerdConfigPatches": []any{"[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  discard_unpacked_layers = false\n"},
			"nodes": []any{
				map[string]any{"role": "control-plane", "extraPortMappings": []any{map[string]any{"containerPort": 80, "hostPort": 8080}}},
				map[string]any{"role": "worker"},
			},
		}}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := KindConfig(tc.cluster, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, got)
			var c v1alpha4.Cluster
			if err := yaml.UnmarshalStrict(got, &c); err != nil {
				t.Fatalf("kind would not read it: %v", err)
			}
			if len(c.ContainerdConfigPatches) == 0 || !strings.Contains(c.ContainerdConfigPatches[0], "config_path") {
				t.Errorf("first patch is not kdev's config_path: %v", c.ContainerdConfigPatches)
			}
		})
	}
}

func TestKindConfigContradictions(t *testing.T) {
	tests := []struct {
		name  string
		c     config.Cluster
		field string
	}{
		{"name", config.Cluster{Kind: map[string]any{"name": "other"}}, "cluster.kind.name"},
		{"wrong apiVersion", config.Cluster{Kind: map[string]any{"apiVersion": "kind.x-k8s.io/v1alpha3"}}, "cluster.kind.apiVersion"},
		{"workers and nodes", config.Cluster{Workers: 1, Kind: map[string]any{"nodes": []any{map[string]any{"role": "control-plane"}}}}, "cluster.kind.nodes"},
		{"legacy mirrors", config.Cluster{Kind: map[string]any{"containerdConfigPatches": []any{
			"[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"http://x:5000\"]\n"}}}, "cluster.kind.containerdConfigPatches[0]"},
		{"own config_path", config.Cluster{Kind: map[string]any{"containerdConfigPatches": []any{
			"[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/other\"\n"}}}, "cluster.kind.containerdConfigPatches[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := KindConfig(tc.c, 2)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("got %v, want a config error on %s", err, tc.field)
			}
		})
	}
}

// TestValidateKind: what kind would refuse at cluster creation is refused before
// anything is made, as a configuration error naming cluster.kind.
func TestValidateKind(t *testing.T) {
	for name, kind := range map[string]map[string]any{
		"an unknown field":        {"nodez": []any{}},
		"a wrong type":            {"networking": map[string]any{"apiServerPort": "six"}},
		"an unknown nested field": {"networking": map[string]any{"podSubnett": "10.0.0.0/16"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := ValidateKind(config.Cluster{Kind: kind})
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Field != "cluster.kind" || !strings.Contains(err.Error(), "kind rejects it") {
				t.Fatalf("ValidateKind = %v; want a config error on cluster.kind", err)
			}
		})
	}
	if err := ValidateKind(config.Cluster{Workers: 2, Kind: map[string]any{"networking": map[string]any{"apiServerPort": 6443}}}); err != nil {
		t.Fatalf("a valid kind part: %v", err)
	}
}

// TestKindConfigPulls reads the pull settings back as kubeadm hands them to the
// kubelet: the patch kdev writes, then any of the user's that come after it.
func TestKindConfigPulls(t *testing.T) {
	for _, tc := range []struct {
		parallel  int
		serialize string
		max       string
	}{
		{5, "serializeImagePulls: false", "maxParallelImagePulls: 5"},
		{1, "serializeImagePulls: true", ""},
	} {
		got, err := KindConfig(config.Cluster{ParallelImagePulls: tc.parallel}, 2)
		if err != nil {
			t.Fatal(err)
		}
		var c v1alpha4.Cluster
		if err := yaml.UnmarshalStrict(got, &c); err != nil {
			t.Fatal(err)
		}
		if len(c.KubeadmConfigPatches) != 1 {
			t.Fatalf("parallel %d: %d kubeadm patches, want 1", tc.parallel, len(c.KubeadmConfigPatches))
		}
		p := c.KubeadmConfigPatches[0]
		hasMax := strings.Contains(p, "maxParallelImagePulls")
		if !strings.Contains(p, "kind: KubeletConfiguration") || !strings.Contains(p, tc.serialize) || !strings.Contains(p, tc.max) || hasMax != (tc.max != "") {
			t.Errorf("parallel %d: patch %q, want %q and %q", tc.parallel, p, tc.serialize, tc.max)
		}
	}
}
