package okta

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// rateHdr is one answer's rate-limit headers, dated at Okta's time at.
func rateHdr(limit, remaining int, at, reset time.Time) rateHeaders {
	return parseRateHeaders(http.Header{
		"Date":                   {oktaDate(at)},
		"X-Rate-Limit-Limit":     {strconv.Itoa(limit)},
		"X-Rate-Limit-Remaining": {strconv.Itoa(remaining)},
		"X-Rate-Limit-Reset":     {epoch(reset)},
	})
}

func TestLimiterRollsSpentWindow(t *testing.T) {
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter()
	w1 := oktaNow.Add(10 * time.Second)
	l.update(testHost, bucketOrgs, rateHdr(100, 0, oktaNow, w1), local)

	// Spent: the waiters are given the reset (10s, +1s for Date's
	// rounding), and each is counted against the next window.
	for i := range 3 {
		if got, want := l.reserve(testHost, bucketOrgs, local), 11*time.Second; got != want {
			t.Fatalf("waiter %d: wait %v, want %v", i, got, want)
		}
	}
	// At the reset the limiter starts the next window itself with 100 less
	// a low-water mark of 5 less the 3 waiters: all but the last 5 go at
	// once, and so does the first of those 5, spread over the window.
	later := local.Add(11 * time.Second)
	free := 0
	for l.reserve(testHost, bucketOrgs, later) == 0 && free < 200 {
		free++
	}
	if got, want := free, 100-5-3-5+1; got != want {
		t.Errorf("requests without waiting in the rolled window = %d, want %d", got, want)
	}
}

func TestLimiterMergesRolledWindow(t *testing.T) {
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter()
	w1 := oktaNow.Add(10 * time.Second)
	l.update(testHost, bucketOrgs, rateHdr(100, 50, oktaNow, w1), local)
	later := local.Add(11 * time.Second)
	for range 60 { // rolls, then takes 60 of the new window's 95
		l.reserve(testHost, bucketOrgs, later)
	}
	// Okta's first answer of the new window says 90 left: it has not seen
	// most of the 60 yet, so the limiter's own count (35) stands.
	w2 := w1.Add(10 * time.Second)
	l.update(testHost, bucketOrgs, rateHdr(100, 90, w1.Add(time.Second), w2), later)
	st := l.buckets[bucketKey{testHost, bucketOrgs}]
	if got, want := st.remaining, int64(35); got != want {
		t.Errorf("remaining = %d, want %d", got, want)
	}
	if got, want := st.window, 10*time.Second; got != want {
		t.Errorf("window = %v, want %v (two resets apart)", got, want)
	}
}

func TestClockOffsetNarrows(t *testing.T) {
	var c clockOffset
	reset := oktaNow.Add(time.Minute).Unix()
	c.add(-300 * time.Millisecond)
	if got, want := c.local(reset), time.Unix(reset, 0).Add(1300*time.Millisecond); !got.Equal(want) {
		t.Errorf("one sample: local reset %v, want %v", got, want)
	}
	// Samples from all over the second pin the offset down.
	for _, ms := range []int{-950, -700, -420, -180, -20} {
		c.add(time.Duration(ms) * time.Millisecond)
	}
	got := c.local(reset).Sub(time.Unix(reset, 0))
	if got < 20*time.Millisecond || got > 100*time.Millisecond {
		t.Errorf("many samples: local reset %v after Okta's, want just after", got)
	}
}

func TestLimiterPruneIsRare(t *testing.T) {
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter()
	reset := oktaNow.Add(time.Minute)
	for i := range maxBuckets + 10 {
		host := "org" + strconv.Itoa(i) + ".oktapreview.com"
		l.update(host, bucketApps, rateHdr(100, 99, oktaNow, reset), local)
	}
	if got := len(l.buckets); got != maxBuckets+10 {
		t.Fatalf("buckets = %d, want %d (none has expired)", got, maxBuckets+10)
	}
	// Past every reset: the next prune drops them all, but only once a
	// second has gone by since the last one.
	past := local.Add(2 * time.Minute)
	l.update("late.oktapreview.com", bucketApps, rateHdr(100, 99, oktaNow.Add(2*time.Minute),
		reset.Add(2*time.Minute)), past)
	if got := len(l.buckets); got != 1 {
		t.Errorf("after a prune: %d buckets, want 1", got)
	}
}
