package registry

import (
	"fmt"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"go.yaml.in/yaml/v2"
)

// Mode is how a mirror serves.
type Mode string

const (
	// ModeProxy fetches what is missing from the upstream and caches it.
	ModeProxy Mode = "proxy"
	// ModeCacheOnly serves the cache read-only, for when the upstream cannot be reached
	// at start: distribution's proxy then panics (distribution issue 4038), and a mirror
	// that serves what it has beats one that crash-loops.
	ModeCacheOnly Mode = "cache-only"
)

// baseConfig is what every kdev registry shares: filesystem storage in the data volume,
// the API on :5000, the debug listener with Prometheus metrics on :5001.
func baseConfig() *configuration.Configuration {
	c := &configuration.Configuration{}
	c.Version = configuration.MajorMinorVersion(0, 1)
	c.Log.Level = "info"
	c.Log.Formatter = "text"
	c.Log.Fields = map[string]any{"service": "registry"}
	c.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": dataDir},
		// Deleting is what a cache needs to let an expired or broken blob go.
		"delete": configuration.Parameters{"enabled": true},
	}
	c.HTTP.Addr = ":" + registryPort
	c.HTTP.Debug.Addr = ":" + debugPort
	c.HTTP.Debug.Prometheus.Enabled = true
	c.HTTP.Debug.Prometheus.Path = "/metrics"
	c.HTTP.Headers = map[string][]string{"X-Content-Type-Options": {"nosniff"}}
	return c
}

// MirrorConfig is the registry configuration of a mirror. In proxy mode it fetches from
// remote; a TTL of zero keeps content until it is pruned on purpose, because expiry has
// open bugs upstream (distribution issues 2367, 4957).
func MirrorConfig(remote, username, password string, mode Mode) *configuration.Configuration {
	c := baseConfig()
	switch mode {
	case ModeCacheOnly:
		c.Storage["maintenance"] = configuration.Parameters{
			"readonly":      map[any]any{"enabled": true},
			"uploadpurging": map[any]any{"enabled": false},
		}
	default:
		ttl := time.Duration(0)
		c.Proxy = configuration.Proxy{RemoteURL: remote, Username: username, Password: password, TTL: &ttl}
	}
	return c
}

// LocalConfig is the configuration of an environment's local registry: a plain registry.
func LocalConfig() *configuration.Configuration { return baseConfig() }

// Marshal renders a configuration as the YAML file the registry reads.
func Marshal(c *configuration.Configuration) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("render registry config: %w", err)
	}
	return b, nil
}
