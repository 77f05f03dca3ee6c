// Package cluster is kdev's only door to kind: it generates the kind configuration,
// creates and deletes clusters through kind's Go library, and wires every node's
// containerd to the mirrors.
package cluster

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/templates"
)

const (
	kindAPIVersion = "kind.x-k8s.io/v1alpha4"
	kindKind       = "Cluster"
)

// KindConfig renders the kind v1alpha4 Cluster for an environment: one control plane,
// the configured workers, and the containerd patch that sets config_path for the node
// image's containerd config version. The raw fields of cluster.kind are merged in; they
// win, except where they contradict the wiring, which is an error naming the field.
func KindConfig(c config.Cluster, containerdVersion int) ([]byte, error) {
	patch, err := templates.ConfigPathPatch(containerdVersion)
	if err != nil {
		return nil, err
	}
	nodes := []any{map[string]any{"role": "control-plane"}}
	for range c.Workers {
		nodes = append(nodes, map[string]any{"role": "worker"})
	}
	out := map[string]any{
		"apiVersion":              kindAPIVersion,
		"kind":                    kindKind,
		"nodes":                   nodes,
		"containerdConfigPatches": []any{patch},
		"kubeadmConfigPatches":    []any{kubeletPatch(c.ParallelImagePulls)},
	}
	keys := make([]string, 0, len(c.Kind))
	for k := range c.Kind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := merge(out, k, c.Kind[k], c.Workers); err != nil {
			return nil, err
		}
	}
	b, err := yaml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("render kind config: %w", err)
	}
	// kind decodes its config strictly only when it creates the cluster, after the
	// network and mirrors exist: decode it here, the same way, so a mistake in
	// cluster.kind is caught before anything is made.
	var parsed v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(b, &parsed); err != nil {
		return nil, &config.Error{Field: "cluster.kind", Msg: "kind rejects it: " + strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: ")}
	}
	return b, nil
}

// ValidateKind checks the kind part of a configuration without Docker: what KindConfig
// would reject at cluster creation, it rejects now.
func ValidateKind(c config.Cluster) error {
	_, err := KindConfig(c, 2)
	return err
}

// kubeletPatch is the kubeadm patch that sets every kubelet's image pull parallelism.
// kubeadm hands the KubeletConfiguration of the first control plane to every joining
// node, so one cluster-wide patch reaches all nodes. Since kubelet 1.27.
func kubeletPatch(parallel int) string {
	if parallel <= 1 {
		return "kind: KubeletConfiguration\nserializeImagePulls: true\n"
	}
	return fmt.Sprintf("kind: KubeletConfiguration\nserializeImagePulls: false\nmaxParallelImagePulls: %d\n", parallel)
}

func merge(out map[string]any, key string, v any, workers int) error {
	field := "cluster.kind." + key
	bad := func(format string, args ...any) error {
		return &config.Error{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch key {
	case "apiVersion", "kind":
		if v != out[key] {
			return bad("is %v; kdev generates %v", v, out[key])
		}
	case "name":
		return bad("the cluster is named after the environment: set name at the top of kdev.yaml instead")
	case "nodes":
		list, ok := v.([]any)
		if !ok {
			return bad("must be a list of nodes")
		}
		if workers > 0 {
			return bad("set either cluster.workers or cluster.kind.nodes, not both")
		}
		out[key] = list
	case "containerdConfigPatches":
		list, ok := v.([]any)
		if !ok {
			return bad("must be a list of TOML strings")
		}
		for i, p := range list {
			s, _ := p.(string)
			if strings.Contains(s, "registry.mirrors") || strings.Contains(s, "config_path") ||
				strings.Contains(s, ".registry]") {
				return &config.Error{Field: fmt.Sprintf("%s[%d]", field, i), Msg: "configures containerd's registries, which kdev wires itself (config_path and one hosts.toml per mirror); legacy registry.mirrors tables also break containerd 2.2: remove this patch"}
			}
		}
		out[key] = append(out[key].([]any), list...)
	case "kubeadmConfigPatches":
		list, ok := v.([]any)
		if !ok {
			return bad("must be a list of kubeadm patches (YAML strings)")
		}
		// After kdev's: a user's KubeletConfiguration patch wins over kdev's pulls.
		out[key] = append(out[key].([]any), list...)
	default:
		out[key] = v
	}
	return nil
}
