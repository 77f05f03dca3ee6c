//go:build tools

// Package registry pins distribution's cmd/registry so that `go build` can find it.
package registry

import _ "github.com/distribution/distribution/v3/cmd/registry"
