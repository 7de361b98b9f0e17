package oktatest

import (
	"fmt"
	"time"
)

// Rate-limit buckets. Each org host has its own counter per bucket.
const (
	// BucketOrgs counts org creations.
	BucketOrgs = "POST /api/v1/orgs"
	// BucketApps is shared by app creation, app listing and metadata.
	BucketApps = "/api/v1/apps*"
	// BucketMe counts GET /api/v1/users/me.
	BucketMe = "/api/v1/users/me"
	// BucketOther counts every other request.
	BucketOther = "/api/v1/*"
)

// Default rate limit of every bucket: generous, so only tests that lower
// it meet a 429.
const (
	DefaultRateLimit  = 10000
	DefaultRateWindow = time.Minute
)

type limit struct {
	n      int
	window time.Duration
}

type windowKey struct {
	host   string
	bucket string
}

// window is a fixed window that starts at the first request after the
// previous one ended.
type window struct {
	start time.Time
	count int
}

// rateState is what one request learnt from its bucket.
type rateState struct {
	limit     int
	remaining int
	reset     int64 // epoch seconds
	exceeded  bool
}

func defaultLimits() map[string]limit {
	m := make(map[string]limit)
	for _, b := range []string{BucketOrgs, BucketApps, BucketMe, BucketOther} {
		m[b] = limit{n: DefaultRateLimit, window: DefaultRateWindow}
	}
	return m
}

// SetRateLimit sets the limit of bucket (one of the Bucket constants) for
// every org: n requests per window. It restarts the bucket's windows.
func (s *Server) SetRateLimit(bucket string, n int, window time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.limits[bucket]; !ok {
		return fmt.Errorf("set rate limit: unknown bucket %q", bucket)
	}
	if n < 0 || window <= 0 {
		return fmt.Errorf("set rate limit: bad limit %d per %s", n, window)
	}
	s.limits[bucket] = limit{n: n, window: window}
	for k := range s.windows {
		if k.bucket == bucket {
			delete(s.windows, k)
		}
	}
	return nil
}

// takeRate counts one request of host in bucket at now.
func (s *Server) takeRate(host, bucket string, now time.Time) rateState {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits[bucket]
	k := windowKey{host: host, bucket: bucket}
	w := s.windows[k]
	if w == nil || !now.Before(w.start.Add(l.window)) {
		w = &window{start: now}
		s.windows[k] = w
	}
	w.count++
	end := w.start.Add(l.window)
	reset := end.Unix()
	if end.After(time.Unix(reset, 0)) {
		reset++ // round up: the window is over only after Reset
	}
	st := rateState{limit: l.n, remaining: l.n - w.count, reset: reset}
	if st.remaining < 0 {
		st.remaining = 0
		st.exceeded = true
	}
	return st
}
