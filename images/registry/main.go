// Command registry is distribution v3's registry with only what kdev's mirrors and local
// registry use: the filesystem (and in-memory) storage drivers and the pull-through
// proxy. distribution's own cmd/registry also links the S3, GCS and Azure drivers and
// the auth backends; their initialisation alone keeps about 25 MiB of the binary
// resident in every mirror. Flags, config file and behaviour are distribution's.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/proxy"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
