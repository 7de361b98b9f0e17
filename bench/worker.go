package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/provision"
	"github.com/embedded-occ/provisioner/publisher"
)

// pipeline is the product's worker wired as internal/app wires it: the
// SQLite store, the Okta client, provision.Worker, the JetStream consumer
// and the outbox relay, with Prometheus metrics and an info-level JSON
// logger (written to io.Discard). The benchmark's own hooks sit next to
// the metrics.
type pipeline struct {
	store    *outbox.Store
	cons     *consumer.Consumer
	relay    *publisher.Relay
	track    *tracker
	provOK   atomic.Int64 // TenantProvisioned published
	failed   atomic.Int64 // anything else published
	doneCh   chan struct{}
	want     atomic.Int64 // close doneCh when this many results are out
	doneOnce sync.Once
	stop     context.CancelFunc
	wg       sync.WaitGroup
	started  time.Time
	cpu0     time.Duration // the process's CPU time at started
	lastDone atomic.Int64  // unix nanos of the last published result
}

type pipelineOptions struct {
	concurrency int
	synchronous string
	// track attributes Okta time to each delivery (see goid). It costs
	// tens of microseconds of CPU per Okta call, so the throughput runs
	// leave it off.
	track bool
}

// benchObserver feeds the consumer's events to the metrics and the
// tracker.
type benchObserver struct {
	m *app.Metrics
	t *tracker
}

func (o benchObserver) Received() {
	o.m.Received()
	if o.t != nil {
		o.t.begin()
	}
}

func (o benchObserver) InFlight(d int) {
	o.m.InFlight(d)
	if d < 0 && o.t != nil {
		o.t.end()
	}
}

func startPipeline(ctx context.Context, e *env, o pipelineOptions) (*pipeline, error) {
	store, err := outbox.Open(ctx, filepath.Join(e.dir, "provisioner.db"), outbox.Options{
		Keyring: e.store, Synchronous: o.synchronous,
	})
	if err != nil {
		return nil, err
	}
	p := &pipeline{store: store, track: newTracker(), doneCh: make(chan struct{})}
	var track *tracker
	if o.track {
		track = p.track
	}
	p.want.Store(-1)
	metrics := app.NewMetrics(store)
	log := app.NewLogger(io.Discard, "info", "json")
	client, err := okta.New(okta.Config{
		DevEndpoint: e.emuURL,
		Observe: func(x okta.Exchange) {
			metrics.Exchange(x)
			if track != nil {
				track.exchange(x)
			}
		},
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	worker, err := provision.New(provision.Config{
		Store: store, Okta: client, Retry: okta.RetryPolicy{},
		ISVHost: isvHost, ISVToken: isvToken, Secrets: e.seal,
		Subjects: e.subjects, Owner: "bench", MaxDeliver: 20,
		Observer: metrics, Logger: log,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	p.cons, err = consumer.New(consumer.Config{
		JS: e.js, Worker: worker, Stream: e.streams.Signups, Durable: "provisioner",
		Subject: e.subjects.Signup, Concurrency: o.concurrency,
		Observer: benchObserver{m: metrics, t: track}, Logger: log,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	p.relay, err = publisher.NewRelay(publisher.RelayConfig{
		Store: store, JS: e.js, Owner: "bench", Logger: log,
		OnPublished: func(m outbox.Message) {
			metrics.Published(m)
			if strings.HasSuffix(m.Subject, e.subjects.Provisioned) {
				p.provOK.Add(1)
			} else {
				p.failed.Add(1)
			}
			p.lastDone.Store(time.Now().UnixNano())
			if w := p.want.Load(); w >= 0 && p.provOK.Load()+p.failed.Load() >= w {
				p.doneOnce.Do(func() { close(p.doneCh) })
			}
		},
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return p, nil
}

// run starts the consumer and the relay; want is the result count that
// closes done().
func (p *pipeline) run(ctx context.Context, want int) {
	p.want.Store(int64(want))
	ctx, p.stop = context.WithCancel(ctx)
	p.started, p.cpu0 = time.Now(), cpuTime()
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.cons.Run(ctx) }()
	go func() { defer p.wg.Done(); p.relay.Run(ctx) }()
}

func (p *pipeline) done() <-chan struct{} { return p.doneCh }

func (p *pipeline) results() int64 { return p.provOK.Load() + p.failed.Load() }

func (p *pipeline) close() {
	if p.stop != nil {
		p.stop()
	}
	p.wg.Wait()
	p.store.Close()
}
