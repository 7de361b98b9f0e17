package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/embedded-occ/provisioner/internal/wait"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// result is what one scenario measured. The child process prints it as
// JSON; the parent makes the table from it.
type result struct {
	Name        string  `json:"name"`
	Concurrency int     `json:"concurrency"`
	Sync        string  `json:"sync,omitempty"`
	Done        int64   `json:"done"`
	Failed      int64   `json:"failed"`
	Seconds     float64 `json:"seconds"`
	PerSec      float64 `json:"perSec"`
	AddedP50    float64 `json:"addedP50Ms"`
	AddedP99    float64 `json:"addedP99Ms"`
	AddedMean   float64 `json:"addedMeanMs"`
	OktaMean    float64 `json:"oktaMeanMs"`
	Ideal       float64 `json:"idealPerSec,omitempty"`
	LimitPerSec float64 `json:"limitPerSec,omitempty"`
	RatePerSec  float64 `json:"ratePerSec,omitempty"`
	OktaCalls   int     `json:"oktaCalls,omitempty"`
	Status429   int     `json:"status429"`
	PeakRSSMB   float64 `json:"peakRssMb"`
	// WriterBusy is the share of the run the SQLite writer was busy;
	// GroupSize the average changes per write transaction.
	WriterBusy float64 `json:"writerBusy,omitempty"`
	// Cores is the CPU the whole process (worker, emulator, NATS) used
	// during the run, in cores.
	Cores     float64 `json:"cores,omitempty"`
	GroupSize float64 `json:"groupSize,omitempty"`
	Tracked   bool    `json:"tracked"` // added and Okta times measured
	Note      string  `json:"note,omitempty"`
}

// settings are the scenario sizes; -quick shrinks them.
type settings struct {
	concurrency  int           // scenarios 1, 2, 5 and the paced run
	backlog      int           // signups of scenarios 1, 2 and 5
	maxRun       time.Duration // bound of one throughput run
	pacedRate    int           // signups per second of the paced run
	pacedFor     time.Duration // length of the paced run
	latency      time.Duration // per Okta call in scenario 3
	latencyFor   time.Duration // measured part of each scenario 3 run
	latencyWarm  time.Duration // unmeasured start of each scenario 3 run
	limitN       int           // scenario 4: org creations per window
	limitWindow  time.Duration // scenario 4 window
	limitWindows int           // scenario 4: windows measured
}

func fullSettings() settings {
	return settings{
		concurrency: 64, backlog: 10000, maxRun: 40 * time.Second,
		pacedRate: 100, pacedFor: 10 * time.Second,
		latency: 100 * time.Millisecond, latencyFor: 8 * time.Second, latencyWarm: 2 * time.Second,
		limitN: 400, limitWindow: 10 * time.Second, limitWindows: 4,
	}
}

func quickSettings() settings {
	s := fullSettings()
	s.backlog, s.pacedFor, s.latencyFor, s.limitWindows = 2000, 3*time.Second, 3*time.Second, 2
	return s
}

// runBaseline is scenario 1.
func runBaseline(ctx context.Context, st settings) (result, error) {
	e, err := newEnv(ctx, envOptions{})
	if err != nil {
		return result{}, err
	}
	defer e.close()
	n := st.backlog
	if err := e.publishBacklog(ctx, "a", n); err != nil {
		return result{}, err
	}
	b := newBaseline(e, st.concurrency)
	rctx, cancel := context.WithTimeout(ctx, st.maxRun)
	defer cancel()
	start, cpu0 := time.Now(), cpuTime()
	errc := make(chan error, 1)
	go func() { errc <- b.run(rctx, st.concurrency) }()
	for b.ok.Load()+b.bad.Load() < int64(n) && rctx.Err() == nil {
		waitTick(rctx, 20*time.Millisecond)
	}
	cores := safeDiv((cpuTime() - cpu0).Seconds(), time.Since(start).Seconds())
	cancel()
	<-errc
	elapsed := time.Duration(b.last.Load() - start.UnixNano())
	r := result{Name: "baseline", Concurrency: st.concurrency, Done: b.ok.Load(), Failed: b.bad.Load(),
		Seconds: elapsed.Seconds(), PeakRSSMB: peakRSSMB(), Cores: cores}
	r.PerSec = float64(r.Done) / r.Seconds
	return r, nil
}

// runThroughput is scenarios 2 and 5: a backlog of signups against an
// emulator that answers at once.
func runThroughput(ctx context.Context, st settings, sync string) (result, error) {
	e, err := newEnv(ctx, envOptions{})
	if err != nil {
		return result{}, err
	}
	defer e.close()
	n := st.backlog
	if err := e.publishBacklog(ctx, "w", n); err != nil {
		return result{}, err
	}
	p, err := startPipeline(ctx, e, pipelineOptions{concurrency: st.concurrency, synchronous: sync})
	if err != nil {
		return result{}, err
	}
	defer p.close()
	p.run(ctx, n)
	note := waitDone(ctx, p, st.maxRun)
	r := pipelineResult(p, "worker", st.concurrency)
	r.Note = note
	r.Sync = sync
	elapsed := time.Duration(p.lastDone.Load() - p.started.UnixNano())
	r.Seconds = elapsed.Seconds()
	r.PerSec = float64(r.Done+r.Failed) / r.Seconds
	return r, nil
}

// runPaced publishes signups at a steady rate while the worker runs, to
// measure the latency the worker adds when it is not saturated.
func runPaced(ctx context.Context, st settings, sync string) (result, error) {
	e, err := newEnv(ctx, envOptions{})
	if err != nil {
		return result{}, err
	}
	defer e.close()
	p, err := startPipeline(ctx, e, pipelineOptions{concurrency: st.concurrency, synchronous: sync,
		track: true})
	if err != nil {
		return result{}, err
	}
	defer p.close()
	n := st.pacedRate * int(st.pacedFor/time.Second)
	p.run(ctx, n)
	tick := time.NewTicker(time.Second / time.Duration(st.pacedRate))
	defer tick.Stop()
	for i := range n {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return result{}, ctx.Err()
		}
		if _, err := e.publishAsync("p", i); err != nil {
			return result{}, err
		}
	}
	note := waitDone(ctx, p, st.maxRun)
	name := "paced"
	if sync != "FULL" {
		name = "paced-normal"
	}
	r := pipelineResult(p, name, st.concurrency)
	r.Note = note
	r.Sync = sync
	r.Seconds = time.Since(p.started).Seconds()
	r.PerSec = float64(st.pacedRate)
	return r, nil
}

// runLatency is scenario 3 at one concurrency: every Okta call takes
// st.latency, so a signup's Okta time is 4 x latency and the ideal
// throughput is concurrency / (4 x latency).
func runLatency(ctx context.Context, st settings, concurrency int) (result, error) {
	e, err := newEnv(ctx, envOptions{latency: st.latency, external: true})
	if err != nil {
		return result{}, err
	}
	defer e.close()
	oktaTime := 4 * st.latency
	ideal := float64(concurrency) / oktaTime.Seconds()
	n := int(ideal*(st.latencyWarm+st.latencyFor).Seconds()*1.25) + 2*concurrency
	if err := e.publishBacklog(ctx, "l", n); err != nil {
		return result{}, err
	}
	p, err := startPipeline(ctx, e, pipelineOptions{concurrency: concurrency, synchronous: "FULL"})
	if err != nil {
		return result{}, err
	}
	defer p.close()
	p.run(ctx, n)
	if !wait.Sleep(ctx, st.latencyWarm) {
		return result{}, ctx.Err()
	}
	from := p.results()
	t0 := time.Now()
	if !wait.Sleep(ctx, st.latencyFor) {
		return result{}, ctx.Err()
	}
	got := p.results() - from
	elapsed := time.Since(t0)
	r := pipelineResult(p, fmt.Sprintf("latency-%d", concurrency), concurrency)
	r.Sync = "FULL"
	r.Seconds = elapsed.Seconds()
	r.PerSec = float64(got) / r.Seconds
	r.Ideal = ideal
	return r, nil
}

// runRateLimit is scenario 4: the emulator allows st.limitN org creations
// per st.limitWindow on the ISV's org; the worker has a large backlog.
func runRateLimit(ctx context.Context, st settings) (result, error) {
	e, err := newEnv(ctx, envOptions{record: true})
	if err != nil {
		return result{}, err
	}
	defer e.close()
	if err := e.emu.SetRateLimit(oktatest.BucketOrgs, st.limitN, st.limitWindow); err != nil {
		return result{}, err
	}
	limit := float64(st.limitN) / st.limitWindow.Seconds()
	span := time.Duration(st.limitWindows) * st.limitWindow
	n := int(limit*span.Seconds()*1.5) + 2*st.concurrency
	if err := e.publishBacklog(ctx, "r", n); err != nil {
		return result{}, err
	}
	p, err := startPipeline(ctx, e, pipelineOptions{concurrency: st.concurrency, synchronous: "FULL"})
	if err != nil {
		return result{}, err
	}
	defer p.close()
	p.run(ctx, n)
	// Wait for the first org creation, then for the measured windows.
	var t0 time.Time
	for t0.IsZero() {
		if !wait.Sleep(ctx, 10*time.Millisecond) {
			return result{}, ctx.Err()
		}
		for _, q := range e.recorded() {
			if q.Endpoint == oktatest.EndpointOrgs {
				t0 = q.Time
				break
			}
		}
	}
	if !wait.Sleep(ctx, time.Until(t0.Add(span))+200*time.Millisecond) {
		return result{}, ctx.Err()
	}
	reqs := e.recorded()
	created, calls, limited := 0, 0, 0
	for _, q := range reqs {
		if q.Time.Before(t0) || !q.Time.Before(t0.Add(span)) {
			continue
		}
		calls++
		if q.Status == http.StatusTooManyRequests {
			limited++
		}
		if q.Endpoint == oktatest.EndpointOrgs && q.Status == http.StatusCreated {
			created++
		}
	}
	r := pipelineResult(p, "ratelimit", st.concurrency)
	r.Sync = "FULL"
	r.Seconds = span.Seconds()
	r.LimitPerSec = limit
	r.RatePerSec = float64(created) / span.Seconds()
	r.PerSec = r.RatePerSec
	r.OktaCalls, r.Status429 = calls, limited
	r.Note = fmt.Sprintf("%d org creations per %s on the ISV org", st.limitN, st.limitWindow)
	return r, nil
}

func pipelineResult(p *pipeline, name string, concurrency int) result {
	added, oktaTime := p.track.samples()
	ws := p.store.WriterStats()
	return result{
		WriterBusy: safeDiv(ws.Busy.Seconds(), time.Since(p.started).Seconds()),
		Cores:      safeDiv((cpuTime() - p.cpu0).Seconds(), time.Since(p.started).Seconds()),
		GroupSize:  safeDiv(float64(ws.Changes), float64(ws.Groups)),
		Tracked:    len(added) > 0,
		Name:       name, Concurrency: concurrency,
		Done: p.provOK.Load(), Failed: p.failed.Load(),
		AddedP50: ms(percentile(added, 50)), AddedP99: ms(percentile(added, 99)),
		AddedMean: ms(mean(added)), OktaMean: ms(mean(oktaTime)),
		PeakRSSMB: peakRSSMB(),
	}
}

// waitDone waits for every result, or limit; it returns a note when the
// results did not all arrive.
func waitDone(ctx context.Context, p *pipeline, limit time.Duration) string {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-p.done():
		return ""
	case <-t.C:
	case <-ctx.Done():
	}
	return fmt.Sprintf("stopped after %s with %d results", limit, p.results())
}

func waitTick(ctx context.Context, d time.Duration) { wait.Sleep(ctx, d) }
