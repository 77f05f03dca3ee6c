package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// nameRE is what Docker and kind accept in the names kdev derives from the environment's.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// labelRE is one DNS label of a host name.
var labelRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// checkName accepts an environment or network name. "--" is refused because names
// derived from it join parts with "-" (kdev-mirror-<slug>, <env>-registry), and a
// doubled one makes two different names look alike.
func checkName(n string) error {
	if !nameRE.MatchString(n) || strings.Contains(n, "--") {
		return fmt.Errorf("%q is not a valid name: use 1 to 32 lowercase letters, digits and single '-', starting and ending with a letter or digit", n)
	}
	return nil
}

// checkHost accepts a registry host as nodes write it: DNS labels and an optional
// port in range (docker.io, registry.example.com:5000, localhost:5001).
func checkHost(h string) error {
	name, port, hasPort := strings.Cut(h, ":")
	bad := fmt.Errorf("%q is not a registry host name (such as docker.io or registry.example.com:5000)", h)
	if len(name) > 253 {
		return bad
	}
	for _, l := range strings.Split(name, ".") {
		if !labelRE.MatchString(l) {
			return bad
		}
	}
	if hasPort {
		if err := checkPort(port); err != nil {
			return fmt.Errorf("%q: %v", h, err)
		}
	}
	return nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
		return fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return nil
}

// Validate checks the effective configuration (defaults already applied). The first
// problem found is returned as an *Error naming its field.
func (e *Environment) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if e.APIVersion != APIVersion {
		return bad("apiVersion", "is %q; kdev reads %q", e.APIVersion, APIVersion)
	}
	if e.Kind != Kind {
		return bad("kind", "is %q; must be %q", e.Kind, Kind)
	}
	if err := checkName(e.Name); err != nil {
		return bad("name", "%v", err)
	}
	if err := checkName(e.Network.Name); err != nil {
		return bad("network.name", "%v", err)
	}
	if e.Network.Subnet != "" {
		if err := checkSubnet(e.Network.Subnet); err != nil {
			return bad("network.subnet", "%v", err)
		}
	}
	seen := map[string]int{}
	for i, m := range e.Mirrors {
		f := fmt.Sprintf("mirrors[%d]", i)
		if m.Registry == "" {
			return bad(f+".registry", "is required (the host name nodes pull from, such as docker.io)")
		}
		if err := checkHost(m.Registry); err != nil {
			return bad(f+".registry", "%v", err)
		}
		if j, dup := seen[m.Registry]; dup {
			return bad(f+".registry", "%q is already mirrored by mirrors[%d]", m.Registry, j)
		}
		seen[m.Registry] = i
		if err := checkRemote(m.RemoteURL); err != nil {
			return bad(f+".remoteURL", "%v", err)
		}
		if m.Canary != "" && !strings.HasPrefix(m.Canary, m.Registry+"/") {
			return bad(f+".canary", "%q must be an image on %s, written in full (%s/repository:tag), so that its pull goes through this mirror", m.Canary, m.Registry, m.Registry)
		}
		if m.Policy != PolicyFallback && m.Policy != PolicyStrict {
			return bad(f+".policy", "is %q; use %q or %q", m.Policy, PolicyFallback, PolicyStrict)
		}
		if c := m.Credentials; c != nil {
			if c.Username == "" {
				return bad(f+".credentials.username", "is required when credentials are given")
			}
			if (c.PasswordFile == "") == (c.PasswordEnv == "") {
				return bad(f+".credentials", "give exactly one of passwordFile and passwordEnv")
			}
		}
		if m.CAFile != "" && strings.TrimSpace(m.CAFile) == "" {
			return bad(f+".caFile", "is blank: give the path of a PEM file, or leave the key out")
		}
	}
	if p := e.LocalRegistry.Port; p < 1 || p > 65535 {
		return bad("localRegistry.port", "%d is out of range 1-65535", p)
	}
	if e.Cluster.Workers < 0 || e.Cluster.Workers > 10 {
		return bad("cluster.workers", "%d is out of range 0-10", e.Cluster.Workers)
	}
	if p := e.Cluster.ParallelImagePulls; p < 1 || p > 32 {
		return bad("cluster.parallelImagePulls", "%d is out of range 1-32 (1 pulls one image at a time)", p)
	}
	if err := checkProbeTimeout(e.UpstreamProbeTimeout); err != nil {
		return bad("upstreamProbeTimeout", "%v", err)
	}
	for i, f := range e.CAFiles {
		if strings.TrimSpace(f) == "" {
			return bad(fmt.Sprintf("caFiles[%d]", i), "is blank: give the path of a PEM file")
		}
	}
	if c := e.Caches; c != nil && c.MaxSize != "" {
		if _, err := ParseSize(c.MaxSize); err != nil {
			return bad("caches.maxSize", "%v", err)
		}
	}
	return nil
}

// checkProbeTimeout accepts a positive Go duration up to MaxProbeTimeout.
func checkProbeTimeout(v string) error {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a duration: write a number with its unit, such as 10s or 1m", v)
	case d <= 0:
		return fmt.Errorf("%s must be positive", v)
	case d > MaxProbeTimeout:
		return fmt.Errorf("%s is longer than %s: up waits this long for an upstream that does not answer", v, MaxProbeTimeout)
	}
	return nil
}

// checkRemote accepts an http(s) URL of a registry's root, with no path or query.
func checkRemote(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q must start with https:// or http://", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q must be a registry's root, with no path, query, fragment or user (distribution proxies one registry root)", raw)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil || !ip.IsValid() {
		if err := checkHost(host); err != nil {
			return fmt.Errorf("%q: the host is not a valid name", raw)
		}
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if err := checkPort(p); err != nil {
			return fmt.Errorf("%q: %v", raw, err)
		}
	}
	return nil
}

// checkSubnet accepts a private IPv4 prefix between /8 and /28.
func checkSubnet(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("%q is not a CIDR such as 172.30.0.0/24", s)
	}
	if !p.Addr().Is4() {
		return fmt.Errorf("%q: only IPv4 subnets are supported", s)
	}
	if p.Masked() != p {
		return fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
	}
	if !isPrivate(p) {
		return fmt.Errorf("%q is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", s)
	}
	if p.Bits() < 8 || p.Bits() > 28 {
		return fmt.Errorf("%q: the prefix length must be between /8 and /28", s)
	}
	return nil
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// isPrivate reports whether the whole of p lies inside one RFC 1918 range.
func isPrivate(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
