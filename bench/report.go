package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// judge sets each scenario's goal ratio from issue 6: warm at least 10x faster than
// direct and at most 1.5x the floor; cold at most 1.10x direct; `kdev up` at most
// 1.15x bare cluster creation; absolute bounds for a no-op up, status and a mirror's
// memory, judged as measured/bound.
func judge(rs []result) {
	by := map[string]*result{}
	for i := range rs {
		by[rs[i].Name] = &rs[i]
	}
	set := func(r *result, goal string, ratio float64, met bool) {
		r.Goal, r.Ratio, r.GoalMet = goal, ratio, &met
	}
	direct, cold, warm, floor := by["direct"], by["cold"], by["warm"], by["floor"]
	if warm != nil && direct != nil && warm.Median > 0 {
		ratio := direct.Median / warm.Median
		set(warm, "direct/warm >= 10", ratio, ratio >= 10)
	}
	if floor != nil && warm != nil && floor.Median > 0 {
		ratio := warm.Median / floor.Median
		set(floor, "warm/floor <= 1.5", ratio, ratio <= 1.5)
	}
	if cold != nil && direct != nil && direct.Median > 0 {
		ratio := cold.Median / direct.Median
		set(cold, "cold/direct <= 1.10", ratio, ratio <= 1.10)
	}
	if up, bare := by["kdev-up"], by["bare-create"]; up != nil && bare != nil && bare.Median > 0 {
		ratio := up.Median / bare.Median
		set(up, "kdev-up/bare-create <= 1.15", ratio, ratio <= 1.15)
	}
	for name, bound := range map[string]float64{"noop-up": 1.5, "status": 0.3, "mirror-rss": 30} {
		if r := by[name]; r != nil {
			unit := r.Unit
			if unit == "" {
				unit = "s"
			}
			ratio := r.Median / bound
			set(r, fmt.Sprintf("<= %g %s", bound, unit), ratio, ratio <= 1)
		}
	}
}

func printTable(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMEDIAN\tRANGE\tRUNS\tGOAL\tRATIO\tMET")
	for _, r := range rs {
		runs := ""
		for _, x := range r.Runs {
			if x < 1 {
				runs += fmt.Sprintf("%.2f ", x)
			} else {
				runs += fmt.Sprintf("%.1f ", x)
			}
		}
		met, ratio := "", ""
		if r.GoalMet != nil {
			met, ratio = fmt.Sprint(*r.GoalMet), fmt.Sprintf("%.2f", r.Ratio)
		}
		unit, prec := r.Unit, 1
		if unit == "" {
			unit = "s"
		}
		if r.Median < 1 {
			prec = 2
		}
		lo, hi := spread(r.Runs)
		fmt.Fprintf(tw, "%s\t%.*f %s\t%.*f–%.*f\t%s\t%s\t%s\t%s\n", r.Name, prec, r.Median, unit, prec, lo, prec, hi, runs, r.Goal, ratio, met)
	}
	_ = tw.Flush()
}
