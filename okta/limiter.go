package okta

import (
	"sync"
	"time"
)

// limiter remembers, per host and bucket, the last rate-limit state and
// spreads the remaining requests of a nearly spent window until its reset.
//
// When a window's reset passes, the limiter starts the next window on its
// own (it "rolls" the bucket) instead of forgetting it: requests that
// waited for the reset are counted against the new window, so they cannot
// flood it, and the first answers of the new window are merged with that
// count, the lower Remaining winning.
type limiter struct {
	mu      sync.Mutex
	buckets map[bucketKey]*bucketState
	// nextPrune is the earliest time of the next prune: a prune walks every
	// bucket, and with many new orgs a minute each update would.
	nextPrune time.Time
	clock     clockOffset
}

type bucketKey struct{ host, bucket string }

type bucketState struct {
	limit, remaining int64
	reset            time.Time // local clock
	okReset          int64     // Okta's reset, to tell windows apart
	next             time.Time // earliest local time for the next send
	// window is the window's length as two resets apart showed it; until
	// then Okta's minute.
	window time.Duration
	// rolled is set when the limiter started this window itself, before
	// any answer from it arrived.
	rolled bool
	// queued counts requests waiting for the reset, taken from the next
	// window.
	queued int64
}

// defaultWindow is the length of Okta's rate-limit windows.
const defaultWindow = time.Minute

// maxBuckets is the bucket count above which past windows are dropped;
// at hardMaxBuckets buckets far from their limit go too.
const (
	maxBuckets     = 1024
	hardMaxBuckets = 4 * maxBuckets
	pruneEvery     = time.Second
)

// prune drops buckets whose window has ended, at most once per pruneEvery
// unless the hard bound is reached. At the hard bound it also drops
// buckets with plenty of requests left: they slow no request down, and a
// later answer brings them back.
func (l *limiter) prune(now time.Time) {
	hard := len(l.buckets) >= hardMaxBuckets
	if !hard && now.Before(l.nextPrune) {
		return
	}
	l.nextPrune = now.Add(pruneEvery)
	for k, st := range l.buckets {
		if !now.Before(st.reset) || hard && st.remaining > lowWater(st.limit) {
			delete(l.buckets, k)
		}
	}
}

func newLimiter() *limiter {
	return &limiter{buckets: make(map[bucketKey]*bucketState)}
}

// lowWater is the Remaining at or below which requests are spread out.
func lowWater(limit int64) int64 {
	return max(1, limit*5/100)
}

// reserve takes one request from the bucket and returns how long to wait
// before sending it; 0 when the bucket is unknown or not nearly spent.
func (l *limiter) reserve(host, bucket string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()

	st := l.buckets[bucketKey{host, bucket}]
	if st == nil {
		return 0
	}
	if !now.Before(st.reset) {
		st.roll(now)
	}
	if st.remaining > lowWater(st.limit) {
		st.remaining--
		return 0
	}
	if st.remaining <= 0 {
		// Spent: wait for the reset, in the next window's budget, or for
		// the window after it once that budget is taken too.
		if st.queued < st.limit-lowWater(st.limit) {
			st.queued++
			return st.reset.Sub(now)
		}
		return st.reset.Add(st.window).Sub(now)
	}

	slot := now
	if st.next.After(slot) {
		slot = st.next
	}
	st.next = slot.Add(st.reset.Sub(slot) / time.Duration(st.remaining))
	st.remaining--
	return slot.Sub(now)
}

// roll starts the window after st's on the local clock. Requests sent
// just before the reset may still land in the new window, so its budget
// starts a low-water mark short, less the requests that waited for it.
func (st *bucketState) roll(now time.Time) {
	st.remaining = max(0, st.limit-lowWater(st.limit)-st.queued)
	st.queued = 0
	st.rolled = true
	st.next = time.Time{}
	st.reset = st.reset.Add(st.window)
	if !now.Before(st.reset) {
		st.reset = now.Add(st.window)
	}
}

// update records a response's view of the bucket. Within one window the
// lower Remaining wins, so a late answer cannot undo a newer one.
func (l *limiter) update(host, bucket string, rh rateHeaders, received time.Time) {
	if !rh.hasLimit || !rh.hasReset || !rh.hasDate || rh.concurrency() || rh.limit <= 0 {
		return
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.clock.add(rh.date.Sub(received))
	reset := l.clock.local(rh.reset)
	key := bucketKey{host, bucket}
	st := l.buckets[key]
	if st != nil && st.okReset == rh.reset {
		st.remaining = min(st.remaining, rh.remaining)
		st.limit = rh.limit
		return
	}
	if st != nil && st.okReset > rh.reset {
		return // an older window's answer
	}
	if len(l.buckets) >= maxBuckets {
		l.prune(received)
	}
	fresh := &bucketState{limit: rh.limit, remaining: rh.remaining, reset: reset, okReset: rh.reset,
		window: defaultWindow}
	if st != nil {
		if d := time.Duration(rh.reset-st.okReset) * time.Second; d > 0 && d <= maxResetAhead {
			fresh.window = d
		}
		switch {
		case st.rolled:
			// The limiter's own count of the window is as good as Okta's.
			fresh.remaining = min(fresh.remaining, st.remaining)
		default:
			// Okta's new window began before the limiter saw the reset:
			// requests waiting for that reset will still go out in it.
			fresh.remaining = max(0, fresh.remaining-st.queued)
		}
	}
	l.buckets[key] = fresh
}

// clockOffset estimates Okta's clock minus the local one from recent
// answers. Each answer gives Okta's Date (whole seconds, rounded down)
// minus the local time it arrived, which is at most the true offset and
// more than it less a second. The largest recent sample is the closest
// bound; the spread of the samples says how close: one sample leaves the
// whole second open, samples from all over the second leave little.
type clockOffset struct {
	samples [64]time.Duration
	n       int // samples taken, the ring is full from len(samples)
}

func (c *clockOffset) add(d time.Duration) {
	c.samples[c.n%len(c.samples)] = d
	c.n++
}

// local moves Okta's reset (epoch seconds) onto the local clock, late by
// the offset's uncertainty rather than early.
func (c *clockOffset) local(reset int64) time.Time {
	k := min(c.n, len(c.samples))
	hi, lo := c.samples[0], c.samples[0]
	for _, d := range c.samples[1:k] {
		hi, lo = max(hi, d), min(lo, d)
	}
	open := min(max(lo+time.Second-hi, 0), time.Second)
	return time.Unix(reset, 0).Add(-hi).Add(open)
}
