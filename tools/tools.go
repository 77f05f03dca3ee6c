//go:build tools

// Package tools pins the linters the Makefile runs.
package tools

import _ "honnef.co/go/tools/cmd/staticcheck"
