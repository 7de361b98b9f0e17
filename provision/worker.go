package provision

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// Config configures a Worker. Fields without a default are required.
type Config struct {
	Store *outbox.Store
	Okta  *okta.Client
	// Retry is the per-call retry policy. Its MaxAttempts is also each
	// step's budget across redeliveries.
	Retry okta.RetryPolicy
	// ISVHost and ISVToken are the ISV's own org and API token, allowed
	// to create orgs. New orgs are created in the ISV's environment.
	ISVHost  string
	ISVToken string
	// Secrets opens the sealed secrets of signups and seals those of dead
	// letters.
	Secrets *events.Keyring
	// AllowPlainSecrets accepts plain-text secrets in signups. Default
	// false: a plain-text secret is refused as invalid input.
	AllowPlainSecrets bool
	// Subjects are the result and dead-letter subjects.
	Subjects events.Subjects
	// Source is the CloudEvents source of emitted events.
	// Default "urn:embedded-occ:provisioner".
	Source string
	// Owner names this worker in signup leases. Default: a random name.
	Owner string
	// Lease is how long a worker may hold a signup before another may take
	// it over. Default 2m; Handle renews it every Lease/3 while it works,
	// so it bounds only how long a crashed worker's signups wait for
	// another worker.
	Lease time.Duration
	// ISVRecheck is how long a signup waits for redelivery when Okta
	// rejects the ISV's own token. Default 30s.
	ISVRecheck time.Duration
	// MaxDeliver is the consumer's delivery limit, so the worker knows a
	// delivery is the last and dead-letters instead of asking for another.
	// 0 means unlimited.
	MaxDeliver int
	// Observer receives what happened, for metrics. Optional.
	Observer Observer
	Logger   zerolog.Logger
	Now      func() time.Time
	// CrashHook, when set, is called with the name of each step boundary
	// the worker passes (the Crash* constants). Test only: the fault suite
	// uses it to kill the process at an exact point. Default nil.
	CrashHook func(point string)
}

// Observer is told about outcomes, for metrics. Every method must be safe
// for concurrent use and fast.
type Observer interface {
	// Result is called once a result is committed: kind is "provisioned"
	// or "failed", code the error code ("" on success).
	Result(kind, code string)
	// Retry is called before each retry wait of a step.
	Retry(step string, wait time.Duration, rateLimited bool)
	// DeadLetter is called when a signup is dead-lettered.
	DeadLetter(reason string)
}

type nopObserver struct{}

func (nopObserver) Result(string, string)             {}
func (nopObserver) Retry(string, time.Duration, bool) {}
func (nopObserver) DeadLetter(string)                 {}

// Worker provisions signups. It is safe for concurrent use: the consumer
// runs one Handle per in-flight signup.
type Worker struct {
	cfg Config
	log zerolog.Logger

	// isvDown is set while Okta rejects the ISV's own token: no signup can
	// make progress, so the consumer stops taking new ones.
	isvDown atomic.Bool

	// inflight holds the ids of the signups this process is working on.
	// The lease cannot tell two deliveries of one signup in the same
	// process apart (one owner), and JetStream can hand out such a second
	// delivery when its consumer was re-created or an in-progress signal
	// was lost while the broker restarted.
	inflight sync.Map
}

// New checks cfg and returns a Worker.
func New(cfg Config) (*Worker, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("provision: Store is required")
	case cfg.Okta == nil:
		return nil, errors.New("provision: Okta client is required")
	case cfg.ISVHost == "":
		return nil, errors.New("provision: ISVHost is required")
	case cfg.ISVToken == "":
		return nil, errors.New("provision: ISVToken is required")
	case cfg.Secrets == nil:
		return nil, errors.New("provision: Secrets keyring is required")
	}
	if cfg.AllowPlainSecrets {
		cfg.Secrets = cfg.Secrets.AllowPlain()
	}
	if cfg.Subjects == (events.Subjects{}) {
		cfg.Subjects = events.DefaultSubjects()
	}
	if cfg.Source == "" {
		cfg.Source = "urn:embedded-occ:provisioner"
	}
	if cfg.Owner == "" {
		cfg.Owner = "worker-" + randomID(8)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.ISVRecheck <= 0 {
		cfg.ISVRecheck = isvRecheckDelay
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = 6
	}
	return &Worker{cfg: cfg, log: cfg.Logger}, nil
}

// Owner is the name this worker leases signups under.
func (w *Worker) Owner() string { return w.cfg.Owner }

// ISVHealthy reports whether Okta accepted the ISV's token last time it
// was used. While it is false the consumer takes no new signups.
func (w *Worker) ISVHealthy() bool { return !w.isvDown.Load() }

// CheckISV checks the ISV's token (GET /api/v1/users/me) and updates
// ISVHealthy. It returns the check's error.
func (w *Worker) CheckISV(ctx context.Context) error {
	_, err := w.cfg.Okta.Me(ctx, w.cfg.ISVHost, w.cfg.ISVToken)
	w.noteISV(err)
	if err != nil {
		return fmt.Errorf("check isv token: %w", err)
	}
	return nil
}

// noteISV records what a call made with the ISV's token says about it.
func (w *Worker) noteISV(err error) {
	oe := okta.AsError(err)
	switch {
	case err == nil:
		if w.isvDown.Swap(false) {
			w.log.Info().Str("isv_host", w.cfg.ISVHost).Msg("okta accepts the isv token again; taking signups")
		}
	case oe != nil && (oe.HTTPStatus == 401 || oe.HTTPStatus == 403):
		if !w.isvDown.Swap(true) {
			w.log.Error().Str("isv_host", w.cfg.ISVHost).Str("okta_error_code", oe.Code).
				Str("okta_request_id", oe.RequestID).
				Msg("okta rejects the isv token; no new signups are taken until it is fixed")
		}
	}
}

// Action is what the consumer should do with the signup message.
type Action int

// Actions.
const (
	// Ack: the signup's outcome is committed.
	Ack Action = iota
	// Retry: ask for redelivery after Outcome.Delay.
	Retry
	// Terminate: the signup was dead-lettered; stop redelivering.
	Terminate
)

func (a Action) String() string {
	switch a {
	case Ack:
		return "ack"
	case Retry:
		return "retry"
	case Terminate:
		return "terminate"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// Outcome is Handle's verdict on one delivery.
type Outcome struct {
	Action Action
	Delay  time.Duration
	// State is the signup's state after this delivery.
	State string
}
