package okta

import (
	"errors"
	"fmt"
	"time"
)

// Error is an error answer from Okta: the HTTP status, Okta's error body and
// the request id. It never carries a token.
type Error struct {
	// HTTPStatus is the response status, such as 400 or 429.
	HTTPStatus int `json:"-"`
	// Code is Okta's errorCode, such as "E0000088"; empty when the body was
	// not an Okta error body (then Summary holds the status text).
	Code    string  `json:"errorCode"`
	Summary string  `json:"errorSummary"`
	Link    string  `json:"errorLink"`
	ID      string  `json:"errorId"`
	Causes  []Cause `json:"errorCauses"`
	// RequestID is the response's X-Okta-Request-Id header.
	RequestID string `json:"-"`
	// RetryAfter is how long Okta asked the caller to wait (429), measured
	// from Okta's own Date header; zero when it did not say.
	RetryAfter time.Duration `json:"-"`
	// Method and Endpoint name the call, e.g. "POST" "/api/v1/orgs".
	Method   string `json:"-"`
	Endpoint string `json:"-"`
	// ConcurrencyLimited is set on a 429 that reports the org's concurrent
	// request limit (X-Rate-Limit-Limit and -Remaining both 0) rather than
	// a per-minute bucket. Its reset is only an estimate, so RetryAfter is
	// zero and a retry should come after a short jittered wait.
	ConcurrencyLimited bool `json:"-"`
}

// IsConcurrencyLimit reports whether e is a concurrency-limit 429.
func (e *Error) IsConcurrencyLimit() bool {
	return e != nil && e.HTTPStatus == 429 && e.ConcurrencyLimited
}

// Cause is one entry of Okta's errorCauses.
type Cause struct {
	Summary string `json:"errorSummary"`
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "no error code"
	}
	return fmt.Sprintf("okta %s %s: %d %s: %s", e.Method, e.Endpoint, e.HTTPStatus, code, e.Summary)
}

// Okta error codes the worker branches on.
const (
	CodeValidation      = "E0000001"
	CodeInvalidSession  = "E0000005"
	CodeForbidden       = "E0000006"
	CodeNotFound        = "E0000007"
	CodeInternal        = "E0000009"
	CodeReadOnly        = "E0000010"
	CodeInvalidToken    = "E0000011"
	CodeDuplicateLabel  = "E0000040"
	CodeRateLimited     = "E0000047"
	CodeSubdomainExists = "E0000088"
	CodeSubdomainBusy   = "E0000171"
)

// Sentinel errors. Callers branch with errors.Is.
var (
	// ErrHostNotAllowed: the host is not an https Okta host under an
	// allowed suffix. Returned before any connection is made.
	ErrHostNotAllowed = errors.New("okta: host not allowed")
	// ErrAmbiguous: a non-idempotent request (POST) may or may not have
	// reached Okta (timeout or connection lost after it was sent). The
	// caller must reconcile rather than repeat it blindly.
	ErrAmbiguous = errors.New("okta: request outcome unknown")
	// ErrBadResponse: Okta answered 2xx but the body lacked what the flow
	// needs (an id, a token) or could not be decoded, or was too large.
	ErrBadResponse = errors.New("okta: unusable response")
	// ErrTransport: the request failed before any response (connection
	// refused, reset, DNS, timeout) where repeating it is safe.
	ErrTransport = errors.New("okta: transport failure")
)

// IsTransient reports whether err is worth retrying: 429, 5xx, E0000171,
// transport failures, and the short eventual-consistency windows (a new
// org's token or a new app's metadata not yet known) that the caller marks
// with Transient. Okta validation errors, unknown names, an invalid token
// of a customer and unusable responses are permanent.
func IsTransient(err error) bool {
	var te *transientError
	if errors.As(err, &te) {
		return true
	}
	if errors.Is(err, ErrTransport) {
		return true
	}
	var oe *Error
	if !errors.As(err, &oe) {
		return false
	}
	switch {
	case oe.HTTPStatus == 429, oe.HTTPStatus >= 500:
		return true
	case oe.Code == CodeSubdomainBusy:
		return true
	}
	return false
}

// Transient marks err as worth retrying whatever its class, for the windows
// where Okta is known to be eventually consistent.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

type transientError struct{ err error }

func (t *transientError) Error() string { return t.err.Error() }
func (t *transientError) Unwrap() error { return t.err }

// AsError returns the *Error inside err, or nil.
func AsError(err error) *Error {
	var oe *Error
	if errors.As(err, &oe) {
		return oe
	}
	return nil
}
