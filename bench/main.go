// Command bench measures what kdev's cache buys: the time from `kubectl apply` of one
// Deployment per image until every pod is Ready, on a fresh cluster, pulling straight
// from the upstreams (direct), through empty mirrors (cold), through full mirrors
// (warm), and with the images imported from a local tarball (floor). The upstreams sit
// behind a link shaped like an internet path. Run it with `make bench`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registrytest"
)

// result is one scenario's figures, as written to results.json.
type result struct {
	Name string `json:"name"`
	// Unit is "MiB" for memory; empty means seconds.
	Unit    string    `json:"-"`
	Median  float64   `json:"-"`
	Runs    []float64 `json:"runs"`
	Goal    string    `json:"goal,omitempty"`
	Ratio   float64   `json:"ratio,omitempty"`
	GoalMet *bool     `json:"goalMet,omitempty"`
}

// MarshalJSON names the median by its unit: medianSeconds, or medianMiB.
func (r result) MarshalJSON() ([]byte, error) {
	out := struct {
		Name          string    `json:"name"`
		MedianSeconds *float64  `json:"medianSeconds,omitempty"`
		MedianMiB     *float64  `json:"medianMiB,omitempty"`
		Min           float64   `json:"min"`
		Max           float64   `json:"max"`
		Runs          []float64 `json:"runs"`
		Goal          string    `json:"goal,omitempty"`
		Ratio         float64   `json:"ratio,omitempty"`
		GoalMet       *bool     `json:"goalMet,omitempty"`
	}{Name: r.Name, Runs: r.Runs, Goal: r.Goal, Ratio: r.Ratio, GoalMet: r.GoalMet}
	out.Min, out.Max = spread(r.Runs)
	if r.Unit == "MiB" {
		out.MedianMiB = &r.Median
	} else {
		out.MedianSeconds = &r.Median
	}
	return json.Marshal(out)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	runs := flag.Int("runs", 5, "runs per scenario, in interleaved rounds (min, median and max are reported)")
	scaleRuns := flag.Int("scale-runs", 1, "runs per shape in the scale scenario, which has no goal")
	nImages := flag.Int("images", 6, "images in the set")
	sizeMB := flag.Int("mb", 600, "size of the image set in MB")
	rate := flag.Float64("rate", 100e6, "link rate, bits per second each way")
	rtt := flag.Duration("rtt", 40*time.Millisecond, "link round-trip time")
	only := flag.String("scenarios", "direct,cold,warm,floor,kdev,scale", "scenarios to run: the pull ones (direct, cold, warm, floor) in interleaved rounds, in this order, then the others")
	out := flag.String("out", "bench/out/results.json", "where to write the figures")
	kdevBin := flag.String("kdev", "bin/kdev", "the kdev binary to measure")
	serial := flag.Bool("serial-pulls", false, "make kubelets pull one image at a time (the kubelet's default; kdev's is parallel)")
	nodeVar := flag.String("node", "NODE_IMAGE_CONTAINERD2", "the node image: a variable of bin/images.env (NODE_IMAGE_CONTAINERD2: containerd 2.3.4 as kind ships it, the default; NODE_IMAGE: containerd 1.6)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	api, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	env, err := os.ReadFile("bin/images.env")
	if err != nil {
		return fmt.Errorf("%w: run `make images` first", err)
	}
	b := &bench{api: api, kdev: *kdevBin, line: newLine(*rtt, *rate), serialPulls: *serial,
		log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }}
	for _, line := range strings.Split(string(env), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case *nodeVar:
			b.nodeImage = v
		case "REGISTRY_IMAGE":
			b.regImage = v
		}
	}
	if b.nodeImage == "" {
		return fmt.Errorf("bin/images.env has no %s: run `make images`", *nodeVar)
	}
	b.log("node image %s (%s)", b.nodeImage, *nodeVar)
	if b.dir, err = os.MkdirTemp("", "kdev-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	// Bare kind writes its kubeconfig here, not into the user's.
	if err := os.Setenv("KUBECONFIG", filepath.Join(b.dir, "kubeconfig")); err != nil {
		return err
	}

	setup := time.Now()
	hello, err := registrytest.BuildStatic("e2e/testdata/hello", runtime.GOARCH)
	if err != nil {
		return err
	}
	// Hosts of the bench's own: a run ends with `kdev down --purge`, which must never
	// empty a user's real docker.io cache.
	registries := []string{"docker.bench.test", "k8s.bench.test", "ghcr.bench.test", "quay.bench.test"}
	if b.images, err = imageSet(*nImages, *sizeMB, registries, hello); err != nil {
		return err
	}
	defer func() {
		for _, u := range b.upstreams {
			u.remove(api)
		}
		if err := b.purge(); err != nil {
			b.log("cleanup: %v", err)
		}
	}()
	for _, reg := range registries {
		u, err := startUpstream(ctx, api, b.regImage, reg)
		if u != nil {
			b.upstreams = append(b.upstreams, u)
		}
		if err != nil {
			return err
		}
	}
	for _, im := range b.images {
		u := b.upstreams[slices.Index(registries, im.Registry)]
		if err := registrytest.Push("http://"+u.hostAddr, im.Repo, im.Tag, im.Image); err != nil {
			return fmt.Errorf("seed %s: %w", im.Ref(), err)
		}
	}
	repo, tag, _ := strings.Cut(canaryRepo, ":")
	for _, u := range b.upstreams {
		// Each upstream's canary is its own image, as real canaries are.
		canary, err := assemble([][]byte{tarOf(map[string][]byte{"hello": hello, "upstream": []byte(u.registry)})})
		if err != nil {
			return err
		}
		if err := registrytest.Push("http://"+u.hostAddr, repo, tag, canary); err != nil {
			return fmt.Errorf("seed the canary on %s: %w", u.registry, err)
		}
	}
	var arch bytes.Buffer
	if err := ociArchive(&arch, b.images); err != nil {
		return err
	}
	b.archive = arch.Bytes()
	b.log("image set: %d images, %.0f MB distinct, link %.0f Mbit/s, %v RTT; setup %.0fs",
		len(b.images), float64(totalBytes(b.images))/1e6, *rate/1e6, *rtt, time.Since(setup).Seconds())

	var pulls, groups []string
	for _, name := range strings.Split(*only, ",") {
		switch {
		case pullScenario(name):
			pulls = append(pulls, name)
		case name == "kdev" || name == "scale":
			groups = append(groups, name)
		default:
			return fmt.Errorf("no scenario %q (known: direct, cold, warm, floor, kdev, scale)", name)
		}
	}
	results, err := b.rounds(ctx, pulls, *runs)
	if err != nil {
		return err
	}
	for _, name := range groups {
		group, n := b.kdevFigures, *runs
		if name == "scale" {
			group, n = b.scaling, *scaleRuns
		}
		rs, err := group(ctx, n)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, rs...)
	}
	judge(results)
	printTable(os.Stdout, results)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(data, '\n'), 0o644)
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
