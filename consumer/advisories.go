package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/wait"
	"github.com/embedded-occ/provisioner/provision"
)

// maxDeliverAdvisory is the part of JetStream's max-deliveries advisory
// the watcher reads.
type maxDeliverAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// Exhausted catches signups whose deliveries ran out without the worker's
// own give-up logic running (every delivery timed out, say, because the
// worker kept crashing). JetStream announces each with an advisory, which
// the advisories stream keeps; Exhausted dead-letters the signup and
// removes the message, so none vanishes silently.
type Exhausted struct {
	JS        jetstream.JetStream
	Worker    *provision.Worker
	Streams   Streams
	Durable   string // the signup consumer's name
	MaxBytes  int
	Logger    zerolog.Logger
	OnHandled func(seq uint64)
}

// Run watches the advisories until ctx ends.
func (x *Exhausted) Run(ctx context.Context) error {
	name := x.Durable + "-advisories"
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 && !wait.Sleep(ctx, backoff) {
			break
		}
		cons, err := x.JS.CreateOrUpdateConsumer(ctx, x.Streams.Advisories, jetstream.ConsumerConfig{
			Durable: name, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		})
		if err != nil {
			x.Logger.Warn().Err(err).Msg("cannot create the advisories consumer; retrying")
			backoff = nextBackoff(backoff)
			continue
		}
		batch, err := cons.Fetch(16, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			backoff = nextBackoff(backoff)
			continue
		}
		for msg := range batch.Messages() {
			if err := x.handle(ctx, msg.Data()); err != nil {
				x.Logger.Warn().Err(err).Msg("handling a max-deliveries advisory failed; retrying")
				msg.NakWithDelay(time.Second)
				continue
			}
			msg.DoubleAck(ctx)
		}
		backoff = 0
	}
	return nil
}

func (x *Exhausted) handle(ctx context.Context, raw []byte) error {
	var adv maxDeliverAdvisory
	if err := json.Unmarshal(raw, &adv); err != nil {
		return nil // not an advisory we understand; drop it
	}
	s, err := x.JS.Stream(ctx, x.Streams.Signups)
	if err != nil {
		return err
	}
	m, err := s.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // settled meanwhile
	}
	if err != nil {
		return err
	}
	ev, signup, derr := events.DecodeSignup(m.Data, x.MaxBytes)
	if derr != nil || signup == nil {
		_, err = x.Worker.Undecodable(ctx, m.Data, adv.StreamSeq, errors.New("deliveries exhausted: "+errString(derr)))
	} else {
		err = x.Worker.Exhaust(ctx, provision.Delivery{
			Event: ev, Signup: signup, StreamSeq: adv.StreamSeq, NumDelivered: int(adv.Deliveries),
		})
	}
	if err != nil {
		return err
	}
	if err := s.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	lg := x.Logger.Warn().Uint64("stream_seq", adv.StreamSeq).Uint64("deliveries", adv.Deliveries)
	if derr == nil && signup != nil {
		lg = lg.Str("signup_id", ev.ID)
	}
	lg.Msg("signup ran out of deliveries; dead-lettered")
	if x.OnHandled != nil {
		x.OnHandled(adv.StreamSeq)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "no signup data"
	}
	return err.Error()
}
