package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of issue 6.
const (
	targetThroughput   = 1000.0 // signups/s, scenario 2
	targetBaseline     = 0.5    // of the baseline, scenario 2
	targetConcurrency  = 0.9    // of ideal at 256 in flight, scenario 3
	targetRSS          = 150.0  // MB peak, scenario 3
	targetRateLimit    = 0.9    // of the limit, scenario 4
	target429          = 0.01   // of Okta calls, scenario 4
	targetAddedP99     = 5.0    // ms at 100 signups/s
	summaryConcurrency = 256
)

type report struct {
	r     map[string]result
	order []string
}

func newReport(r map[string]result, order []string) *report {
	return &report{r: r, order: order}
}

// get returns a scenario's result; ok is false when it did not run.
func (rp *report) get(name string) (result, bool) {
	r, ok := rp.r[name]
	return r, ok
}

func (rp *report) print(w io.Writer, took time.Duration) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Measurements")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tin flight\tsync\tresults\tfailed\tsignups/s\tvs ref\tadded p50 ms\t"+
		"added p99 ms\tokta ms/signup\t429s\tcores\twriter busy\tgroup\tpeak RSS MB\t")
	for _, name := range rp.order {
		r := rp.r[name]
		ref := "-"
		switch {
		case r.Ideal > 0:
			ref = fmt.Sprintf("%.2f ideal", r.PerSec/r.Ideal)
		case r.LimitPerSec > 0:
			ref = fmt.Sprintf("%.2f limit", r.RatePerSec/r.LimitPerSec)
		case strings.HasPrefix(name, "worker"):
			if b, ok := rp.get("baseline"); ok && b.PerSec > 0 {
				ref = fmt.Sprintf("%.2f base", r.PerSec/b.PerSec)
			}
		}
		added := func(v float64) string {
			if !r.Tracked {
				return "-"
			}
			return fmt.Sprintf("%.2f", v)
		}
		busy, group := "-", "-"
		if r.GroupSize > 0 {
			busy, group = fmt.Sprintf("%.0f%%", 100*r.WriterBusy), fmt.Sprintf("%.1f", r.GroupSize)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%.2f\t%s\t%s\t%.0f\t\n",
			name, r.Concurrency, dash(r.Sync), r.Done, r.Failed, r.PerSec, ref,
			added(r.AddedP50), added(r.AddedP99), added(r.OktaMean), r.Status429, r.Cores, busy, group,
			r.PeakRSSMB)
	}
	tw.Flush()
	for _, name := range rp.order {
		if n := rp.r[name].Note; n != "" {
			fmt.Fprintf(w, "  %s: %s\n", name, n)
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, t := range rp.targets() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.name, t.want, t.got, t.verdict())
	}
	tw.Flush()

	rp.notes(w)

	fmt.Fprintln(w)
	rp.chart(w)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "bench took %.0fs\n", took.Seconds())
	fmt.Fprintln(w, rp.summary())
}

type target struct {
	name, want, got string
	met             bool
	missing         bool
	why             string // printed when missed
}

func (t target) verdict() string {
	switch {
	case t.missing:
		return "NOT RUN"
	case t.met:
		return "met"
	}
	return "MISSED"
}

func (rp *report) targets() []target {
	var out []target
	w, okW := rp.get("worker-full")
	b, okB := rp.get("baseline")
	out = append(out, target{name: "(2) worker throughput, FULL", want: ">= 1000/s",
		got: fmt.Sprintf("%.0f/s", w.PerSec), met: w.PerSec >= targetThroughput, missing: !okW,
		why: whyThroughput})
	ratio := safeDiv(w.PerSec, b.PerSec)
	out = append(out, target{name: "(2) worker / baseline", want: ">= 0.50",
		got: fmt.Sprintf("%.2f", ratio), met: ratio >= targetBaseline, missing: !okW || !okB,
		why: whyThroughput})
	l, okL := rp.get(fmt.Sprintf("latency-%d", summaryConcurrency))
	eff := safeDiv(l.PerSec, l.Ideal)
	out = append(out, target{name: "(3) throughput / ideal at 256 in flight", want: ">= 0.90",
		got: fmt.Sprintf("%.2f", eff), met: eff >= targetConcurrency, missing: !okL,
		why: whyConcurrency})
	out = append(out, target{name: "(3) peak RSS at 256 in flight", want: "< 150 MB",
		got: fmt.Sprintf("%.0f MB", l.PeakRSSMB), met: l.PeakRSSMB < targetRSS, missing: !okL})
	rl, okR := rp.get("ratelimit")
	rle := safeDiv(rl.RatePerSec, rl.LimitPerSec)
	out = append(out, target{name: "(4) org creations / rate limit", want: ">= 0.90",
		got: fmt.Sprintf("%.2f", rle), met: rle >= targetRateLimit, missing: !okR})
	share := safeDiv(float64(rl.Status429), float64(rl.OktaCalls))
	out = append(out, target{name: "(4) 429s / Okta calls", want: "< 1%",
		got: fmt.Sprintf("%.2f%% (%d of %d)", 100*share, rl.Status429, rl.OktaCalls),
		met: share < target429, missing: !okR})
	p, okP := rp.get("paced")
	out = append(out, target{name: "added p99 at 100 signups/s", want: "< 5 ms",
		got: fmt.Sprintf("%.2f ms", p.AddedP99), met: p.AddedP99 < targetAddedP99, missing: !okP,
		why: whyLatency})
	return out
}

// summary is the last line: the headline figures.
func (rp *report) summary() string {
	w, _ := rp.get("worker-full")
	b, _ := rp.get("baseline")
	l, _ := rp.get(fmt.Sprintf("latency-%d", summaryConcurrency))
	rl, _ := rp.get("ratelimit")
	p, _ := rp.get("paced")
	peak := 0.0
	for _, r := range rp.r {
		if r.Name != "baseline" {
			peak = math.Max(peak, r.PeakRSSMB)
		}
	}
	return fmt.Sprintf("bench: throughput_per_s=%.0f baseline_ratio=%.2f concurrency_efficiency=%.2f "+
		"ratelimit_efficiency=%.2f p99_added_ms=%.2f peak_rss_mb=%.0f",
		w.PerSec, safeDiv(w.PerSec, b.PerSec), safeDiv(l.PerSec, l.Ideal),
		safeDiv(rl.RatePerSec, rl.LimitPerSec), p.AddedP99, peak)
}

// chart draws achieved and ideal throughput against signups in flight.
func (rp *report) chart(w io.Writer) {
	type row struct {
		c          int
		got, ideal float64
		ok         bool
	}
	var rows []row
	top := 0.0
	for _, c := range latencyLevels {
		r, ok := rp.get(fmt.Sprintf("latency-%d", c))
		rows = append(rows, row{c: c, got: r.PerSec, ideal: r.Ideal, ok: ok})
		top = math.Max(top, math.Max(r.PerSec, r.Ideal))
	}
	if top == 0 {
		return
	}
	const width = 50
	fmt.Fprintln(w, "Throughput against signups in flight (100 ms per Okta call; # achieved, . ideal)")
	for _, r := range rows {
		if !r.ok {
			continue
		}
		g := int(math.Round(r.got / top * width))
		i := int(math.Round(r.ideal / top * width))
		bar := strings.Repeat("#", g) + strings.Repeat(".", max(0, i-g))
		fmt.Fprintf(w, "  %3d | %-*s %4.0f/s of %4.0f/s\n", r.c, width, bar, r.got, r.ideal)
	}
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Why a target is missed, from the profiles of this benchmark (see
// BENCHMARKS.md).
const (
	whyThroughput = "CPU-bound: the two cores also run the emulator and NATS, and the " +
		"baseline itself moves by a third from run to run on this shared box. Beyond the " +
		"baseline's work each signup costs 3 SQLite commits, each an fsync the writer " +
		"waits out (see the writer busy column), the metadata parse and the result " +
		"event. More cores, or NATS and the emulator on other cores, would reach it."
	whyConcurrency = "each signup's 3 commits go one after another through the one SQLite " +
		"writer, waiting a few ms each at 256 in flight, and Okta calls stretch past " +
		"100 ms when 256 of them share two cores with everything else. A store with more " +
		"than one writer (PostgreSQL) or more cores would reach 0.9 every run."
	whyLatency = "a signup's 3 commits are sequential and each waits for an fsync with " +
		"FULL (0.2 to 1 ms on this virtual disk, with ms-long tails); NORMAL " +
		"(paced-normal) drops the fsyncs but keeps the GC and scheduling tails of this " +
		"shared two-core box. A disk with short fsync tails, or NORMAL with a UPS, " +
		"would reach it."
)

// notes explains every missed target.
func (rp *report) notes(w io.Writer) {
	seen := map[string]bool{}
	for _, t := range rp.targets() {
		if t.met || t.missing || t.why == "" || seen[t.why] {
			continue
		}
		if len(seen) == 0 {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Why targets are missed")
		}
		seen[t.why] = true
		fmt.Fprintf(w, "  %s:\n", t.name)
		for _, line := range wrap(t.why, 90) {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
