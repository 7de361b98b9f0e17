package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// call is one request to Okta.
type call struct {
	method   string
	endpoint string // path template, for errors and metrics
	path     string // escaped path and query actually sent
	bucket   string // rate-limit bucket
	accept   string
	body     any   // JSON-encoded when non-nil; never put into an error
	limit    int64 // bound on the response body
	// secrets are scrubbed from any text Okta's error body echoes back.
	secrets []string
}

// response is a 2xx answer whose body fit its bound.
type response struct {
	status int
	body   []byte
}

// errorf prefixes an error with the call's method and endpoint.
func (cl *call) errorf(format string, args ...any) error {
	return fmt.Errorf("okta "+cl.method+" "+cl.endpoint+": "+format, args...)
}

// badResponse wraps ErrBadResponse with a reason that holds no body text.
func (cl *call) badResponse(reason string) error {
	return cl.errorf("%w: %s", ErrBadResponse, reason)
}

// do runs one exchange: host policy, throttle, send, bounded read, and
// the mapping of every failure to the package's errors.
func (c *Client) do(ctx context.Context, host, token string, cl *call) (*response, error) {
	host, err := c.checkHost(host)
	if err != nil {
		return nil, err
	}
	if err := checkToken(token); err != nil {
		return nil, cl.errorf("%w", err)
	}
	cl.secrets = append(cl.secrets, token)
	var payload []byte
	if cl.body != nil {
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, cl.errorf("encode request: %w", err)
		}
	}

	ex := Exchange{Method: cl.method, Endpoint: cl.endpoint, Host: host}
	if ex.Throttled, err = c.throttle(ctx, host, cl.bucket); err != nil {
		return nil, cl.errorf("wait for rate limit: %w", err)
	}

	reqCtx, cancel := c.withTimeout(ctx)
	defer cancel()
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}
	req, err := c.newRequest(httptrace.WithClientTrace(reqCtx, trace), host, token, cl, payload)
	if err != nil {
		return nil, cl.errorf("build request: %w", err)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	received := c.cfg.Now()
	if err != nil {
		ex.Duration = time.Since(start)
		c.observe(ex)
		return nil, c.sendError(ctx, cl, err, wrote.Load())
	}
	defer resp.Body.Close()
	out, err := c.finish(ctx, cl, resp, host, received, &ex)
	ex.Duration = time.Since(start)
	c.observe(ex)
	return out, err
}

// finish reads and classifies a response that arrived.
func (c *Client) finish(ctx context.Context, cl *call, resp *http.Response, host string,
	received time.Time, ex *Exchange) (*response, error) {
	ex.Status = resp.StatusCode
	ex.RequestID = resp.Header.Get("X-Okta-Request-Id")
	rh := parseRateHeaders(resp.Header)
	ex.RateLimit = rh.rateLimit(received)
	if !c.cfg.NoThrottle {
		c.limiter.update(host, cl.bucket, rh, received)
	}

	body, over, readErr := readBounded(resp.Body, cl.limit)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, cl.badResponse(fmt.Sprintf("redirect (status %d) refused", resp.StatusCode))
	case !ok:
		// Okta said no; the status alone decides, even if the body broke.
		parse := readErr == nil && !over
		oe := newError(cl, resp, body, parse, rh)
		ex.Code = oe.Code
		return nil, oe
	case readErr != nil:
		return nil, c.sendError(ctx, cl, readErr, true)
	case over:
		return nil, cl.badResponse(fmt.Sprintf("body over %d bytes", cl.limit))
	}
	return &response{status: resp.StatusCode, body: body}, nil
}

// throttle waits, when the bucket is nearly spent, to spread the window's
// remaining requests until its reset. It skips waits longer than
// MaxThrottleWait or past ctx's deadline.
func (c *Client) throttle(ctx context.Context, host, bucket string) (time.Duration, error) {
	if c.cfg.NoThrottle {
		return 0, nil
	}
	wait := c.limiter.reserve(host, bucket, c.cfg.Now())
	if wait <= 0 || wait > c.cfg.MaxThrottleWait {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, nil
	}
	if err := c.sleep(ctx, wait); err != nil {
		return 0, err
	}
	return wait, nil
}

// withTimeout bounds one exchange by RequestTimeout unless ctx already
// ends sooner.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= c.cfg.RequestTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.cfg.RequestTimeout)
}

// newRequest builds the request for host: https://host, or DevEndpoint
// with host in the Host header.
func (c *Client) newRequest(ctx context.Context, host, token string, cl *call,
	payload []byte) (*http.Request, error) {
	base := url.URL{Scheme: "https", Host: host}
	if c.base != nil {
		base = *c.base
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, base.String()+cl.path, body)
	if err != nil {
		return nil, err
	}
	req.Host = host
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Accept", cl.accept)
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// sendError maps a failure without a usable response. A failure after a
// non-idempotent request may have reached Okta is ErrAmbiguous; other
// failures are ErrTransport, or the caller's own ctx error.
func (c *Client) sendError(ctx context.Context, cl *call, err error, wrote bool) error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // the URL adds nothing but noise
	}
	ambiguous := wrote && cl.method != http.MethodGet
	if ctxErr := ctx.Err(); ctxErr != nil {
		if ambiguous {
			return cl.errorf("%w: %w", ErrAmbiguous, ctxErr)
		}
		return cl.errorf("%w", ctxErr)
	}
	if ambiguous {
		return cl.errorf("%w: %v", ErrAmbiguous, cause)
	}
	return cl.errorf("%w: %v", ErrTransport, cause)
}

func (c *Client) observe(ex Exchange) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(ex)
	}
}

// readBounded reads at most limit bytes. over reports a longer body, whose
// bytes are then dropped unread.
func readBounded(r io.Reader, limit int64) (body []byte, over bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		return nil, true, nil
	}
	return body, false, nil
}

// checkToken refuses a token that cannot be sent as a header value.
func checkToken(token string) error {
	if token == "" {
		return errors.New("api token is empty")
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= 0x20 || token[i] >= 0x7f {
			return errors.New("api token has a character not allowed in a header")
		}
	}
	return nil
}
