package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// judge sets each scenario's goal ratio from issue 6: warm at least 10x faster than
// direct and at most 1.5x the floor; cold at most 1.10x direct.
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
}

func printTable(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMEDIAN\tRUNS\tGOAL\tRATIO\tMET")
	for _, r := range rs {
		runs := ""
		for _, x := range r.Runs {
			runs += fmt.Sprintf("%.1f ", x)
		}
		met, ratio := "", ""
		if r.GoalMet != nil {
			met, ratio = fmt.Sprint(*r.GoalMet), fmt.Sprintf("%.2f", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%.1fs\t%s\t%s\t%s\t%s\n", r.Name, r.Median, runs, r.Goal, ratio, met)
	}
	_ = tw.Flush()
}
