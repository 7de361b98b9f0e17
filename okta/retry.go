package okta

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Defaults of RetryPolicy.
const (
	DefaultInitialInterval = 250 * time.Millisecond
	DefaultMaxInterval     = 10 * time.Second
	DefaultMaxAttempts     = 6
	DefaultMaxHold         = 20 * time.Second
)

// Waits the policy never goes below, and the window of the short jittered
// wait after a concurrency-limit 429.
const (
	minRetryWait         = 10 * time.Millisecond
	concurrencyWaitFloor = 100 * time.Millisecond
	concurrencyWaitSpan  = 900 * time.Millisecond
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

	// sleep and jitter replace the real wait and randomness in tests.
	// jitter returns a value in [0, n).
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(n int64) int64
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
//
// ErrAmbiguous is never retried: the caller must reconcile first. A wait
// that would outlast ctx's deadline also ends Do with a *DeferError. When
// ctx ends during a wait, the error wraps both ctx's error and op's last.
func (p RetryPolicy) Do(ctx context.Context, op func(ctx context.Context) error,
	onRetry func(attempt int, err error, wait time.Duration)) (int, error) {
	p = p.withDefaults()
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.InitialInterval),
		backoff.WithMaxInterval(p.MaxInterval),
		backoff.WithRandomizationFactor(0), // full jitter is applied below
		backoff.WithMultiplier(2),
		backoff.WithMaxElapsedTime(0),
	)

	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return attempt - 1, fmt.Errorf("retry: %w", err)
		}
		err := op(ctx)
		if err == nil {
			return attempt, nil
		}
		if !retryable(err) || attempt >= p.MaxAttempts {
			return attempt, err
		}

		wait := p.waitFor(err, b.NextBackOff())
		if wait > p.MaxHold || beyondDeadline(ctx, wait) {
			return attempt, &DeferError{After: wait, Err: err}
		}
		if onRetry != nil {
			onRetry(attempt, err, wait)
		}
		if serr := p.sleep(ctx, wait); serr != nil {
			return attempt, fmt.Errorf("retry: %w: %w", serr, err)
		}
	}
}

// retryable: transient, and neither ambiguous nor already deferred.
func retryable(err error) bool {
	var de *DeferError
	if errors.Is(err, ErrAmbiguous) || errors.As(err, &de) {
		return false
	}
	return IsTransient(err)
}

// waitFor picks the wait before the next attempt: Okta's RetryAfter when
// it gave one, a short jittered wait after a concurrency-limit 429, and
// otherwise full jitter over the backoff interval. Never below
// minRetryWait.
func (p RetryPolicy) waitFor(err error, interval time.Duration) time.Duration {
	var wait time.Duration
	oe := AsError(err)
	switch {
	case oe.IsConcurrencyLimit():
		wait = concurrencyWaitFloor + time.Duration(p.jitter(int64(concurrencyWaitSpan)))
	case oe != nil && oe.RetryAfter > 0:
		wait = oe.RetryAfter
	case interval > 0:
		wait = time.Duration(p.jitter(int64(interval) + 1))
	}
	return max(wait, minRetryWait)
}

// beyondDeadline reports whether waiting d would outlast ctx.
func beyondDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.InitialInterval <= 0 {
		p.InitialInterval = DefaultInitialInterval
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = DefaultMaxInterval
	}
	if p.MaxInterval < p.InitialInterval {
		p.MaxInterval = p.InitialInterval
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.MaxHold <= 0 {
		p.MaxHold = DefaultMaxHold
	}
	if p.sleep == nil {
		p.sleep = sleepCtx
	}
	if p.jitter == nil {
		p.jitter = rand.Int64N
	}
	return p
}
