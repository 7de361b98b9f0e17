// Command bench measures the provisioner on this machine: the worker
// against a bare baseline, its added latency, how it pipelines signups
// against a slow Okta, how close it runs to an Okta rate limit, and what
// durable SQLite commits cost. Everything runs on loopback: an embedded
// NATS server and the Okta emulator live in the process.
//
// Each scenario runs in a child process (this binary re-executed with
// -child) so that every scenario's peak memory is its own. The last line
// printed is the summary:
//
//	bench: throughput_per_s=N baseline_ratio=N concurrency_efficiency=N ratelimit_efficiency=N p99_added_ms=N peak_rss_mb=N
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/embedded-occ/provisioner/internal/app"
)

// resultPrefix marks a child's result line on its stdout.
const resultPrefix = "bench-result: "

// scenario is one child run.
type scenario struct {
	name string
	what string
	run  func(ctx context.Context, st settings) (result, error)
}

var latencyLevels = []int{16, 64, 256}

func scenarios() []scenario {
	out := []scenario{
		{"baseline", "1 baseline", runBaseline},
		{"worker-full", "2 worker, FULL", func(ctx context.Context, st settings) (result, error) {
			return runThroughput(ctx, st, "FULL")
		}},
		{"worker-normal", "5 worker, NORMAL", func(ctx context.Context, st settings) (result, error) {
			return runThroughput(ctx, st, "NORMAL")
		}},
		{"paced", "2 paced 100/s", func(ctx context.Context, st settings) (result, error) {
			return runPaced(ctx, st, "FULL")
		}},
		{"paced-normal", "5 paced 100/s, NORMAL", func(ctx context.Context, st settings) (result, error) {
			return runPaced(ctx, st, "NORMAL")
		}},
	}
	for _, c := range latencyLevels {
		out = append(out, scenario{fmt.Sprintf("latency-%d", c), "3 latency", func(ctx context.Context,
			st settings) (result, error) {
			return runLatency(ctx, st, c)
		}})
	}
	return append(out, scenario{"ratelimit", "4 rate limit", runRateLimit})
}

func main() {
	child := flag.String("child", "", "run one scenario and print its result (internal)")
	emulator := flag.Bool("emulator", false, "serve the Okta emulator until stdin closes (internal)")
	emuLatency := flag.Duration("emulator-latency", 0, "latency of the -emulator (internal)")
	quick := flag.Bool("quick", false, "shorter runs, for trying the benchmark out")
	only := flag.String("only", "", "comma-separated scenarios to run (default all)")
	flag.StringVar(&profileDir, "profile", "", "write each scenario's CPU profile into this directory")
	limitN := flag.Int("limit", 0, "scenario 4: org creations allowed per window (default 400)")
	limitWindow := flag.Duration("window", 0, "scenario 4: rate-limit window (default 10s)")
	flag.Parse()
	st := fullSettings()
	if *quick {
		st = quickSettings()
	}
	if *limitN > 0 {
		st.limitN = *limitN
		childArgs = append(childArgs, "-limit", fmt.Sprint(*limitN))
	}
	if *limitWindow > 0 {
		st.limitWindow = *limitWindow
		childArgs = append(childArgs, "-window", limitWindow.String())
	}
	if *emulator {
		os.Exit(serveEmulator(*emuLatency))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *child != "" {
		// Every scenario, the baseline too, runs with the scheduler
		// setting the provisioner's main sets.
		app.SpareProc()
		code := runChild(ctx, *child, st)
		stop()
		os.Exit(code)
	}
	os.Exit(runParent(ctx, *quick, *only))
}

// profileDir, when set, receives a CPU profile of every scenario.
var profileDir string

// childArgs are passed on to every child.
var childArgs []string

func runChild(ctx context.Context, name string, st settings) int {
	for _, sc := range scenarios() {
		if sc.name != name {
			continue
		}
		if profileDir != "" {
			stop, err := startProfile(filepath.Join(profileDir, name+".cpu.pprof"))
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench %s: %v\n", name, err)
				return 1
			}
			defer stop()
		}
		r, err := sc.run(ctx, st)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", name, err)
			return 1
		}
		raw, _ := json.Marshal(r)
		fmt.Printf("%s%s\n", resultPrefix, raw)
		return 0
	}
	fmt.Fprintf(os.Stderr, "bench: unknown scenario %q\n", name)
	return 2
}

func runParent(ctx context.Context, quick bool, only string) int {
	started := time.Now()
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	results := map[string]result{}
	var order []string
	failed := false
	for _, sc := range scenarios() {
		if len(want) > 0 && !want[sc.name] {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: running %s ...\n", sc.name)
		t0 := time.Now()
		r, err := runOne(ctx, sc.name, quick)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", sc.name, err)
			failed = true
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %.1fs\n", sc.name, time.Since(t0).Seconds())
		results[sc.name] = r
		order = append(order, sc.name)
	}
	rep := newReport(results, order)
	rep.print(os.Stdout, time.Since(started))
	if failed {
		return 1
	}
	return 0
}

// runOne runs a scenario in a child process and returns its result.
func runOne(ctx context.Context, name string, quick bool) (result, error) {
	args := []string{"-child", name}
	if quick {
		args = append(args, "-quick")
	}
	if profileDir != "" {
		args = append(args, "-profile", profileDir)
	}
	args = append(args, childArgs...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return result{}, err
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if raw, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
			var r result
			if err := json.Unmarshal([]byte(raw), &r); err != nil {
				return result{}, err
			}
			return r, nil
		}
	}
	return result{}, fmt.Errorf("no result from the child")
}

// startProfile writes a CPU profile to path until the returned func runs.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
