package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
)

// scenario is one way of getting the image set into a fresh cluster.
type scenario struct {
	name string
	// mirrors says whether the cluster pulls through kdev's mirrors.
	mirrors bool
	// purge empties the caches before the run (cold).
	purge bool
	// warm needs the caches full before the run.
	warm bool
	// prepare runs after the cluster is up and before the Deployments are applied; its
	// time counts (floor: importing the tarball is how the images get in).
	prepare func(ctx context.Context, b *bench, urls map[string]string) error
}

var scenarios = map[string]scenario{
	"direct": {name: "direct", prepare: wireDirect},
	"cold":   {name: "cold", mirrors: true, purge: true},
	"warm":   {name: "warm", mirrors: true, warm: true},
	"floor":  {name: "floor", prepare: importArchive},
}

// runOnce brings a fresh cluster up for the scenario and times the Deployments.
func (b *bench) runOnce(ctx context.Context, sc scenario) (time.Duration, error) {
	if sc.purge {
		b.cachesFull = false
		if err := b.purge(); err != nil {
			return 0, err
		}
	}
	urls, err := b.openLinks(ctx)
	defer b.closeLinks()
	if err != nil {
		return 0, err
	}
	sh := shape{}
	if sc.mirrors {
		sh.mirrors = len(b.upstreams)
	}
	if err := b.writeConfig(urls, sh); err != nil {
		return 0, err
	}
	up, err := b.run("up", "-q", "--verify=false")
	if err != nil {
		return 0, err
	}
	b.log("  %s: kdev up %.1fs", sc.name, up.Seconds())
	defer func() {
		if _, err := b.run("down", "-q"); err != nil {
			b.log("  down: %v", err)
		}
	}()
	cp, err := b.controlPlane(ctx)
	if err != nil {
		return 0, err
	}
	// Each run starts on a quiet disk: the previous run's writes (a cache filled, a node
	// deleted) must not be flushed during this one.
	quiesce()
	start := time.Now()
	if sc.prepare != nil {
		if err := sc.prepare(ctx, b, urls); err != nil {
			return 0, err
		}
	}
	prep := time.Since(start)
	d, err := deployAndWait(ctx, cp, b.images)
	if err == nil {
		b.log("  %s: %s", sc.name, pullTimes(ctx, cp))
	}
	return prep + d, err
}

// pullTimes sums the kubelet's own pull times ("Successfully pulled image "x" in 1.2s
// (3.4s including waiting)"), to tell the pulls from the rest of a run.
func pullTimes(ctx context.Context, cp cluster.Node) string {
	out, err := cluster.Kubectl(ctx, cp, "", "get", "events", "-A", "--field-selector", "reason=Pulled",
		"-o", `jsonpath={range .items[*]}{.message}{"\n"}{end}`)
	if err != nil {
		return "no pull events: " + err.Error()
	}
	var n int
	var sum, longest, waiting time.Duration
	for _, line := range strings.Split(out, "\n") {
		p, ok := cluster.ParsePulled(line)
		if !ok {
			continue
		}
		n++
		sum += p.Took
		longest = max(longest, p.Took)
		waiting = max(waiting, p.WithWaiting)
	}
	return fmt.Sprintf("kubelet: %d pulls, %.1fs in all, longest %.1fs, longest with its wait in the queue %.1fs", n, sum.Seconds(), longest.Seconds(), waiting.Seconds())
}

// wireDirect points every node's containerd straight at the links, as plain kind with
// a registry config does: no mirror in between.
func wireDirect(ctx context.Context, b *bench, urls map[string]string) error {
	obs, err := cluster.New(nil).Observe(ctx, b.api, envName)
	if err != nil {
		return err
	}
	for _, n := range obs.NodeList() {
		for _, u := range b.upstreams {
			toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", urls[u.registry], urls[u.registry])
			path := "/etc/containerd/certs.d/" + u.registry + "/hosts.toml"
			if err := n.WriteFile(ctx, path, toml); err != nil {
				return err
			}
		}
	}
	return nil
}

// importArchive loads the image set into every node from a local tarball: no network.
func importArchive(ctx context.Context, b *bench, _ map[string]string) error {
	obs, err := cluster.New(nil).Observe(ctx, b.api, envName)
	if err != nil {
		return err
	}
	for _, n := range obs.NodeList() {
		if err := cluster.LoadImageArchive(n, bytes.NewReader(b.archive)); err != nil {
			return fmt.Errorf("import into %s: %w", n.Name(), err)
		}
	}
	return nil
}

// quiesce flushes dirty pages to disk, and waits for the flush to finish.
func quiesce() {
	syscall.Sync()
	for range 50 {
		if dirtyKB() < 1024 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dirtyKB is how much written data the kernel has yet to put on disk.
func dirtyKB() int64 {
	var total int64
	for _, key := range []string{"Dirty:", "Writeback:"} {
		kb, err := procKB("/proc/meminfo", key)
		if err != nil {
			return 0
		}
		total += kb
	}
	return total
}
