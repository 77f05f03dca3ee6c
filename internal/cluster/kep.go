package cluster

import (
	"context"
	"fmt"

	"sigs.k8s.io/yaml"
)

// LocalRegistryHosting is KEP-1755's description of a cluster's local registry, which
// Tilt, Skaffold and friends read to know where to push.
type LocalRegistryHosting struct {
	Host                     string `json:"host"`
	HostFromContainerRuntime string `json:"hostFromContainerRuntime,omitempty"`
	HostFromClusterNetwork   string `json:"hostFromClusterNetwork,omitempty"`
	Help                     string `json:"help,omitempty"`
}

// ConfigMapYAML renders the local-registry-hosting ConfigMap in kube-public.
func ConfigMapYAML(h LocalRegistryHosting) ([]byte, error) {
	inner, err := yaml.Marshal(h)
	if err != nil {
		return nil, err
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "local-registry-hosting", "namespace": "kube-public"},
		"data":       map[string]any{"localRegistryHosting.v1": string(inner)},
	}
	return yaml.Marshal(cm)
}

// ApplyLocalRegistryHosting applies the ConfigMap with the kubectl of a control-plane
// node, so that kdev needs no Kubernetes client of its own.
func ApplyLocalRegistryHosting(ctx context.Context, controlPlane Node, h LocalRegistryHosting) error {
	doc, err := ConfigMapYAML(h)
	if err != nil {
		return err
	}
	if _, err := controlPlane.Kubectl(ctx, string(doc), "apply", "-f", "-"); err != nil {
		return fmt.Errorf("apply the local-registry-hosting ConfigMap: %w", err)
	}
	return nil
}

// Kubectl runs kubectl in a control-plane node with the admin kubeconfig.
func Kubectl(ctx context.Context, controlPlane Node, stdin string, args ...string) (string, error) {
	return controlPlane.Kubectl(ctx, stdin, args...)
}
