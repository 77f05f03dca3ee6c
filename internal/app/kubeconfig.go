package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/cluster"
)

func newKubeconfig(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the cluster's kubeconfig (context kind-<name>)",
		Long: `kubeconfig prints the cluster's kubeconfig. up already merges it into
$KUBECONFIG or ~/.kube/config as context kind-<name>, the way kind does.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			k := cluster.New(nil)
			exists, err := k.Exists(cfg.Name)
			if err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("no cluster %q: run kdev up first", cfg.Name)
			}
			kc, err := k.KubeConfig(cfg.Name)
			if err != nil {
				return fmt.Errorf("kubeconfig of cluster %q: %w", cfg.Name, err)
			}
			_, err = fmt.Fprint(g.streams.Out, kc)
			return err
		},
	}
}
