package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/outbox"
)

// Reject commits a ProvisioningFailed for a signup whose input is invalid,
// listing every problem at once. No Okta call is made. ev must carry an id.
func (w *Worker) Reject(ctx context.Context, ev *events.Event, tenant string, verr *events.ValidationError) (Outcome, error) {
	release, ok := w.hold(ev.ID)
	if !ok {
		return w.heldHere(), nil
	}
	defer release()
	sg, err := w.cfg.Store.Acquire(ctx, outbox.Begin{ID: ev.ID, Tenant: tenantOrUnknown(tenant),
		Owner: w.cfg.Owner, Lease: w.cfg.Lease})
	if errors.Is(err, outbox.ErrLeased) {
		return Outcome{Action: Retry, Delay: 5 * storeRetryDelay}, nil
	}
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	if outbox.Done(sg.State) {
		return Outcome{Action: Ack, State: sg.State}, nil
	}
	causes := verr.Causes()
	f := events.FailureError{
		Source:       events.SourceLocal,
		ErrorCode:    verr.Code(),
		ErrorSummary: fmt.Sprintf("signup rejected before any Okta call: %d problem(s)", len(causes)),
		ErrorCauses:  causes,
	}
	r := &run{w: w, sg: sg, log: w.log.With().Str("signup_id", ev.ID).Logger()}
	return r.finishFailed(ctx, events.StepValidate, f, false)
}

func tenantOrUnknown(t string) string {
	if t == events.TenantNew || t == events.TenantExisting {
		return t
	}
	return "unknown"
}

// CheckSecrets adds a problem for every plain-text secret when plain text
// is not allowed, and for every sealed secret the keyring cannot open.
func (w *Worker) CheckSecrets(s *events.Signup) *events.ValidationError {
	var probs []events.Problem
	for field, sec := range secretFields(s) {
		if sec.IsZero() {
			continue
		}
		if _, err := w.reveal(sec); err != nil {
			rule := "sealed"
			if sec.IsSealed() {
				rule = "unsealable"
			}
			probs = append(probs, events.Problem{Field: field, Rule: rule, Message: err.Error()})
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &events.ValidationError{Problems: probs}
}

// Undecodable dead-letters a message that could not be decoded far enough
// to know its signup id. Only the message's size and hash are kept: its
// bytes may hold secrets that could not be sealed.
func (w *Worker) Undecodable(ctx context.Context, raw []byte, streamSeq uint64, why error) (Outcome, error) {
	sum := sha256Hex(raw)
	reason := strings.TrimSpace(why.Error())
	data := events.DeadLetter{
		SignupID:        "",
		Reason:          "undecodable",
		Step:            events.StepValidate,
		Attempts:        1,
		OriginalSubject: w.cfg.Subjects.Signup,
		StreamSeq:       streamSeq,
		OriginalSize:    len(raw),
		OriginalSHA256:  sum,
		LastError: &events.FailureError{
			Source: events.SourceLocal, ErrorCode: events.CodeUndecodable,
			ErrorSummary: reason, ErrorCauses: []events.Cause{},
		},
		DeadAt: w.cfg.Now().UTC(),
	}
	msg, err := w.message(w.cfg.Subjects.Dead, "undecodable:"+sum, events.TypeSignupDead, data)
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	if err := w.cfg.Store.Enqueue(ctx, msg); err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	w.cfg.Observer.DeadLetter("undecodable")
	w.log.Warn().Uint64("stream_seq", streamSeq).Int("size", len(raw)).Str("sha256", sum).
		Str("reason", reason).Msg("undecodable signup message dead-lettered")
	return Outcome{Action: Terminate, State: outbox.StateDead}, nil
}

// Exhaust dead-letters a signup whose deliveries ran out before the
// worker gave up on it itself. A signup that already has its result is
// left alone. A signup that a worker is still working on (its lease runs,
// or this process has it in hand) is not touched: Exhaust returns an
// error wrapping outbox.ErrLeased, and the caller asks again later, when
// the signup either has its result or its worker is gone.
func (w *Worker) Exhaust(ctx context.Context, d Delivery) error {
	release, ok := w.hold(d.Event.ID)
	if !ok {
		return fmt.Errorf("exhaust %s: in progress here: %w", d.Event.ID, outbox.ErrLeased)
	}
	defer release()
	sg, err := w.cfg.Store.Acquire(ctx, w.begin(d))
	if err != nil {
		return fmt.Errorf("exhaust %s: %w", d.Event.ID, err)
	}
	if outbox.Done(sg.State) {
		return nil
	}
	step := sg.Step
	if step == "" {
		step = events.StepCheckToken
	}
	r := &run{w: w, d: d, sg: sg, attempts: sg.Attempts, log: w.signupLogger(d)}
	var cause error = &exhaustedError{deliveries: d.NumDelivered}
	if f := sg.Failure(); f != nil {
		cause = &recorded{f}
	}
	_, err = r.deadLetter(ctx, step, "max_deliveries", cause)
	return err
}

// exhaustedError: JetStream ran out of deliveries before the worker
// reached an outcome (every delivery crashed or timed out, say).
type exhaustedError struct{ deliveries int }

func (e *exhaustedError) Error() string {
	return fmt.Sprintf("JetStream delivered the signup %d times without an outcome", e.deliveries)
}

// recorded replays a journaled failure as an error.
type recorded struct{ f *events.FailureError }

func (r *recorded) Error() string { return r.f.ErrorCode + ": " + r.f.ErrorSummary }

// secretFields maps the path of each secret field present in s to it.
func secretFields(s *events.Signup) map[string]events.Secret {
	out := map[string]events.Secret{}
	if s.Org != nil && s.Org.Admin.Credentials != nil {
		c := s.Org.Admin.Credentials
		if c.Password != nil {
			out[events.PathAdminPassword] = c.Password.Value
		}
		if c.RecoveryQuestion != nil {
			out[events.PathRecoveryAnswer] = c.RecoveryQuestion.Answer
		}
	}
	if s.Existing != nil {
		out[events.PathAPIToken] = s.Existing.APIToken
	}
	return out
}
