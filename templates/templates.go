// Package templates renders the files kdev writes into cluster nodes: containerd's
// per-registry hosts.toml and the config patch that points containerd at them. The
// templates are embedded, and golden files pin their output.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

var parsed = template.Must(template.ParseFS(files, "*.tmpl"))

// CertsDir is where containerd reads hosts.toml files from, one folder per registry host.
const CertsDir = "/etc/containerd/certs.d"

// Hosts is one registry's hosts.toml.
type Hosts struct {
	// Registry is the host nodes pull from: docker.io, or localhost:5001.
	Registry string
	// Mirror is the mirror's URL as nodes reach it: http://kdev-mirror-docker-io:5000.
	Mirror string
	// Server is where containerd goes after the mirror: the upstream under the
	// fallback policy, the mirror itself under strict.
	Server string
	Strict bool
	// CA is the PEM bundle of authorities the registry's mirror trusts beyond the
	// public ones, written beside the hosts.toml as CAFileName for every mirror that has
	// one: the probe from a node trusts what the mirror trusts. containerd is pointed at
	// it only where it talks to an HTTPS upstream itself (ServerCAPath).
	CA string
}

// CAFileName is the name of the authorities' file kdev writes beside a hosts.toml.
const CAFileName = "kdev-ca.pem"

// CAPath is where h's authorities are written in a node, "" when it has none.
func (h Hosts) CAPath() string {
	if h.CA == "" {
		return ""
	}
	return CertsDir + "/" + h.Registry + "/" + CAFileName
}

// ServerCAPath is CAPath where containerd goes to an HTTPS upstream itself (a fallback),
// "" elsewhere: a strict registry's server is its mirror, over plain HTTP.
func (h Hosts) ServerCAPath() string {
	if h.Strict || !strings.HasPrefix(h.Server, "https://") {
		return ""
	}
	return h.CAPath()
}

// HostsTOML renders a hosts.toml.
func HostsTOML(h Hosts) (string, error) {
	return render("hosts.toml.tmpl", h)
}

// ConfigPathPatch renders the containerd config patch that sets config_path, for the
// node's config file version: version 2 files (containerd 1.x, and kind's own base
// image, which containerd 2.x migrates) use the CRI plugin's key; version 3 files
// (containerd 2.x native) use the images plugin's key. A legacy registry.mirrors
// table is never emitted: with config_path set it breaks containerd 2.2.
func ConfigPathPatch(version int) (string, error) {
	return render("config-path.toml.tmpl", struct {
		Version int
		Dir     string
	}{version, CertsDir})
}

func render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := parsed.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}
