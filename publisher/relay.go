// Package publisher moves events onto JetStream: the outbox relay that
// publishes committed result events, and the publisher of signup events
// used by the CLI, the demo and dead-letter replay.
package publisher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/internal/wait"
	"github.com/embedded-occ/provisioner/outbox"
)

// RelayConfig configures a Relay. Zero values mean the defaults.
type RelayConfig struct {
	Store *outbox.Store
	JS    jetstream.JetStream
	// Owner names this relay in row claims. Required.
	Owner string
	// Batch is how many rows one round publishes. Default 256.
	Batch int
	// Lease is how long a claim holds rows against other relays. Default 30s.
	Lease time.Duration
	// Poll is the fallback polling interval; commits wake the relay at
	// once. Default 1s.
	Poll time.Duration
	// Retention is how long published rows are kept. Default 24h.
	Retention time.Duration
	// OnPublished, when set, is called with each published row (tests,
	// the demo, metrics).
	OnPublished func(outbox.Message)
	Logger      zerolog.Logger
	// CrashHook, when set, is called with CrashAfterPublish once JetStream
	// has stored a round's rows and before they are marked published. Test
	// only: the fault suite kills the process there. Default nil.
	CrashHook func(point string)
}

// CrashAfterPublish is the relay's crash point: rows are in JetStream but
// not yet marked published, so a restart publishes them again under the
// same message ids and JetStream drops the repeats.
const CrashAfterPublish = "after_publish_before_mark"

// Relay publishes outbox rows with their stable message ids. A duplicate
// acknowledgement counts as delivered.
type Relay struct {
	cfg RelayConfig
	log zerolog.Logger
}

// NewRelay checks cfg and returns a Relay.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Store == nil || cfg.JS == nil || cfg.Owner == "" {
		return nil, errors.New("relay: Store, JS and Owner are required")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	return &Relay{cfg: cfg, log: cfg.Logger}, nil
}

// Run relays until ctx ends, then makes one last round with a short
// deadline so results committed just before shutdown still go out.
func (r *Relay) Run(ctx context.Context) error {
	poll := time.NewTicker(r.cfg.Poll)
	defer poll.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	fails := 0
	for {
		wake := r.cfg.Store.Wake()
		n, err := r.Round(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			fails++
			r.log.Warn().Err(err).Int("failures", fails).Msg("relaying results failed; retrying")
			if !wait.Sleep(ctx, min(time.Duration(fails)*200*time.Millisecond, 5*time.Second)) {
				return r.final(ctx)
			}
			continue
		case err == nil:
			fails = 0
		}
		if n == r.cfg.Batch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return r.final(ctx)
		case <-wake:
		case <-poll.C:
		case <-prune.C:
			r.prune(ctx)
		}
	}
}

func (r *Relay) final(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for {
		n, err := r.Round(fctx)
		if err != nil || n < r.cfg.Batch {
			return nil
		}
	}
}

func (r *Relay) prune(ctx context.Context) {
	n, err := r.cfg.Store.Prune(ctx, time.Now().Add(-r.cfg.Retention))
	if err != nil {
		r.log.Warn().Err(err).Msg("pruning published outbox rows failed")
		return
	}
	if n > 0 {
		r.log.Debug().Int64("rows", n).Msg("pruned published outbox rows")
	}
}

// Round claims one batch of rows, publishes them and records the outcome.
// It returns how many rows it claimed.
func (r *Relay) Round(ctx context.Context) (int, error) {
	rows, err := r.cfg.Store.Claim(ctx, r.cfg.Owner, r.cfg.Batch, r.cfg.Lease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, len(rows))
	var firstErr error
	for i, m := range rows {
		msg := nats.NewMsg(m.Subject)
		msg.Data = m.Payload
		msg.Header.Set(jetstream.MsgIDHeader, m.MsgID)
		futures[i], err = r.cfg.JS.PublishMsgAsync(msg)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("publish %s: %w", m.MsgID, err)
		}
	}
	done := make(map[int64]uint64, len(rows))
	var failed []int64
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i, f := range futures {
		if f == nil {
			failed = append(failed, rows[i].Seq)
			continue
		}
		select {
		case ack := <-f.Ok():
			done[rows[i].Seq] = ack.Sequence
		case err := <-f.Err():
			failed = append(failed, rows[i].Seq)
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: %w", rows[i].MsgID, err)
			}
		case <-wctx.Done():
			failed = append(failed, rows[i].Seq)
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: no acknowledgement: %w", rows[i].MsgID, wctx.Err())
			}
		}
	}
	if len(done) > 0 && r.cfg.CrashHook != nil {
		r.cfg.CrashHook(CrashAfterPublish)
	}
	if err := r.cfg.Store.Published(context.WithoutCancel(ctx), done); err != nil {
		return len(rows), err
	}
	if len(failed) > 0 && firstErr != nil {
		r.cfg.Store.Unclaim(context.WithoutCancel(ctx), failed, firstErr.Error())
	}
	if r.cfg.OnPublished != nil {
		for _, m := range rows {
			if _, ok := done[m.Seq]; ok {
				r.cfg.OnPublished(m)
			}
		}
	}
	return len(rows), firstErr
}
