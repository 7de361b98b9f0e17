package okta

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultRequestTimeout   = 30 * time.Second
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxMetadataBytes = 4 << 20
	DefaultMaxThrottleWait  = 20 * time.Second
)

// DefaultAllowedSuffixes are the Okta domains an org host may end with.
var DefaultAllowedSuffixes = []string{"okta.com", "oktapreview.com", "okta-emea.com"}

// userAgent is sent with every request.
const userAgent = "embedded-occ-provisioner"

// Config configures a Client. The zero value of every field means its
// documented default.
type Config struct {
	// HTTPClient sends the requests. Default: a client with dial, TLS and
	// response-header timeouts that never follows redirects. A client given
	// here is copied and its redirect policy replaced: redirects are never
	// followed, a 3xx answer is an error.
	HTTPClient *http.Client
	// AllowedSuffixes are the domain suffixes an org host must end with
	// (after a dot). Each needs at least two labels. Default: okta.com,
	// oktapreview.com, okta-emea.com.
	AllowedSuffixes []string
	// DevEndpoint, when set, sends every request to this base URL (plain
	// http allowed, e.g. "http://127.0.0.1:8181") with the org host in the
	// Host header. For the emulator only; empty in production. It must be
	// scheme and host[:port] only, with scheme http or https.
	DevEndpoint string
	// RequestTimeout bounds one HTTP exchange when ctx has no earlier
	// deadline. Default 30s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a JSON response body. Default 1 MiB.
	MaxBodyBytes int64
	// MaxMetadataBytes bounds a metadata XML body. Default 4 MiB.
	MaxMetadataBytes int64
	// NoThrottle turns off slowing down as X-Rate-Limit-Remaining nears 0.
	NoThrottle bool
	// MaxThrottleWait is the longest the client waits before a request to
	// stay under a rate limit. A longer wait is skipped: the request goes
	// out, and Okta's 429 then tells the retry policy how long to defer.
	// Default 20s.
	MaxThrottleWait time.Duration
	// Observe, when set, is called after every HTTP exchange (for metrics).
	// It runs on the caller's goroutine and must not block.
	Observe func(Exchange)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Exchange describes one finished HTTP exchange, for metrics. It holds no
// secret.
type Exchange struct {
	Method string
	// Endpoint is the path template, e.g. "/api/v1/apps/{id}/sso/saml/metadata".
	Endpoint  string
	Host      string
	Status    int // 0 when no response arrived
	Code      string
	RequestID string
	Duration  time.Duration
	// Throttled is how long the client waited before sending, to stay under
	// the rate limit.
	Throttled time.Duration
	// RateLimit is what the response said about its rate-limit bucket; nil
	// when it carried no usable X-Rate-Limit-* headers.
	RateLimit *RateLimit
}

// RateLimit is one response's view of its rate-limit bucket.
type RateLimit struct {
	// Limit and Remaining are X-Rate-Limit-Limit and -Remaining.
	Limit     int
	Remaining int
	// Reset is X-Rate-Limit-Reset moved onto the local clock by the offset
	// between Okta's Date header and the local time the answer arrived.
	// Zero when the response had no valid Date.
	Reset time.Time
}

// Client calls Okta. It is safe for concurrent use.
type Client struct {
	cfg      Config
	http     *http.Client
	base     *url.URL // DevEndpoint, or nil for https://host
	suffixes []string
	limiter  *limiter
	// sleep waits d or until ctx ends; replaced in tests.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client for cfg, or an error naming the bad setting.
func New(cfg Config) (*Client, error) {
	c := &Client{sleep: sleepCtx}
	if err := c.setConfig(cfg); err != nil {
		return nil, fmt.Errorf("okta config: %w", err)
	}
	c.limiter = newLimiter()
	return c, nil
}

// setConfig validates cfg and fills in its defaults.
func (c *Client) setConfig(cfg Config) error {
	switch {
	case cfg.RequestTimeout < 0:
		return errors.New("RequestTimeout is negative")
	case cfg.MaxBodyBytes < 0:
		return errors.New("MaxBodyBytes is negative")
	case cfg.MaxMetadataBytes < 0:
		return errors.New("MaxMetadataBytes is negative")
	case cfg.MaxThrottleWait < 0:
		return errors.New("MaxThrottleWait is negative")
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxMetadataBytes == 0 {
		cfg.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	if cfg.MaxThrottleWait == 0 {
		cfg.MaxThrottleWait = DefaultMaxThrottleWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	suffixes, err := normalizeSuffixes(cfg.AllowedSuffixes)
	if err != nil {
		return err
	}
	c.suffixes = suffixes
	cfg.AllowedSuffixes = suffixes

	if cfg.DevEndpoint != "" {
		base, err := parseDevEndpoint(cfg.DevEndpoint)
		if err != nil {
			return err
		}
		c.base = base
	}

	c.http = noRedirects(cfg.HTTPClient, cfg.RequestTimeout)
	c.cfg = cfg
	return nil
}

// normalizeSuffixes lower-cases and checks the allowed suffixes.
func normalizeSuffixes(in []string) ([]string, error) {
	if len(in) == 0 {
		in = DefaultAllowedSuffixes
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.ToLower(strings.TrimPrefix(s, "."))
		if reason := checkDNSName(s); reason != "" {
			return nil, fmt.Errorf("AllowedSuffixes %q: %s", s, reason)
		}
		if !strings.Contains(s, ".") {
			return nil, fmt.Errorf("AllowedSuffixes %q: needs at least two labels", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseDevEndpoint checks that raw is only a scheme and host[:port].
func parseDevEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("DevEndpoint is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("DevEndpoint scheme must be http or https")
	case u.Host == "":
		return nil, errors.New("DevEndpoint has no host")
	case u.User != nil:
		return nil, errors.New("DevEndpoint must not carry user info")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return nil, errors.New("DevEndpoint must be scheme and host only")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// noRedirects returns a copy of hc (or a default client) that never
// follows a redirect.
func noRedirects(hc *http.Client, headerTimeout time.Duration) *http.Client {
	var out http.Client
	if hc != nil {
		out = *hc
	} else {
		out = http.Client{Transport: defaultTransport(headerTimeout)}
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &out
}

// defaultTransport has bounded dial, TLS and header waits.
func defaultTransport(headerTimeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		// Every signup calls the ISV's org, so at a high concurrency
		// most requests go to that one host: keep enough idle
		// connections that each in-flight signup finds one instead of
		// dialling (and shaking TLS hands) again.
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
	}
}

// CheckHost returns nil if host may be contacted, or an error wrapping
// ErrHostNotAllowed that says why.
func (c *Client) CheckHost(host string) error {
	_, err := c.checkHost(host)
	return err
}

// Environment names the Okta environment of a host: "preview" for
// *.oktapreview.com, "production" otherwise.
func Environment(host string) string {
	if strings.HasSuffix(strings.ToLower(host), ".oktapreview.com") {
		return "preview"
	}
	return "production"
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
