package okta

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// testPolicy waits nothing and takes the top of every jitter range, so
// the waits it records are exact.
func testPolicy(sl *noSleep) RetryPolicy {
	return RetryPolicy{
		MaxAttempts: 4,
		sleep:       sl.sleep,
		jitter:      func(n int64) int64 { return n - 1 },
	}
}

func TestRetryAttempts(t *testing.T) {
	ok := reply{body: `{"id":"00u1"}`}
	e503 := reply{status: 503, body: oktaError(CodeReadOnly, "read-only")}
	e400 := reply{status: 400, body: oktaError(CodeValidation, "Api validation failed: website")}
	busy := reply{status: 400, body: oktaError(CodeSubdomainBusy, "in use by a different request")}
	noHeaders := reply{status: 429, body: string(testdataErr429)}
	near := rateLimited("600", "0", oktaNow.Add(5*time.Second))
	concurrency := rateLimited("0", "0", oktaNow.Add(5*time.Second))

	tests := []struct {
		name     string
		replies  []reply
		attempts int
		waits    []time.Duration // nil: only the count matters
		nwaits   int
		wantErr  bool
	}{
		{"2x503 then 200", []reply{e503, e503, ok}, 3,
			[]time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, 2, false},
		{"400 is permanent", []reply{e400}, 1, nil, 0, true},
		{"E0000171 is retried", []reply{busy, ok}, 2, nil, 1, false},
		{"503 until attempts run out", []reply{e503}, 4, nil, 3, true},
		{"429 waits Okta's reset", []reply{near, ok}, 2, []time.Duration{6 * time.Second}, 1, false},
		{"429 without headers backs off", []reply{noHeaders, ok}, 2,
			[]time.Duration{250 * time.Millisecond}, 1, false},
		{"concurrency 429 waits short", []reply{concurrency, ok}, 2,
			[]time.Duration{time.Second - 1}, 1, false},
	}
	for _, tt := range tests {
		var sl noSleep
		rs := newReplies(tt.replies...)
		c := newTestClient(t, rs, nil)
		op := func(ctx context.Context) error {
			_, err := c.Me(ctx, testHost, testToken)
			return err
		}
		attempts, err := testPolicy(&sl).Do(testCtx(t), op, nil)
		if attempts != tt.attempts || int(rs.count.Load()) != tt.attempts {
			t.Errorf("%s: attempts = %d (server saw %d), want %d",
				tt.name, attempts, rs.count.Load(), tt.attempts)
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
		}
		got := sl.got()
		if len(got) != tt.nwaits {
			t.Errorf("%s: waits = %v, want %d", tt.name, got, tt.nwaits)
		}
		for i := range tt.waits {
			if i < len(got) && got[i] != tt.waits[i] {
				t.Errorf("%s: wait %d = %v, want %v", tt.name, i, got[i], tt.waits[i])
			}
		}
	}
}

func TestRetryDefersFarReset(t *testing.T) {
	var sl noSleep
	rs := newReplies(rateLimited("600", "0", oktaNow.Add(50*time.Second)))
	c := newTestClient(t, rs, nil)
	op := func(ctx context.Context) error {
		_, err := c.Me(ctx, testHost, testToken)
		return err
	}
	attempts, err := testPolicy(&sl).Do(testCtx(t), op, nil)

	var de *DeferError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want *DeferError", err)
	}
	if attempts != 1 || de.After != 51*time.Second || len(sl.got()) != 0 {
		t.Errorf("attempts %d, After %v, waits %v; want 1, 51s, none", attempts, de.After, sl.got())
	}
	if oe := AsError(err); oe == nil || oe.HTTPStatus != 429 {
		t.Errorf("DeferError does not wrap the 429: %v", err)
	}
}

func TestRetryDefersPastDeadline(t *testing.T) {
	var sl noSleep
	rs := newReplies(rateLimited("600", "0", oktaNow.Add(5*time.Second)))
	c := newTestClient(t, rs, nil)
	ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
	defer cancel()
	op := func(ctx context.Context) error {
		_, err := c.Me(ctx, testHost, testToken)
		return err
	}
	attempts, err := testPolicy(&sl).Do(ctx, op, nil)
	var de *DeferError
	if !errors.As(err, &de) || attempts != 1 || de.After != 6*time.Second {
		t.Errorf("Do = %d, %v; want 1 attempt and a 6s *DeferError", attempts, err)
	}
}

func TestRetryNeverRepeatsAmbiguous(t *testing.T) {
	var sl noSleep
	srv := newTestServer(t, hangUp(false))
	c := newClientFor(t, srv.URL, nil)
	op := func(ctx context.Context) error {
		_, err := c.CreateOrg(ctx, testHost, testToken, sampleOrgRequest())
		return err
	}
	attempts, err := testPolicy(&sl).Do(testCtx(t), op, nil)
	if attempts != 1 || !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Do = %d, %v; want 1 attempt, ErrAmbiguous", attempts, err)
	}
	// Even when marked transient, ambiguity is the caller's to resolve.
	attempts, _ = testPolicy(&sl).Do(testCtx(t), func(context.Context) error {
		return Transient(err)
	}, nil)
	if attempts != 1 {
		t.Errorf("Transient(ambiguous): %d attempts, want 1", attempts)
	}
}

func TestRetryTransportGET(t *testing.T) {
	var sl noSleep
	srv := newTestServer(t, hangUp(true))
	c := newClientFor(t, srv.URL, nil)
	op := func(ctx context.Context) error {
		_, err := c.Metadata(ctx, testHost, testToken, testAppID)
		return err
	}
	attempts, err := testPolicy(&sl).Do(testCtx(t), op, nil)
	if attempts != 4 || !errors.Is(err, ErrTransport) {
		t.Errorf("Do = %d, %v; want 4 attempts, ErrTransport", attempts, err)
	}
}

func TestRetryBackoffGrowsAndCaps(t *testing.T) {
	var sl noSleep
	p := testPolicy(&sl)
	p.MaxAttempts = 7
	p.MaxInterval = 2 * time.Second
	var calls []int
	onRetry := func(attempt int, err error, wait time.Duration) { calls = append(calls, attempt) }
	attempts, err := p.Do(testCtx(t), func(context.Context) error {
		return Transient(errors.New("not ready yet"))
	}, onRetry)
	if attempts != 7 || err == nil {
		t.Fatalf("Do = %d, %v; want 7 attempts and the last error", attempts, err)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second,
		2 * time.Second, 2 * time.Second, 2 * time.Second}
	got := sl.got()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, got[i], want[i])
		}
	}
	if len(calls) != 6 || calls[0] != 1 || calls[5] != 6 {
		t.Errorf("onRetry attempts = %v, want 1..6", calls)
	}
}

func TestRetryWaitNeverZero(t *testing.T) {
	p := RetryPolicy{jitter: func(int64) int64 { return 0 }}.withDefaults()
	errs := []error{
		Transient(errors.New("x")),
		&Error{HTTPStatus: 429},
		&Error{HTTPStatus: 429, ConcurrencyLimited: true},
		&Error{HTTPStatus: 429, RetryAfter: -time.Second},
	}
	for _, err := range errs {
		for _, interval := range []time.Duration{0, -time.Second, time.Second} {
			if got := p.waitFor(err, interval); got < minRetryWait {
				t.Errorf("waitFor(%v, %v) = %v, want at least %v", err, interval, got, minRetryWait)
			}
		}
	}
	conc := &Error{HTTPStatus: 429, ConcurrencyLimited: true}
	if got := p.waitFor(conc, time.Hour); got < 100*time.Millisecond {
		t.Errorf("concurrency wait %v, want at least 100ms", got)
	}
}

func TestRetryStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	p := RetryPolicy{
		sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		},
	}
	busy := &Error{HTTPStatus: http.StatusServiceUnavailable}
	attempts, err := p.Do(ctx, func(context.Context) error { return busy }, nil)
	if attempts != 1 || !errors.Is(err, context.Canceled) || AsError(err) != busy {
		t.Errorf("Do = %d, %v; want 1 attempt, Canceled wrapping the 503", attempts, err)
	}
	attempts, err = p.Do(ctx, func(context.Context) error { return nil }, nil)
	if attempts != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Do on ended ctx = %d, %v; want 0 attempts, Canceled", attempts, err)
	}
}

func TestRetryDoesNotNestDefer(t *testing.T) {
	var sl noSleep
	inner := &DeferError{After: time.Minute, Err: &Error{HTTPStatus: 429}}
	attempts, err := testPolicy(&sl).Do(testCtx(t), func(context.Context) error { return inner }, nil)
	if attempts != 1 || err != inner {
		t.Errorf("Do = %d, %v; want 1 attempt returning the DeferError", attempts, err)
	}
}

func TestRetryRealSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := RetryPolicy{InitialInterval: time.Hour, MaxInterval: time.Hour, MaxHold: 2 * time.Hour}
	calls := 0
	done := make(chan error, 1)
	go func() {
		_, err := p.Do(ctx, func(context.Context) error {
			calls++
			return Transient(errors.New("x"))
		}, func(int, error, time.Duration) { cancel() })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("Do = %v after %d calls, want Canceled after 1", err, calls)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do kept waiting after ctx ended")
	}
}
