package app

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/config"
)

// Version is set at build time with -ldflags "-X github.com/kdev-dev/kdev/internal/app.Version=v1.2.3".
var Version = "dev"

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kdev's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, d := range bi.Deps {
					if d.Path == "sigs.k8s.io/kind" {
						kind = d.Version
					}
				}
			}
			_, err := fmt.Fprintf(g.streams.Out, "kdev %s (kind %s, default node image %s) %s %s/%s\n",
				Version, kind, config.DefaultNodeImage, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
