// Package api holds the documents kdev prints with -o json.
package api

// APIVersion is the version of every document in this package.
const APIVersion = "kdev.dev/v1alpha1"
