package provision

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// Delivery is one delivery of a decoded, valid signup message.
type Delivery struct {
	Event  *events.Event
	Signup *events.Signup
	// StreamSeq locates the message in its stream.
	StreamSeq uint64
	// NumDelivered counts deliveries of this message, 1 on the first.
	NumDelivered int
	// Replay is the replay generation from the message's replay header, 0
	// for an original signup.
	Replay int
}

// Abandon is returned (with Action Retry and no delay) when ctx ended
// before the signup's outcome was known: the message is left unacked and
// resumes from its journal on the next delivery.
var errAbandon = errors.New("provision: abandoned on shutdown")

// Handle runs the signup from wherever its journal says it stands to its
// result, or to the point where it must wait. It returns what the consumer
// should do with the message. The message may be acked only when Handle
// says Ack or Terminate: by then the outcome is committed.
func (w *Worker) Handle(ctx context.Context, d Delivery) (Outcome, error) {
	w.crash(CrashReceived)
	release, ok := w.hold(d.Event.ID)
	if !ok {
		return w.heldHere(), nil
	}
	defer release()

	b := w.begin(d)
	// A signup the journal has never seen starts without a write: it is
	// recorded, leased, with its first durable step (run.unsaved). Others
	// are leased first.
	var unsaved *outbox.Begin
	sg, err := w.cfg.Store.Get(ctx, b.ID)
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		sg, unsaved, err = b.New(), &b, nil
	case err == nil:
		sg, err = w.cfg.Store.Acquire(ctx, b)
	}
	if errors.Is(err, outbox.ErrLeased) {
		return Outcome{Action: Retry, Delay: w.leasedDelay(err)}, nil
	}
	if err != nil {
		return Outcome{Action: Retry, Delay: time.Second}, err
	}
	if outbox.Done(sg.State) {
		if !replayable(sg, d.Replay) {
			return Outcome{Action: Ack, State: sg.State}, nil
		}
		if sg, err = w.resume(ctx, sg, d); err != nil {
			return Outcome{Action: Retry, Delay: time.Second}, err
		}
	}
	stop := w.renewLease(ctx, sg.ID)
	defer stop()
	r := &run{w: w, d: d, sg: sg, unsaved: unsaved, log: w.signupLogger(d)}
	return r.advance(ctx)
}

// hold marks signup id as worked on by this process; ok is false when it
// already is. release ends the mark.
func (w *Worker) hold(id string) (release func(), ok bool) {
	if _, busy := w.inflight.LoadOrStore(id, struct{}{}); busy {
		return nil, false
	}
	return func() { w.inflight.Delete(id) }, true
}

// heldHere is the outcome of a delivery whose signup this process is still
// working on: it comes back once that work has committed its outcome.
func (w *Worker) heldHere() Outcome {
	return Outcome{Action: Retry, Delay: max(w.cfg.Lease/3, time.Second)}
}

// leasedDelay is how long a signup another worker holds waits before its
// redelivery: until that lease ends, so that a crashed worker's signups
// resume as soon as they may without spending many deliveries on waiting.
func (w *Worker) leasedDelay(err error) time.Duration {
	var le *outbox.LeasedError
	if !errors.As(err, &le) {
		return w.cfg.Lease
	}
	return min(max(time.Until(le.Until)+100*time.Millisecond, 100*time.Millisecond), w.cfg.Lease)
}

// renewLease keeps this worker's lease on signup id alive, every Lease/3,
// until the returned func is called: a slow Okta must not let another
// worker take over a signup that is still being worked on.
func (w *Worker) renewLease(ctx context.Context, id string) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(max(w.cfg.Lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := w.cfg.Store.Renew(ctx, id, w.cfg.Owner, w.cfg.Lease); err != nil {
					w.log.Warn().Err(err).Str("signup_id", id).Msg("renewing the signup lease failed")
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func (w *Worker) begin(d Delivery) outbox.Begin {
	s := d.Signup
	b := outbox.Begin{
		ID:       d.Event.ID,
		Tenant:   s.Tenant,
		AppName:  s.App.Name,
		AppLabel: appLabel(d),
		Owner:    w.cfg.Owner,
		Lease:    w.cfg.Lease,
	}
	if s.Org != nil {
		b.Subdomain = s.Org.Subdomain
	}
	if s.Existing != nil {
		b.OrgHost = strings.ToLower(s.Existing.Domain)
		b.Subdomain, _, _ = strings.Cut(b.OrgHost, ".")
	}
	return b
}

// appLabel is the app instance's label: the signup's own, or one derived
// from the signup id, so that a lost creation can be found again by label.
func appLabel(d Delivery) string {
	if l := d.Signup.App.Label; l != "" {
		return l
	}
	id := d.Event.ID
	if len(id) > 40 {
		id = id[:40]
	}
	return d.Signup.App.Name + " " + id
}

func (w *Worker) signupLogger(d Delivery) zerolog.Logger {
	c := w.log.With().Str("signup_id", d.Event.ID).Str("tenant", d.Signup.Tenant)
	if d.Replay > 0 {
		c = c.Int("replay", d.Replay)
	}
	return c.Logger()
}

// replayable reports whether a finished signup may run again because an
// operator replayed its dead letter. Only dead-lettered signups run again:
// a signup that failed for good, or was provisioned, keeps its result even
// if someone publishes it with a replay header.
func replayable(sg *outbox.Signup, replay int) bool {
	return replay > sg.Generation && sg.State == outbox.StateDead
}

// resume puts a replayed signup back at its first unfinished step.
func (w *Worker) resume(ctx context.Context, sg *outbox.Signup, d Delivery) (*outbox.Signup, error) {
	state := outbox.StateReceived
	switch {
	case sg.AppID != "":
		state = outbox.StateAppCreated
	case sg.Tenant == events.TenantExisting || sg.OrgID != "":
		// An earlier attempt may have created the app: look it up first.
		state = outbox.StateAppPending
	case sg.Step == events.StepCreateOrg:
		state = outbox.StateOrgPending
	}
	err := w.cfg.Store.Record(ctx, sg.ID, outbox.Change{
		State: state, Step: "replay", Status: "done", Attempt: d.Replay,
		Generation: d.Replay, Detail: map[string]any{"from": sg.State},
	})
	if err != nil {
		return nil, err
	}
	return w.cfg.Store.Acquire(ctx, w.begin(d))
}

// run is one delivery's walk through the steps.
type run struct {
	w   *Worker
	d   Delivery
	sg  *outbox.Signup
	log zerolog.Logger

	step string // the step being worked on
	// started is set when this run itself just recorded a pending state
	// (the next step's start, in the same commit as the step before), so
	// that state means "about to call", not "an earlier call was lost".
	started  bool
	orgToken string // the new org's token, once known
	// newApp is the app creation not committed yet (see appCreated).
	newApp *outbox.Entry
	// unsaved is set until the signup's row is recorded (see Handle).
	unsaved  *outbox.Begin
	attempts int // attempts of the step that failed
}

func (r *run) advance(ctx context.Context) (Outcome, error) {
	for {
		var err error
		switch r.sg.State {
		case outbox.StateReceived:
			err = r.checkToken(ctx)
		case outbox.StateChecked:
			if r.sg.Tenant == events.TenantNew {
				err = r.createOrg(ctx, false)
			} else {
				err = r.createApp(ctx, false)
			}
		case outbox.StateOrgPending:
			err = r.createOrg(ctx, !r.takeStarted())
		case outbox.StateOrgCreated:
			err = r.createApp(ctx, false)
		case outbox.StateAppPending:
			err = r.createApp(ctx, !r.takeStarted())
		case outbox.StateAppCreated:
			err = r.finish(ctx)
		default:
			return Outcome{Action: Ack, State: r.sg.State}, nil
		}
		if err != nil {
			return r.fail(ctx, err)
		}
	}
}

// takeStarted reports, once, whether this run recorded the pending state
// it is in.
func (r *run) takeStarted() bool {
	s := r.started
	r.started = false
	return s
}

// record commits c, with the app creation not committed yet if there is
// one, and mirrors it in the run's copy of the signup.
func (r *run) record(ctx context.Context, c outbox.Change) error {
	c = r.withApp(c)
	c.Insert = r.unsaved
	if err := r.w.cfg.Store.Record(ctx, r.sg.ID, c); err != nil {
		return &storeError{err}
	}
	r.newApp, r.unsaved = nil, nil
	if c.State != "" {
		r.sg.State = c.State
	}
	switch {
	case c.Next != nil:
		r.sg.Step, r.sg.Attempts = c.Next.Step, c.Next.Attempt
	case c.Step != "":
		r.sg.Step, r.sg.Attempts = c.Step, c.Attempt
	}
	if c.OrgHost != "" {
		r.sg.OrgHost = c.OrgHost
	}
	if c.OrgID != "" {
		r.sg.OrgID = c.OrgID
	}
	if c.AppID != "" {
		r.sg.AppID = c.AppID
	}
	return nil
}

// storeError marks a journal failure: the signup waits and retries, it
// never fails because of it.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// attempt numbers the next try of step, counting tries made in earlier
// deliveries.
func (r *run) attempt(step string) int {
	if r.sg.Step == step {
		return r.sg.Attempts + 1
	}
	return 1
}

// call runs op under the retry policy, logging each retry.
func (r *run) call(ctx context.Context, step string, op func(context.Context) error) error {
	return r.callAt(ctx, step, r.attempt(step)-1, op)
}

// callAt is call for a step that base attempts were made of before.
func (r *run) callAt(ctx context.Context, step string, base int, op func(context.Context) error) error {
	r.step = step
	n, err := r.w.cfg.Retry.Do(ctx, op, func(attempt int, err error, wait time.Duration) {
		oe := okta.AsError(err)
		ev := r.log.Warn().Str("step", step).Int("attempt", base+attempt).Dur("wait", wait).Err(err)
		if oe != nil {
			ev = ev.Str("okta_error_code", oe.Code).Str("okta_request_id", oe.RequestID)
		}
		ev.Msg("okta call failed; retrying")
		r.w.cfg.Observer.Retry(step, wait, oe != nil && oe.HTTPStatus == 429)
	})
	r.attempts = base + n
	return err
}
