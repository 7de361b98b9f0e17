package app

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// Metrics are the provisioner's Prometheus metrics. It implements the
// observers of the worker and the consumer and the Okta client's hook.
type Metrics struct {
	Registry *prometheus.Registry

	received     prometheus.Counter
	inFlight     prometheus.Gauge
	results      *prometheus.CounterVec
	retries      *prometheus.CounterVec
	rateWaits    *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	oktaRequests *prometheus.CounterVec
	oktaLatency  *prometheus.HistogramVec
	throttled    prometheus.Counter
	published    prometheus.Counter
}

// deadLetterReasons are the reasons the worker dead-letters a signup for.
var deadLetterReasons = []string{"retries_exhausted", "max_deliveries", "undecodable"}

// NewMetrics registers the metrics, and the outbox gauges read from store
// at scrape time.
func NewMetrics(store *outbox.Store) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provisioner_signups_received_total", Help: "Signup messages delivered to the worker.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "provisioner_signups_in_flight", Help: "Signups being worked on now.",
		}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provisioner_results_total", Help: "Results committed, by type and error code.",
		}, []string{"type", "error_code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provisioner_retries_total", Help: "Retries of Okta calls, by step.",
		}, []string{"step"}),
		rateWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provisioner_rate_limit_waits_seconds_total",
			Help: "Time spent waiting for Okta rate limits to reset, by step.",
		}, []string{"step"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provisioner_dead_letters_total", Help: "Signups dead-lettered, by reason.",
		}, []string{"reason"}),
		oktaRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provisioner_okta_requests_total", Help: "Okta HTTP requests, by endpoint, status and error code.",
		}, []string{"method", "endpoint", "status", "error_code"}),
		oktaLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "provisioner_okta_request_duration_seconds", Help: "Okta HTTP request latency.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}, []string{"method", "endpoint"}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provisioner_okta_throttle_seconds_total",
			Help: "Time the client slowed down before Okta's rate limit was reached.",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provisioner_outbox_published_total", Help: "Outbox rows published to JetStream.",
		}),
	}
	reg.MustRegister(m.received, m.inFlight, m.results, m.retries, m.rateWaits, m.deadLetters,
		m.oktaRequests, m.oktaLatency, m.throttled, m.published,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known reasons start at zero, so that alerts on increase() see the
	// first dead letter.
	for _, reason := range deadLetterReasons {
		m.deadLetters.WithLabelValues(reason)
	}
	if store != nil {
		reg.MustRegister(&backlogCollector{store: store,
			pending: prometheus.NewDesc("provisioner_outbox_pending", "Outbox rows not yet published.", nil, nil),
			age: prometheus.NewDesc("provisioner_outbox_oldest_pending_age_seconds",
				"Age of the oldest unpublished outbox row (0 when none).", nil, nil),
		}, &writerCollector{store: store,
			groups: prometheus.NewDesc("provisioner_store_transactions_total",
				"SQLite write transactions (each holds a group of changes).", nil, nil),
			changes: prometheus.NewDesc("provisioner_store_changes_total",
				"Changes committed or refused by the SQLite writer.", nil, nil),
			busy: prometheus.NewDesc("provisioner_store_writer_busy_seconds_total",
				"Time the one SQLite writer spent on transactions; a rate near 1 means it is saturated.", nil, nil),
			commit: prometheus.NewDesc("provisioner_store_commit_seconds_total",
				"Time spent in COMMIT, the fsync with synchronous FULL.", nil, nil),
		})
	}
	return m
}

// Received implements consumer.Observer.
func (m *Metrics) Received() { m.received.Inc() }

// InFlight implements consumer.Observer.
func (m *Metrics) InFlight(d int) { m.inFlight.Add(float64(d)) }

// Result implements provision.Observer.
func (m *Metrics) Result(kind, code string) { m.results.WithLabelValues(kind, code).Inc() }

// Retry implements provision.Observer.
func (m *Metrics) Retry(step string, wait time.Duration, rateLimited bool) {
	m.retries.WithLabelValues(step).Inc()
	if rateLimited {
		m.rateWaits.WithLabelValues(step).Add(wait.Seconds())
	}
}

// DeadLetter implements provision.Observer.
func (m *Metrics) DeadLetter(reason string) { m.deadLetters.WithLabelValues(reason).Inc() }

// Published counts a relayed row.
func (m *Metrics) Published(outbox.Message) { m.published.Inc() }

// Exchange is the Okta client's Observe hook.
func (m *Metrics) Exchange(x okta.Exchange) {
	m.oktaRequests.WithLabelValues(x.Method, x.Endpoint, strconv.Itoa(x.Status), x.Code).Inc()
	m.oktaLatency.WithLabelValues(x.Method, x.Endpoint).Observe(x.Duration.Seconds())
	if x.Throttled > 0 {
		m.throttled.Add(x.Throttled.Seconds())
	}
}

// Watch exports the runtime's health as gauges read at scrape time, for
// alerts that do not poll /readyz: NATS connected, consumer live, ISV
// token accepted (1 or 0), and the configured concurrency, the ceiling of
// provisioner_signups_in_flight.
func (m *Metrics) Watch(rt *Runtime) {
	flag := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "provisioner_nats_connected", Help: "1 while the NATS connection is up.",
		}, func() float64 { return flag(rt.NC != nil && rt.NC.IsConnected()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "provisioner_consumer_live", Help: "1 while the signup consumer fetches.",
		}, func() float64 { return flag(rt.Consumer != nil && rt.Consumer.Live()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "provisioner_isv_token_accepted",
			Help: "1 while Okta accepts the ISV's API token; 0 means no signup is taken.",
		}, func() float64 { return flag(rt.Worker != nil && rt.Worker.ISVHealthy()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "provisioner_concurrency", Help: "Signups worked on at once at most (--concurrency).",
		}, func() float64 { return float64(rt.Config.Concurrency) }),
	)
}

// writerCollector reports the store writer's counters.
type writerCollector struct {
	store                         *outbox.Store
	groups, changes, busy, commit *prometheus.Desc
}

func (w *writerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- w.groups
	ch <- w.changes
	ch <- w.busy
	ch <- w.commit
}

func (w *writerCollector) Collect(ch chan<- prometheus.Metric) {
	st := w.store.WriterStats()
	ch <- prometheus.MustNewConstMetric(w.groups, prometheus.CounterValue, float64(st.Groups))
	ch <- prometheus.MustNewConstMetric(w.changes, prometheus.CounterValue, float64(st.Changes))
	ch <- prometheus.MustNewConstMetric(w.busy, prometheus.CounterValue, st.Busy.Seconds())
	ch <- prometheus.MustNewConstMetric(w.commit, prometheus.CounterValue, st.Commit.Seconds())
}

type backlogCollector struct {
	store        *outbox.Store
	pending, age *prometheus.Desc
}

func (b *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.pending; ch <- b.age }

func (b *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	bl, err := b.store.Backlog(ctx)
	if err != nil {
		return
	}
	age := 0.0
	if !bl.Oldest.IsZero() {
		age = time.Since(bl.Oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(b.pending, prometheus.GaugeValue, float64(bl.Pending))
	ch <- prometheus.MustNewConstMetric(b.age, prometheus.GaugeValue, age)
}
