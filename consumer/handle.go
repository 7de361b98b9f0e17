package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/provision"
)

// handle works on one message and settles it as the worker decides. It
// calls free once the worker is done with the message, before the
// settlement's round trip to the server: the slot goes to the next
// message meanwhile (acks awaiting their confirmation are bounded by the
// consumer's MaxAckPending, not by Concurrency).
func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg, free func()) {
	c.cfg.Observer.Received()
	c.cfg.Observer.InFlight(1)
	defer c.cfg.Observer.InFlight(-1)

	stop := c.keepAlive(msg)
	out, id, err := c.decide(ctx, msg)
	stop()
	free()

	c.settle(ctx, msg, id, out, err)
	if c.handled != nil {
		select {
		case c.handled <- HandledEvent{ID: id, Outcome: out, Err: err}:
		default:
		}
	}
}

// decide decodes and validates the message and runs the worker on it.
func (c *Consumer) decide(ctx context.Context, msg jetstream.Msg) (provision.Outcome, string, error) {
	w := c.cfg.Worker
	meta, err := msg.Metadata()
	if err != nil {
		return provision.Outcome{Action: provision.Retry, Delay: time.Second}, "", err
	}
	raw := msg.Data()
	ev, signup, err := events.DecodeSignup(raw, c.cfg.MaxEventBytes)
	if err != nil {
		var verr *events.ValidationError
		if errors.As(err, &verr) && ev == nil {
			ev = readableID(raw)
		}
		if errors.As(err, &verr) && ev != nil && ev.ID != "" {
			tenant := ""
			if signup != nil {
				tenant = signup.Tenant
			}
			out, err := w.Reject(ctx, ev, tenant, verr)
			return out, ev.ID, err
		}
		out, err := w.Undecodable(ctx, raw, meta.Sequence.Stream, err)
		return out, "", err
	}
	if verr := invalid(signup, w); verr != nil {
		out, err := w.Reject(ctx, ev, signup.Tenant, verr)
		return out, ev.ID, err
	}
	out, err := w.Handle(ctx, provision.Delivery{
		Event:        ev,
		Signup:       signup,
		StreamSeq:    meta.Sequence.Stream,
		NumDelivered: int(meta.NumDelivered),
		Replay:       replayOf(msg),
	})
	return out, ev.ID, err
}

// keepAlive tells JetStream the message is in progress every AckWait/3
// until the returned func is called, so a slow Okta never causes a second
// delivery to another worker meanwhile.
func (c *Consumer) keepAlive(msg jetstream.Msg) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(c.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// settle acks, naks or terminates msg. Acks wait for the server's
// confirmation, so a lost ack is noticed and logged.
func (c *Consumer) settle(ctx context.Context, msg jetstream.Msg, id string, out provision.Outcome, err error) {
	log := c.log.With().Str("signup_id", id).Str("action", out.Action.String()).Logger()
	if err != nil {
		log.Warn().Err(err).Str("state", out.State).Msg("signup not finished")
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var serr error
	switch out.Action {
	case provision.Ack:
		serr = msg.DoubleAck(actx)
	case provision.Terminate:
		serr = msg.TermWithReason(out.State)
	case provision.Retry:
		if ctx.Err() != nil && out.Delay == 0 {
			return // shutting down: leave it unacked for the next start
		}
		serr = msg.NakWithDelay(out.Delay)
	}
	if serr != nil {
		log.Warn().Err(serr).Msg("settling the signup message failed; it will be redelivered")
	}
}

// invalid validates the signup and its secrets, listing every problem.
func invalid(s *events.Signup, w *provision.Worker) *events.ValidationError {
	var probs []events.Problem
	var verr *events.ValidationError
	if err := s.Validate(); errors.As(err, &verr) {
		probs = append(probs, verr.Problems...)
	}
	if serr := w.CheckSecrets(s); serr != nil {
		probs = append(probs, serr.Problems...)
	}
	if len(probs) == 0 {
		return nil
	}
	return &events.ValidationError{Problems: probs}
}

// readableID returns an event holding only the id of a message whose
// envelope is broken but still JSON with a usable id (visible ASCII, at
// most events.MaxIDLength bytes), so that its producer hears of the
// failure; nil otherwise.
func readableID(raw []byte) *events.Event {
	var probe struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.ID == "" || len(probe.ID) > events.MaxIDLength {
		return nil
	}
	for i := 0; i < len(probe.ID); i++ {
		if c := probe.ID[i]; c <= ' ' || c > '~' {
			return nil
		}
	}
	return &events.Event{ID: probe.ID}
}
