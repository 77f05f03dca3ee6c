package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Proxy is the HTTP(S) proxy the mirrors go through to reach their upstreams.
type Proxy struct {
	HTTP  string `json:"httpProxy,omitempty"`
	HTTPS string `json:"httpsProxy,omitempty"`
	No    string `json:"noProxy,omitempty"`
	// Source says where it was found: "environment", "docker config <path> (<key>)",
	// or "" for none.
	Source string `json:"source,omitempty"`
}

// Set reports whether any proxy is configured.
func (p Proxy) Set() bool { return p.HTTP != "" || p.HTTPS != "" }

// FindProxy returns the proxy kdev hands the mirrors: from its own environment
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, either case) when any is set there, else from
// the Docker client's config.json `proxies`, for the engine at host (the entry keyed
// by its address) or the "default" entry, as the docker CLI hands them to containers.
func FindProxy(getenv func(string) string, host string) (Proxy, error) {
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	p := Proxy{HTTP: env("HTTP_PROXY"), HTTPS: env("HTTPS_PROXY"), No: env("NO_PROXY")}
	if p.Set() {
		p.Source = "environment"
		return p, p.check()
	}
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return Proxy{}, nil
		}
		dir = filepath.Join(home, ".docker")
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Proxy{}, nil
	}
	if err != nil {
		return Proxy{}, fmt.Errorf("read the Docker client's config %s: %w", path, err)
	}
	var cfg struct {
		Proxies map[string]Proxy `json:"proxies"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Proxy{}, fmt.Errorf("read proxies from the Docker client's config %s: %w", path, err)
	}
	for _, key := range []string{host, "default"} {
		if c, ok := cfg.Proxies[key]; ok && key != "" && c.Set() {
			c.Source = fmt.Sprintf("docker config %s (%s)", path, key)
			return c, c.check()
		}
	}
	return Proxy{}, nil
}

func (p Proxy) check() error {
	for name, v := range map[string]string{"HTTP_PROXY": p.HTTP, "HTTPS_PROXY": p.HTTPS} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return fmt.Errorf("%s from %s is %q: want a URL such as http://proxy.example:3128", name, p.Source, Mask(v))
		}
	}
	return nil
}

// Env is the proxy as container environment variables, in both cases (Go reads the
// upper-case ones, other programs the lower-case), with extra hosts added to NO_PROXY:
// the environment's own network and names, which must never go through the proxy.
func (p Proxy) Env(noProxy ...string) []string {
	if !p.Set() {
		return nil
	}
	no := splitList(p.No)
	for _, h := range noProxy {
		if !slices.Contains(no, h) {
			no = append(no, h)
		}
	}
	var out []string
	for _, kv := range [][2]string{{"HTTP_PROXY", p.HTTP}, {"HTTPS_PROXY", p.HTTPS}, {"NO_PROXY", strings.Join(no, ",")}} {
		if kv[1] == "" {
			continue
		}
		out = append(out, kv[0]+"="+kv[1], strings.ToLower(kv[0])+"="+kv[1])
	}
	return out
}

// Masked is the proxy with any password in its URLs replaced, for display.
func (p Proxy) Masked() Proxy {
	p.HTTP, p.HTTPS = Mask(p.HTTP), Mask(p.HTTPS)
	return p
}

// Mask hides the password of a URL's user information.
func Mask(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
