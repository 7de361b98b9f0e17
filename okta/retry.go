package okta

import (
	"context"
	"time"
)

// RetryPolicy retries transient Okta failures with exponential backoff and
// full jitter, honouring Okta's rate-limit reset. The zero value of every
// field means its default.
type RetryPolicy struct {
	// InitialInterval is the first backoff. Default 250ms.
	InitialInterval time.Duration
	// MaxInterval caps one backoff. Default 10s.
	MaxInterval time.Duration
	// MaxAttempts bounds the attempts of one call, the first included.
	// Default 6.
	MaxAttempts int
	// MaxHold is the longest single wait the caller should hold its
	// goroutine for; a longer wait (a far rate-limit reset) ends Do with a
	// *DeferError. Default 20s.
	MaxHold time.Duration
}

// DeferError says: stop now and try again after After (a delayed
// redelivery), because waiting in place would hold the worker too long.
type DeferError struct {
	After time.Duration
	Err   error
}

func (d *DeferError) Error() string { return "deferred " + d.After.String() + ": " + d.Err.Error() }
func (d *DeferError) Unwrap() error { return d.Err }

// Do calls op until it succeeds, fails permanently (IsTransient false), the
// attempts run out (the last error is returned), ctx ends, or a wait longer
// than MaxHold is needed (*DeferError). onRetry, when set, is called before
// each wait. It returns how many attempts were made.
func (p RetryPolicy) Do(ctx context.Context, op func(ctx context.Context) error,
	onRetry func(attempt int, err error, wait time.Duration)) (int, error) {
	panic("TODO")
}
