package clusterfake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/templates"
)

// PullViaPod pulls images on the named node as its containerd would: through the
// mirror that the node's hosts.toml for the image's registry names, when that mirror
// answers from the node; else, unless the file makes the mirror the only server, from
// the upstream, with containerd's "trying next host" for the mirror. A pull through a
// mirror counts one manifest and one blob request there: misses the first time the
// mirror sees the image, hits afterwards (it keeps its cache whatever the node does).
func (n *Node) PullViaPod(ctx context.Context, node string, images []string, pod string) ([]cluster.PodPull, error) {
	if err := n.exec(); err != nil {
		return nil, err
	}
	target := n.c.Node(node)
	if target == nil {
		return nil, fmt.Errorf("pod %s: node %q not found", pod, node)
	}
	if err := target.exec(); err != nil {
		return nil, err
	}
	out := make([]cluster.PodPull, len(images))
	for i, img := range images {
		out[i] = cluster.PodPull{Image: img, Duration: time.Millisecond}
		if err := target.pull(img); err != nil {
			out[i].Err = fmt.Errorf("%s could not pull %s: %w", node, img, err)
		}
	}
	return out, nil
}

func (n *Node) pull(img string) error {
	c := n.c
	c.mu.Lock()
	msg, failing := c.pullErrs[img]
	hosts, wired := n.files[path.Join(templates.CertsDir, registryOf(img), "hosts.toml")]
	n.pulls = append(n.pulls, img)
	c.mu.Unlock()
	if failing {
		return errors.New(msg)
	}
	mirrorHost, server := parseHosts(hosts)
	if wired && mirrorHost != "" {
		name, _, _ := strings.Cut(mirrorHost, ":")
		if c.reachable(n.name, name) {
			c.serve(name, img)
			n.have(img)
			return nil
		}
		if server == mirrorHost {
			return fmt.Errorf("failed to resolve reference %q: dial tcp: lookup %s: no such host", img, name)
		}
		c.mu.Lock()
		if n.nextHost == nil {
			n.nextHost = map[string]time.Time{}
		}
		n.nextHost[mirrorHost] = time.Now()
		c.mu.Unlock()
	}
	n.have(img)
	return nil
}

func (n *Node) have(img string) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.images[img] = true
}

// serve counts a pull of img at the named mirror and publishes its counters.
func (c *Clusters) serve(name, img string) {
	c.mu.Lock()
	m := c.mirrors[name]
	if m == nil {
		m = &mirror{cached: map[string]bool{}}
		c.mirrors[name] = m
	}
	m.m.Requests.Manifest++
	m.m.Requests.Blob++
	if m.cached[img] {
		m.m.Hits.Manifest++
		m.m.Hits.Blob++
	} else {
		m.m.Misses.Manifest++
		m.m.Misses.Blob++
		m.cached[img] = true
	}
	metrics := m.m
	c.mu.Unlock()
	c.docker.SetMetrics(name, metrics)
}

// registryOf is the registry host of an image reference, as containerd reads it.
func registryOf(ref string) string {
	host, _, ok := strings.Cut(ref, "/")
	if !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return "docker.io"
	}
	return host
}

// parseHosts returns the first [host."..."] of a hosts.toml (host:port) and its
// server (host:port), enough to follow kdev's own files.
func parseHosts(toml string) (mirror, server string) {
	for _, line := range strings.Split(toml, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, `[host."`); ok && mirror == "" {
			mirror = hostPort(strings.TrimSuffix(rest, `"]`))
		}
		if rest, ok := strings.CutPrefix(line, "server = "); ok {
			server = hostPort(strings.Trim(rest, `"`))
		}
	}
	return mirror, server
}

func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
