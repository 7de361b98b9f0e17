// Package consumer takes signup requests from a durable JetStream pull
// consumer and hands each to the provisioning worker, keeping the message
// in progress while it works and acking it only after its outcome is
// committed.
//
// It fetches only as many messages as it has free handler slots, so no
// message waits in a client buffer while its ack timer runs.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/wait"
	"github.com/embedded-occ/provisioner/provision"
)

// ReplayHeader carries a replayed signup's replay generation.
const ReplayHeader = "Provisioner-Replay"

// Config configures a Consumer. Fields without a default are required.
type Config struct {
	JS     jetstream.JetStream
	Worker *provision.Worker
	// Stream is the signup stream. Default "SIGNUPS".
	Stream string
	// Durable is the durable consumer's name. Default "provisioner".
	Durable string
	// Subject filters the stream. Default "signup.requested".
	Subject string
	// Concurrency is how many signups are worked on at once. Default 16.
	Concurrency int
	// AckWait is how long JetStream waits for an ack before redelivering;
	// the consumer sends "in progress" every AckWait/3 while it works.
	// Default 30s.
	AckWait time.Duration
	// MaxDeliver bounds deliveries of one message. Default 20.
	MaxDeliver int
	// MaxEventBytes bounds a signup message; larger ones are dead-lettered
	// unparsed. Default events.DefaultMaxEventBytes.
	MaxEventBytes int
	// Grace is how long in-flight signups may run after Run's context ends.
	// Default 20s.
	Grace time.Duration
	// Observer is told about deliveries, for metrics. Optional.
	Observer Observer
	Logger   zerolog.Logger
}

// Observer is told about deliveries.
type Observer interface {
	Received()
	InFlight(delta int)
}

type nopObserver struct{}

func (nopObserver) Received()    {}
func (nopObserver) InFlight(int) {}

// Consumer runs the signup consumer.
type Consumer struct {
	cfg Config
	log zerolog.Logger

	mu   sync.Mutex
	cons jetstream.Consumer
	live bool

	handled chan HandledEvent // test hook, optional
}

// HandledEvent reports one finished delivery, for tests.
type HandledEvent struct {
	ID      string
	Outcome provision.Outcome
	Err     error
}

// New checks cfg and returns a Consumer.
func New(cfg Config) (*Consumer, error) {
	if cfg.JS == nil || cfg.Worker == nil {
		return nil, errors.New("consumer: JS and Worker are required")
	}
	if cfg.Stream == "" {
		cfg.Stream = "SIGNUPS"
	}
	if cfg.Durable == "" {
		cfg.Durable = "provisioner"
	}
	if cfg.Subject == "" {
		cfg.Subject = events.DefaultSubjects().Signup
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = 20
	}
	if cfg.MaxEventBytes <= 0 {
		cfg.MaxEventBytes = events.DefaultMaxEventBytes
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 20 * time.Second
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return &Consumer{cfg: cfg, log: cfg.Logger}, nil
}

// Handled returns a channel that receives every finished delivery. Tests
// use it to wait for outcomes; call it before Run.
func (c *Consumer) Handled() <-chan HandledEvent {
	c.handled = make(chan HandledEvent, 1024)
	return c.handled
}

// Live reports whether the durable consumer exists and the last fetch
// worked.
func (c *Consumer) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

func (c *Consumer) setLive(v bool) {
	c.mu.Lock()
	c.live = v
	c.mu.Unlock()
}

// ensure creates or updates the durable consumer.
func (c *Consumer) ensure(ctx context.Context) (jetstream.Consumer, error) {
	cons, err := c.cfg.JS.CreateOrUpdateConsumer(ctx, c.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       c.cfg.Durable,
		Description:   "Okta tenant provisioner",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    c.cfg.MaxDeliver,
		MaxAckPending: c.cfg.Concurrency * 4,
		FilterSubject: c.cfg.Subject,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure consumer %s: %w", c.cfg.Durable, err)
	}
	c.mu.Lock()
	c.cons = cons
	c.live = true
	c.mu.Unlock()
	return cons, nil
}

// Run consumes until ctx ends, then stops fetching and lets in-flight
// signups finish within the grace period. Unfinished ones stay unacked and
// resume on the next start. It returns nil after a clean stop.
func (c *Consumer) Run(ctx context.Context) error {
	// Handlers outlive ctx by the grace period.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()

	slots := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	err := c.loop(ctx, hctx, slots, &wg)

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(c.cfg.Grace):
		c.log.Warn().Dur("grace", c.cfg.Grace).Msg("grace period over; abandoning in-flight signups")
		hcancel()
		<-done
	}
	c.setLive(false)
	return err
}

func (c *Consumer) loop(ctx, hctx context.Context, slots chan struct{}, wg *sync.WaitGroup) error {
	var cons jetstream.Consumer
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			if !wait.Sleep(ctx, backoff) {
				break
			}
		}
		if !c.cfg.Worker.ISVHealthy() {
			c.setLive(cons != nil)
			if !wait.Sleep(ctx, 5*time.Second) {
				break
			}
			continue
		}
		if cons == nil {
			var err error
			if cons, err = c.ensure(ctx); err != nil {
				c.setLive(false)
				c.log.Warn().Err(err).Msg("cannot create the signup consumer; retrying")
				backoff = nextBackoff(backoff)
				continue
			}
		}
		n := c.reserve(ctx, slots)
		if n == 0 {
			break
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			c.release(slots, n)
			cons = c.fetchFailed(err, cons)
			backoff = nextBackoff(backoff)
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.handle(hctx, msg, func() { <-slots })
			}()
		}
		c.release(slots, n-got)
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) &&
			!errors.Is(err, jetstream.ErrNoMessages) {
			cons = c.fetchFailed(err, cons)
			backoff = nextBackoff(backoff)
			continue
		}
		c.setLive(true)
		backoff = 0
	}
	return nil
}

// fetchFailed logs a fetch error and drops the consumer handle when the
// consumer is gone, so the next round re-creates it.
func (c *Consumer) fetchFailed(err error, cons jetstream.Consumer) jetstream.Consumer {
	c.setLive(false)
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) {
		c.log.Warn().Err(err).Msg("signup consumer lost; re-creating it")
		return nil
	}
	c.log.Warn().Err(err).Msg("fetching signups failed; retrying")
	return nil
}

// reserve blocks until at least one slot is free and takes every free
// slot, returning how many; 0 when ctx ended.
func (c *Consumer) reserve(ctx context.Context, slots chan struct{}) int {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func (c *Consumer) release(slots chan struct{}, n int) {
	for range n {
		<-slots
	}
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 100 * time.Millisecond
	}
	return min(2*d, 5*time.Second)
}

// replayOf reads the replay generation header: a positive 31-bit number,
// anything else counts as no replay.
func replayOf(msg jetstream.Msg) int {
	n, err := strconv.ParseInt(msg.Headers().Get(ReplayHeader), 10, 32)
	if err != nil || n < 0 {
		return 0
	}
	return int(n)
}
