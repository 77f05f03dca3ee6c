package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	rs := []result{
		{Name: "direct", Median: 60},
		{Name: "cold", Median: 63},
		{Name: "warm", Median: 5},
		{Name: "floor", Median: 4},
		{Name: "bare-create", Median: 20},
		{Name: "kdev-up", Median: 24},
		{Name: "noop-up", Median: 0.45},
		{Name: "status", Median: 0.31},
		{Name: "mirror-rss", Median: 27, Unit: "MiB"},
	}
	judge(rs)
	want := map[string]struct {
		ratio float64
		met   bool
	}{
		"cold":       {1.05, true},
		"warm":       {12, true},
		"floor":      {1.25, true},
		"kdev-up":    {1.2, false},
		"noop-up":    {0.3, true},
		"status":     {0.31 / 0.3, false},
		"mirror-rss": {0.9, true},
	}
	for _, r := range rs {
		w, ok := want[r.Name]
		if !ok {
			if r.GoalMet != nil {
				t.Errorf("%s: judged (%v), want no goal", r.Name, *r.GoalMet)
			}
			continue
		}
		if r.GoalMet == nil || *r.GoalMet != w.met || math.Abs(r.Ratio-w.ratio) > 1e-9 {
			t.Errorf("%s: ratio %v met %v, want %v %v", r.Name, r.Ratio, r.GoalMet, w.ratio, w.met)
		}
	}
}

func TestResultJSONNamesTheUnit(t *testing.T) {
	for _, tc := range []struct {
		r    result
		key  string
		gone string
	}{
		{result{Name: "warm", Median: 7.5, Runs: []float64{7.5}}, `"medianSeconds":7.5`, "medianMiB"},
		{result{Name: "mirror-rss", Unit: "MiB", Median: 27.5, Runs: []float64{27.5}}, `"medianMiB":27.5`, "medianSeconds"},
	} {
		b, err := json.Marshal(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.key) || strings.Contains(string(b), tc.gone) {
			t.Errorf("%s: %s, want %s and no %s", tc.r.Name, b, tc.key, tc.gone)
		}
	}
}

func TestProcKB(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc, which only Linux has")
	}
	kb, err := procKB("/proc/self/status", "VmRSS:")
	if err != nil {
		t.Fatal(err)
	}
	if kb <= 0 {
		t.Fatalf("VmRSS of this test: %d kB", kb)
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/status", []byte("Name: x\nVmRSS:\t   2048 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if kb, err := procKB(dir+"/status", "VmRSS:"); err != nil || kb != 2048 {
		t.Fatalf("got %d, %v; want 2048", kb, err)
	}
	if _, err := procKB(dir+"/status", "Pss:"); err == nil {
		t.Fatal("a missing key must be an error")
	}
}

// TestWarmNeverCold: a warm sample runs on full caches. Alone, or first, it fills them
// with an untimed cold run; after a cold run it does not; interleaved rounds keep the
// order and give each scenario one sample per round.
func TestWarmNeverCold(t *testing.T) {
	for _, tc := range []struct {
		names []string
		runs  int
		want  []string // runs in order; "fill" is the untimed cold run
	}{
		{[]string{"warm"}, 2, []string{"fill", "warm", "warm"}},
		{[]string{"cold", "warm"}, 2, []string{"cold", "warm", "cold", "warm"}},
		{[]string{"direct", "warm", "cold"}, 2, []string{"direct", "fill", "warm", "cold", "direct", "warm", "cold"}},
	} {
		var got []string
		b := &bench{log: func(string, ...any) {}}
		b.runner = func(_ context.Context, sc scenario) (time.Duration, error) {
			if sc.purge {
				b.cachesFull = false // as runOnce's purge does
			}
			got = append(got, sc.name)
			return time.Second, nil
		}
		rs, err := b.rounds(context.Background(), tc.names, tc.runs)
		if err != nil {
			t.Fatal(err)
		}
		// The fill is a cold run that no result counts.
		for i, w := range tc.want {
			if w == "fill" {
				tc.want[i] = "cold"
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%v × %d: ran %v, want %v", tc.names, tc.runs, got, tc.want)
		}
		for _, r := range rs {
			if len(r.Runs) != tc.runs {
				t.Errorf("%v: %s has %d samples, want %d", tc.names, r.Name, len(r.Runs), tc.runs)
			}
		}
	}
}
