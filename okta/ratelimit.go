package okta

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate-limit buckets, as Okta groups these endpoints.
const (
	bucketOrgs = "POST /api/v1/orgs"
	bucketApps = "/api/v1/apps*"
	bucketMe   = "/api/v1/users/me"
)

// maxResetAhead is the furthest ahead of Okta's Date a reset may lie; a
// later one is treated as malformed. Okta's windows are one minute.
const maxResetAhead = time.Hour

// rateHeaders is what one response said in its rate-limit headers.
type rateHeaders struct {
	limit, remaining int64
	reset            int64 // epoch seconds, Okta's clock
	date             time.Time
	hasLimit         bool // Limit and Remaining both valid
	hasReset         bool
	hasDate          bool
}

// parseRateHeaders reads X-Rate-Limit-* and Date. A header that is
// missing, repeated with differing values or malformed counts as absent.
func parseRateHeaders(h http.Header) rateHeaders {
	var rh rateHeaders
	limit, okL := headerInt(h, "X-Rate-Limit-Limit")
	remaining, okR := headerInt(h, "X-Rate-Limit-Remaining")
	if okL && okR && limit >= 0 && remaining >= 0 {
		rh.limit, rh.remaining, rh.hasLimit = limit, remaining, true
	}
	if reset, ok := headerInt(h, "X-Rate-Limit-Reset"); ok && reset > 0 {
		rh.reset, rh.hasReset = reset, true
	}
	if v, ok := headerOne(h, "Date", false); ok {
		if d, err := http.ParseTime(v); err == nil {
			rh.date, rh.hasDate = d, true
		}
	}
	return rh
}

// concurrency reports a concurrency-limit answer: Limit and Remaining 0.
func (rh rateHeaders) concurrency() bool {
	return rh.hasLimit && rh.limit == 0 && rh.remaining == 0
}

// retryAfter is Reset - Date + 1s, measured on Okta's clock alone; 0 when
// either is unusable or the reset is not after the date.
func (rh rateHeaders) retryAfter() time.Duration {
	if !rh.hasReset || !rh.hasDate || rh.concurrency() {
		return 0
	}
	ahead := time.Unix(rh.reset, 0).Sub(rh.date)
	if ahead <= 0 || ahead > maxResetAhead {
		return 0
	}
	return ahead + time.Second
}

// rateLimit converts the headers to the exported form, with the reset on
// the local clock given the local time the answer arrived.
func (rh rateHeaders) rateLimit(received time.Time) *RateLimit {
	if !rh.hasLimit {
		return nil
	}
	rl := &RateLimit{Limit: int(rh.limit), Remaining: int(rh.remaining)}
	if rh.hasReset && rh.hasDate {
		rl.Reset = localReset(rh, received)
	}
	return rl
}

// localReset moves Okta's reset onto the local clock: the offset is
// Okta's Date minus the local receive time. Date has one-second steps,
// so the result is rounded up by a second.
func localReset(rh rateHeaders, received time.Time) time.Time {
	offset := rh.date.Sub(received)
	return time.Unix(rh.reset, 0).Add(-offset).Add(time.Second)
}

// headerInt reads a header holding one integer.
func headerInt(h http.Header, name string) (int64, bool) {
	v, ok := headerOne(h, name, true)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// headerOne returns the header's single value. Repeats are accepted only
// when every value is the same; splitComma also splits "a, b" lists.
func headerOne(h http.Header, name string, splitComma bool) (string, bool) {
	var vals []string
	for _, v := range h.Values(name) {
		if splitComma {
			vals = append(vals, strings.Split(v, ",")...)
		} else {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return "", false
	}
	first := strings.TrimSpace(vals[0])
	for _, v := range vals[1:] {
		if strings.TrimSpace(v) != first {
			return "", false
		}
	}
	return first, first != ""
}
