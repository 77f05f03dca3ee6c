// Command kdev brings up a local Kubernetes environment whose image pulls go through
// pull-through registry mirrors, and proves that they do.
package main

import (
	"os"

	"github.com/kdev-dev/kdev/internal/app"
)

func main() { os.Exit(app.Main()) }
