package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registry"
)

const (
	// maxMirrors is the most mirrors a run asks for (the scaling runs).
	maxMirrors = 8
	// canaryRepo is a one-layer image on every upstream, the mirrors' canary.
	canaryRepo = "bench/canary:v1"
	bareName   = "kbench-bare"
	// samples is how many times a quick command is timed in each run.
	samples = 5
)

// kdevFigures measures kdev itself, each run on a fresh cluster of one node with four
// mirrors: `kdev up` against bare cluster creation with the same node image (kind's own
// library, waiting for the node to be Ready as `kdev up` does), then `kdev check`, a
// no-op `kdev up`, `kdev status` and the resident memory of the idle mirrors.
func (b *bench) kdevFigures(ctx context.Context, runs int) ([]result, error) {
	names := []string{"bare-create", "kdev-up", "kdev-check", "noop-up", "status", "mirror-rss", "mirror-pss"}
	rs := map[string]*result{}
	for _, n := range names {
		rs[n] = &result{Name: n}
	}
	add := func(name string, d time.Duration) { rs[name].Runs = append(rs[name].Runs, d.Seconds()) }
	for i := range runs {
		bare, err := b.bareCreate(ctx)
		if err != nil {
			return nil, err
		}
		add("bare-create", bare)
		err = b.withEnv(ctx, shape{mirrors: len(b.upstreams), canary: true}, true, func() error {
			up, err := b.run("up", "-q", "--verify=false")
			if err != nil {
				return err
			}
			add("kdev-up", up)
			chk, err := b.run("check")
			if err != nil {
				return err
			}
			add("kdev-check", chk)
			for range samples {
				d, err := b.run("up", "-q")
				if err != nil {
					return err
				}
				add("noop-up", d)
			}
			for range samples {
				d, err := b.run("status")
				if err != nil {
					return err
				}
				add("status", d)
			}
			mem, err := mirrorMemory(ctx, b.api)
			if err != nil {
				return err
			}
			for _, m := range mem {
				rs["mirror-rss"].Runs = append(rs["mirror-rss"].Runs, m.rss)
				rs["mirror-pss"].Runs = append(rs["mirror-pss"].Runs, m.pss)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		b.log("kdev run %d: bare %.1fs, up %.1fs, check %.1fs", i+1, bare.Seconds(),
			rs["kdev-up"].Runs[i], rs["kdev-check"].Runs[i])
	}
	var out []result
	for _, n := range names {
		r := rs[n]
		r.Median = median(r.Runs)
		if strings.HasPrefix(n, "mirror-") {
			r.Unit = "MiB"
		}
		out = append(out, *r)
	}
	return out, nil
}

// scaling measures a fresh `kdev up` (without the check) as the mirrors and nodes grow.
// Four mirrors on one node is kdev-up, measured by kdevFigures.
func (b *bench) scaling(ctx context.Context, runs int) ([]result, error) {
	shapes := []struct {
		name string
		sh   shape
	}{
		{"up-1-mirror", shape{mirrors: 1}},
		{"up-8-mirrors", shape{mirrors: 8}},
		{"up-2-nodes", shape{mirrors: 4, workers: 1}},
		{"up-3-nodes", shape{mirrors: 4, workers: 2}},
	}
	var out []result
	for _, s := range shapes {
		r := result{Name: s.name}
		for range runs {
			err := b.withEnv(ctx, s.sh, true, func() error {
				d, err := b.run("up", "-q", "--verify=false")
				r.Runs = append(r.Runs, d.Seconds())
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
		r.Median = median(r.Runs)
		b.log("%s: %.1fs", s.name, r.Median)
		out = append(out, r)
	}
	return out, nil
}

// withEnv runs f with the links open and kdev.yaml written for sh, after emptying the
// caches when purge is set (so that `up` creates its mirrors), and takes the
// environment down afterwards, whatever f did.
func (b *bench) withEnv(ctx context.Context, sh shape, purge bool, f func() error) error {
	if purge {
		if err := b.purge(); err != nil {
			return err
		}
	}
	urls, err := b.openLinks(ctx)
	defer b.closeLinks()
	if err != nil {
		return err
	}
	if err := b.writeConfig(urls, sh); err != nil {
		return err
	}
	defer func() {
		if _, err := b.run("down", "-q"); err != nil {
			b.log("  down: %v", err)
		}
	}()
	return f()
}

// bareCreate times what a user without kdev runs: a kind cluster of one node from the
// same node image, on its own network, waiting for the node to be Ready. It deletes
// the cluster and the network afterwards.
func (b *bench) bareCreate(ctx context.Context) (time.Duration, error) {
	k := cluster.New(nil)
	defer func() {
		_ = k.Delete(bareName)
		_, _ = b.api.NetworkRemove(context.Background(), bareName, client.NetworkRemoveOptions{})
	}()
	start := time.Now()
	err := k.Create(ctx, cluster.CreateOptions{Name: bareName, Network: bareName, NodeImage: b.nodeImage,
		KindConfig: []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"), Wait: 5 * time.Minute})
	return time.Since(start), err
}

// memory is one process's resident memory, in MiB: all of it (RSS), and its
// proportional share (PSS), which divides pages shared with other processes (the same
// binary in every mirror) among them.
type memory struct{ rss, pss float64 }

// mirrorMemory measures every running kdev mirror's registry process, read from /proc
// on this machine (Linux, the engine local).
func mirrorMemory(ctx context.Context, api docker.API) ([]memory, error) {
	ms, err := registry.Mirrors(ctx, api)
	if err != nil {
		return nil, err
	}
	var out []memory
	for _, m := range ms {
		ins, err := api.ContainerInspect(ctx, m.ID, client.ContainerInspectOptions{})
		if err != nil {
			return nil, err
		}
		st := ins.Container.State
		if st == nil || st.Pid == 0 {
			continue
		}
		rss, err := procKB(fmt.Sprintf("/proc/%d/status", st.Pid), "VmRSS:")
		if err != nil {
			return nil, fmt.Errorf("memory of %s: %w (the bench reads /proc: run it on the engine's machine)", m.Name, err)
		}
		pss, err := procKB(fmt.Sprintf("/proc/%d/smaps_rollup", st.Pid), "Pss:")
		if err != nil {
			return nil, fmt.Errorf("memory of %s: %w", m.Name, err)
		}
		out = append(out, memory{float64(rss) / 1024, float64(pss) / 1024})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no running mirror to measure")
	}
	return out, nil
}

// procKB reads a "Key:   123 kB" line of a /proc file.
func procKB(path, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", key, path)
}
