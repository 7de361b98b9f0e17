package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// Delays before a redelivery.
const (
	isvRecheckDelay = 30 * time.Second // default of Config.ISVRecheck
	storeRetryDelay = time.Second
	reconcileDelay  = time.Second
)

// fail decides what a step's error means for the signup and commits it.
func (r *run) fail(ctx context.Context, err error) (Outcome, error) {
	step := r.step
	if step == "" {
		step = events.StepCheckToken
	}
	var (
		defer_ *okta.DeferError
		store  *storeError
	)
	switch {
	case ctx.Err() != nil:
		r.log.Info().Str("step", step).Msg("stopped mid-step; the signup resumes on redelivery")
		// Give the lease up, so that the next worker (or this one after
		// a restart) resumes it at once instead of waiting the lease out.
		// The journal is as the last step left it, plus the app if one
		// was created and not committed yet.
		wctx := context.WithoutCancel(ctx)
		var err error
		if r.newApp != nil {
			err = r.record(wctx, outbox.Change{Release: true})
		} else {
			err = r.w.cfg.Store.Release(wctx, r.sg.ID, r.w.cfg.Owner)
		}
		if err != nil {
			r.log.Warn().Err(err).Msg("releasing the signup lease failed; it expires on its own")
		}
		return Outcome{Action: Retry, State: r.sg.State}, errAbandon
	case errors.As(err, &store):
		return Outcome{Action: Retry, Delay: storeRetryDelay, State: r.sg.State}, err
	case errors.Is(err, errISVRejected):
		return Outcome{Action: Retry, Delay: r.w.cfg.ISVRecheck, State: r.sg.State}, nil
	case errors.Is(err, okta.ErrAmbiguous):
		// The call may have happened: the next delivery reconciles.
		r.log.Warn().Str("step", step).Err(err).Msg("okta call outcome unknown; reconciling on redelivery")
		return r.retryLater(ctx, step, reconcileDelay, err)
	case errors.As(err, &defer_):
		f, _ := failure(err)
		logFailure(r.log.Warn(), f).Str("step", step).Dur("wait", defer_.After).
			Msg("okta asks for a long wait; the signup resumes on a delayed redelivery")
		return r.retryLater(ctx, step, defer_.After, err)
	case okta.IsTransient(err):
		return r.deadLetter(ctx, step, "retries_exhausted", err)
	}
	f, replay := failure(err)
	return r.finishFailed(ctx, step, f, replay)
}

// retryLater journals a wait and asks for a delayed redelivery, unless this
// was the last delivery JetStream will make: then the signup is
// dead-lettered now rather than lost.
func (r *run) retryLater(ctx context.Context, step string, delay time.Duration, cause error) (Outcome, error) {
	if max := r.w.cfg.MaxDeliver; max > 0 && r.d.NumDelivered >= max {
		return r.deadLetter(ctx, step, "max_deliveries", cause)
	}
	f, _ := failure(cause)
	err := r.record(ctx, outbox.Change{
		Step: step, Status: "retry", Attempt: r.attempts, LastError: &f,
		Detail: map[string]any{"delay_ms": delay.Milliseconds(), "code": f.ErrorCode},
	})
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay, State: r.sg.State}, err
	}
	return Outcome{Action: Retry, Delay: delay, State: r.sg.State}, nil
}

// finishFailed commits a ProvisioningFailed result.
func (r *run) finishFailed(ctx context.Context, step string, f events.FailureError,
	replay bool) (Outcome, error) {
	attempts := max(r.attempts, 1)
	msg, err := r.w.failed(r.sg, step, f, attempts, replay)
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	err = r.record(ctx, outbox.Change{
		State: outbox.StateFailed, Step: step, Status: "failed", Attempt: attempts,
		LastError: &f, Results: []*outbox.Message{msg}, Release: true,
		Detail: map[string]any{"code": f.ErrorCode, "http_status": f.HTTPStatus},
	})
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay, State: r.sg.State}, err
	}
	r.w.crash(CrashAfterResultCommit)
	r.w.cfg.Observer.Result("failed", f.ErrorCode)
	logFailure(r.log.Info(), f).Str("state", outbox.StateFailed).Str("step", step).
		Msg("signup failed")
	return Outcome{Action: Ack, State: outbox.StateFailed}, nil
}

// deadLetter gives up on the signup: the dead letter (original with its
// secrets sealed) and a replayable ProvisioningFailed are queued together,
// then the message is terminated.
func (r *run) deadLetter(ctx context.Context, step, reason string, cause error) (Outcome, error) {
	f, _ := failure(cause)
	attempts := max(r.attempts, 1)
	dead, err := r.w.deadMessage(r.d, r.sg, reason, step, attempts, &f)
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	failed, err := r.w.failed(r.sg, step, f, attempts, true)
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay}, err
	}
	err = r.record(ctx, outbox.Change{
		State: outbox.StateDead, Step: step, Status: "failed", Attempt: attempts,
		LastError: &f, Results: []*outbox.Message{dead, failed}, Release: true,
		Detail: map[string]any{"reason": reason, "code": f.ErrorCode},
	})
	if err != nil {
		return Outcome{Action: Retry, Delay: storeRetryDelay, State: r.sg.State}, err
	}
	r.w.crash(CrashAfterResultCommit)
	r.w.cfg.Observer.DeadLetter(reason)
	r.w.cfg.Observer.Result("failed", f.ErrorCode)
	logFailure(r.log.Error(), f).Str("state", outbox.StateDead).Str("step", step).
		Str("reason", reason).Int("attempts", attempts).Msg("signup dead-lettered")
	return Outcome{Action: Terminate, State: outbox.StateDead}, nil
}

// logFailure adds a failure's fields to a log line: its error code and
// source, and for Okta's errors the HTTP status and Okta's request id, the
// handle Okta support asks for.
func logFailure(ev *zerolog.Event, f events.FailureError) *zerolog.Event {
	ev = ev.Str("error_source", f.Source).Str("error_code", f.ErrorCode)
	if f.Source == events.SourceOkta {
		ev = ev.Str("okta_error_code", f.ErrorCode).Str("okta_request_id", f.RequestID).
			Int("http_status", f.HTTPStatus)
	}
	return ev
}

// deadMessage builds the dead letter for a decoded signup.
func (w *Worker) deadMessage(d Delivery, sg *outbox.Signup, reason, step string, attempts int,
	f *events.FailureError) (*outbox.Message, error) {
	original, err := w.sealedOriginal(d)
	if err != nil {
		return nil, err
	}
	data := events.DeadLetter{
		SignupID:        sg.ID,
		Reason:          reason,
		Step:            step,
		Attempts:        attempts,
		LastError:       f,
		OriginalSubject: w.cfg.Subjects.Signup,
		StreamSeq:       d.StreamSeq,
		Original:        original,
		OriginalSize:    len(original),
		OriginalSHA256:  sha256Hex(original),
		DeadAt:          w.cfg.Now().UTC(),
	}
	return w.message(w.cfg.Subjects.Dead, resultID(sg, "dead"), events.TypeSignupDead, data)
}

// sealedOriginal re-encodes the signup event with every secret sealed.
func (w *Worker) sealedOriginal(d Delivery) (json.RawMessage, error) {
	return events.MarshalSealed(d.Event, d.Signup, w.cfg.Secrets)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// failure turns an error into the FailureError of a result event and says
// whether a replay could succeed.
func failure(err error) (events.FailureError, bool) {
	var (
		unconfirmed *unconfirmedOrgError
		meta        *metadataError
		secret      *secretError
		rec         *recorded
	)
	if errors.As(err, &rec) {
		f := *rec.f
		if f.ErrorCauses == nil {
			f.ErrorCauses = []events.Cause{}
		}
		return f, true
	}
	if errors.As(err, &unconfirmed) {
		f := oktaFailure(unconfirmed.cause)
		f.Source = events.SourceLocal
		f.ErrorCode = events.CodeOrgUnconfirmed
		f.ErrorSummary = "an earlier attempt to create org " + unconfirmed.subdomain +
			" lost its outcome and the subdomain now exists; its API token cannot be recovered," +
			" so an operator must finish or remove the org"
		return f, false
	}
	if oe := okta.AsError(err); oe != nil {
		return oktaFailure(oe), okta.IsTransient(err)
	}
	local := func(code, summary string, replay bool) (events.FailureError, bool) {
		return events.FailureError{
			Source: events.SourceLocal, ErrorCode: code, ErrorSummary: summary,
			ErrorCauses: []events.Cause{},
		}, replay
	}
	var exhausted *exhaustedError
	switch {
	case errors.As(err, &exhausted):
		return local(events.CodeDeliveriesExhaust, err.Error(), true)
	case errors.As(err, &secret):
		return local(events.CodeSecretUnreadable, err.Error(), false)
	case errors.Is(err, okta.ErrHostNotAllowed):
		return local(events.CodeHostNotAllowed, err.Error(), false)
	case errors.As(err, &meta):
		return local(events.CodeBadMetadata, err.Error(), true)
	case errors.Is(err, okta.ErrBadResponse):
		return local(events.CodeBadOktaResponse, err.Error(), true)
	}
	return local(events.CodeRetriesExhausted, err.Error(), true)
}

func oktaFailure(oe *okta.Error) events.FailureError {
	causes := make([]events.Cause, 0, len(oe.Causes))
	for _, c := range oe.Causes {
		causes = append(causes, events.Cause{ErrorSummary: c.Summary})
	}
	return events.FailureError{
		Source:       events.SourceOkta,
		ErrorCode:    oe.Code,
		ErrorSummary: oe.Summary,
		ErrorCauses:  causes,
		ErrorID:      oe.ID,
		HTTPStatus:   oe.HTTPStatus,
		RequestID:    oe.RequestID,
	}
}
