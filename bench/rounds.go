package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// pullScenario reports whether name is a pull scenario (one sample is one fresh
// cluster starting the image set), as opposed to a group of figures (kdev, scale).
func pullScenario(name string) bool {
	_, ok := scenarios[name]
	return ok
}

// rounds runs the pull scenarios in rounds: every round runs each scenario once, in
// the given order, so that drift on a shared machine (another job, the page cache, a
// disk flushing) lands on all of them alike, and their ratios come from one run of the
// harness. Each result has every sample, and its median.
func (b *bench) rounds(ctx context.Context, names []string, runs int) ([]result, error) {
	results := make([]result, len(names))
	for i, n := range names {
		results[i].Name = n
	}
	for round := range runs {
		for i, n := range names {
			d, err := b.sample(ctx, scenarios[n])
			if err != nil {
				return nil, fmt.Errorf("%s run %d: %w", n, round+1, err)
			}
			b.log("%s run %d: %.1fs", n, round+1, d.Seconds())
			results[i].Runs = append(results[i].Runs, d.Seconds())
		}
	}
	for i := range results {
		results[i].Median = median(results[i].Runs)
	}
	return results, nil
}

// sample times one run of a scenario. A warm run needs full caches: when nothing in
// this harness run has filled them yet (warm alone, or first), it fills them first
// with an untimed cold run, and says so, so that a cold pull is never reported as warm.
func (b *bench) sample(ctx context.Context, sc scenario) (time.Duration, error) {
	run := b.runner
	if run == nil {
		run = b.runOnce
	}
	if sc.warm && !b.cachesFull {
		b.log("  %s: the caches are empty: filling them first with a cold run (untimed)", sc.name)
		if _, err := run(ctx, scenarios["cold"]); err != nil {
			return 0, fmt.Errorf("fill the caches: %w", err)
		}
		b.cachesFull = true
	}
	d, err := run(ctx, sc)
	if err != nil {
		return 0, err
	}
	if sc.mirrors {
		b.cachesFull = true
	}
	return d, nil
}

// spread is the smallest and largest of xs.
func spread(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}
