package okta

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// oktaNow is Okta's clock in these tests, far from the local one.
var oktaNow = time.Date(2018, 1, 27, 21, 33, 25, 0, time.UTC)

func oktaDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func epoch(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestRetryAfterFromHeaders(t *testing.T) {
	date := oktaDate(oktaNow)
	reset := epoch(oktaNow.Add(30 * time.Second))
	tests := []struct {
		name        string
		header      http.Header
		want        time.Duration
		concurrency bool
	}{
		{"reset minus date plus 1s", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset}},
			31 * time.Second, false},
		{"RFC 850 date", http.Header{"Date": {"Saturday, 27-Jan-18 21:33:25 GMT"},
			"X-Rate-Limit-Reset": {reset}}, 31 * time.Second, false},
		{"repeated equal reset", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset, reset}},
			31 * time.Second, false},
		{"missing date", http.Header{"X-Rate-Limit-Reset": {reset}}, 0, false},
		{"missing reset", http.Header{"Date": {date}}, 0, false},
		{"repeated differing reset", http.Header{"Date": {date},
			"X-Rate-Limit-Reset": {reset, epoch(oktaNow.Add(time.Minute))}}, 0, false},
		{"comma list reset", http.Header{"Date": {date},
			"X-Rate-Limit-Reset": {reset + ", " + epoch(oktaNow)}}, 0, false},
		{"repeated differing date", http.Header{"Date": {date, oktaDate(oktaNow.Add(time.Hour))},
			"X-Rate-Limit-Reset": {reset}}, 0, false},
		{"malformed reset", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {"soon"}}, 0, false},
		{"fractional reset", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset + ".5"}}, 0, false},
		{"malformed date", http.Header{"Date": {"yesterday"}, "X-Rate-Limit-Reset": {reset}}, 0, false},
		{"reset equals date", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {epoch(oktaNow)}},
			0, false},
		{"reset before date", http.Header{"Date": {date},
			"X-Rate-Limit-Reset": {epoch(oktaNow.Add(-time.Minute))}}, 0, false},
		{"zero reset", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {"0"}}, 0, false},
		{"negative reset", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {"-5"}}, 0, false},
		{"reset absurdly far", http.Header{"Date": {date},
			"X-Rate-Limit-Reset": {epoch(oktaNow.Add(2 * time.Hour))}}, 0, false},
		{"concurrency limit", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset},
			"X-Rate-Limit-Limit": {"0"}, "X-Rate-Limit-Remaining": {"0"}}, 0, true},
		{"bucket spent", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset},
			"X-Rate-Limit-Limit": {"600"}, "X-Rate-Limit-Remaining": {"0"}}, 31 * time.Second, false},
	}
	for _, tt := range tests {
		rh := parseRateHeaders(tt.header)
		if got := rh.retryAfter(); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
		if got := rh.concurrency(); got != tt.concurrency {
			t.Errorf("%s: concurrency = %v, want %v", tt.name, got, tt.concurrency)
		}
	}
}

// rateLimited is a 429 with Okta's clock at oktaNow and the given reset.
func rateLimited(limit, remaining string, reset time.Time) reply {
	return reply{status: 429, body: string(testdataErr429), header: map[string]string{
		"Date":                   oktaDate(oktaNow),
		"X-Rate-Limit-Limit":     limit,
		"X-Rate-Limit-Remaining": remaining,
		"X-Rate-Limit-Reset":     epoch(reset),
	}}
}

var testdataErr429 = []byte(oktaError(CodeRateLimited,
	"API call exceeded rate limit due to too many requests."))

func TestRetryAfterIgnoresLocalClock(t *testing.T) {
	skews := []time.Duration{0, -3 * time.Hour, 5 * 24 * time.Hour, 8 * 365 * 24 * time.Hour}
	for _, skew := range skews {
		rp := rateLimited("600", "0", oktaNow.Add(45*time.Second))
		c := newTestClient(t, newReplies(rp), func(cfg *Config) {
			cfg.Now = func() time.Time { return time.Now().Add(skew) }
			cfg.NoThrottle = false
		})
		_, err := c.Me(testCtx(t), testHost, testToken)
		oe := AsError(err)
		if oe == nil || oe.HTTPStatus != 429 || oe.Code != CodeRateLimited {
			t.Fatalf("skew %v: err = %v, want a 429 *Error", skew, err)
		}
		if got, want := oe.RetryAfter, 46*time.Second; got != want {
			t.Errorf("skew %v: RetryAfter = %v, want %v", skew, got, want)
		}
		if oe.IsConcurrencyLimit() {
			t.Errorf("skew %v: per-minute 429 reported as concurrency limit", skew)
		}
	}
}

func TestConcurrencyLimit429(t *testing.T) {
	rp := rateLimited("0", "0", oktaNow.Add(45*time.Second))
	c := newTestClient(t, newReplies(rp), nil)
	_, err := c.Me(testCtx(t), testHost, testToken)
	oe := AsError(err)
	if oe == nil || !oe.IsConcurrencyLimit() || oe.RetryAfter != 0 {
		t.Errorf("err = %+v, want a concurrency-limit 429 with RetryAfter 0", oe)
	}
	if !IsTransient(err) {
		t.Errorf("concurrency 429 not transient")
	}
}

// bucketServer answers 200 with a per-minute bucket that drops by one on
// each request, on Okta's clock oktaNow with the reset 10s later.
func bucketServer(limit, start int) http.Handler {
	n := newReplies()
	for rem := start; rem >= 0; rem-- {
		n.list = append(n.list, reply{body: `{"id":"00u1"}`, header: map[string]string{
			"Date":                   oktaDate(oktaNow),
			"X-Rate-Limit-Limit":     strconv.Itoa(limit),
			"X-Rate-Limit-Remaining": strconv.Itoa(rem),
			"X-Rate-Limit-Reset":     epoch(oktaNow.Add(10 * time.Second)),
		}})
	}
	return n
}

func TestThrottleSpreadsRemaining(t *testing.T) {
	// The local clock is years away from Okta's and stands still, so every
	// wait is exact: the window ends 10s (+1s for Date's rounding) ahead.
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	var sl noSleep
	var seen []Exchange
	c := newTestClient(t, bucketServer(100, 2), func(cfg *Config) {
		cfg.NoThrottle = false
		cfg.Now = func() time.Time { return local }
		cfg.Observe = func(ex Exchange) { seen = append(seen, ex) }
	})
	c.sleep = sl.sleep

	for range 4 {
		if _, err := c.Me(testCtx(t), testHost, testToken); err != nil {
			t.Fatalf("Me: %v", err)
		}
	}
	// Remaining 2 → go now, then 11s/2 later; remaining 0 → wait for reset.
	want := []time.Duration{5500 * time.Millisecond, 11 * time.Second}
	got := sl.got()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if seen[2].Throttled != want[0] || seen[3].Throttled != want[1] || seen[1].Throttled != 0 {
		t.Errorf("Throttled = %v %v %v", seen[1].Throttled, seen[2].Throttled, seen[3].Throttled)
	}
	if rl := seen[0].RateLimit; rl == nil || !rl.Reset.Equal(local.Add(11*time.Second)) {
		t.Errorf("RateLimit = %+v, want reset 11s after the local clock", rl)
	}

	// Another bucket and another host are unaffected.
	_, _ = c.Metadata(testCtx(t), testHost, testToken, testAppID) // only the wait matters
	if _, err := c.Me(testCtx(t), "other.oktapreview.com", testToken); err != nil {
		t.Fatalf("Me other host: %v", err)
	}
	if got := len(sl.got()); got != 2 {
		t.Errorf("waits after other bucket and host = %d, want 2", got)
	}
}

func TestThrottleBounds(t *testing.T) {
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"NoThrottle", func(cfg *Config) { cfg.NoThrottle = true }},
		{"wait over MaxThrottleWait", func(cfg *Config) { cfg.MaxThrottleWait = time.Second }},
	}
	for _, tt := range tests {
		var sl noSleep
		c := newTestClient(t, bucketServer(100, 0), func(cfg *Config) {
			cfg.NoThrottle = false
			cfg.Now = func() time.Time { return local }
			tt.mod(cfg)
		})
		c.sleep = sl.sleep
		for range 3 {
			_, _ = c.Me(testCtx(t), testHost, testToken)
		}
		if got := sl.got(); len(got) != 0 {
			t.Errorf("%s: waited %v", tt.name, got)
		}
	}
}

func TestLimiterUpdate(t *testing.T) {
	local := time.Date(2031, 5, 1, 8, 0, 0, 0, time.UTC)
	hdr := func(rem int, reset time.Time) rateHeaders {
		return parseRateHeaders(http.Header{
			"Date":                   {oktaDate(oktaNow)},
			"X-Rate-Limit-Limit":     {"100"},
			"X-Rate-Limit-Remaining": {strconv.Itoa(rem)},
			"X-Rate-Limit-Reset":     {epoch(reset)},
		})
	}
	l := newLimiter()
	w1 := oktaNow.Add(30 * time.Second)
	l.update(testHost, bucketMe, hdr(0, w1), local)
	l.update(testHost, bucketMe, hdr(50, w1), local) // late answer, same window
	if got := l.reserve(testHost, bucketMe, local); got != 31*time.Second {
		t.Errorf("same window: wait %v, want 31s (lowest Remaining wins)", got)
	}
	l.update(testHost, bucketMe, hdr(90, w1.Add(time.Minute)), local) // new window
	l.update(testHost, bucketMe, hdr(0, w1), local)                   // stale window
	if got := l.reserve(testHost, bucketMe, local); got != 0 {
		t.Errorf("new window: wait %v, want 0", got)
	}
	if got := l.reserve(testHost, bucketMe, local.Add(2*time.Minute)); got != 0 {
		t.Errorf("past reset: wait %v, want 0", got)
	}
}
