package okta

import (
	"context"
	"net/http"
	"time"
)

// TODO(okta helper): replace every panic below with the real implementation.

// Config configures a Client. The zero value of every field means its
// documented default.
type Config struct {
	// HTTPClient sends the requests. Default: a client with dial, TLS and
	// response-header timeouts that never follows redirects.
	HTTPClient *http.Client
	// AllowedSuffixes are the domain suffixes an org host must end with
	// (after a dot). Default: okta.com, oktapreview.com, okta-emea.com.
	AllowedSuffixes []string
	// DevEndpoint, when set, sends every request to this base URL (plain
	// http allowed, e.g. "http://127.0.0.1:8181") with the org host in the
	// Host header. For the emulator only; empty in production.
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
	// Observe, when set, is called after every HTTP exchange (for metrics).
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
}

// Client calls Okta. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a Client for cfg, or an error naming the bad setting.
func New(cfg Config) (*Client, error) { panic("TODO") }

// CheckHost returns nil if host may be contacted, or an error wrapping
// ErrHostNotAllowed that says why.
func (c *Client) CheckHost(host string) error { panic("TODO") }

// Me checks a token: GET /api/v1/users/me on host.
func (c *Client) Me(ctx context.Context, host, token string) (*User, error) { panic("TODO") }

// CreateOrg creates a child org: POST /api/v1/orgs on the ISV's host. The
// returned Org always has an ID and a Token, or the error wraps
// ErrBadResponse. A lost response returns ErrAmbiguous.
func (c *Client) CreateOrg(ctx context.Context, host, token string, req *CreateOrgRequest) (*Org, error) {
	panic("TODO")
}

// CreateApp instantiates a catalog app: POST /api/v1/apps on the org host.
// The returned App always has an ID. A lost response returns ErrAmbiguous.
func (c *Client) CreateApp(ctx context.Context, host, token string, req *CreateAppRequest) (*App, error) {
	panic("TODO")
}

// FindAppByLabel lists the org's apps (GET /api/v1/apps?q=label) and
// returns the one with exactly this name and label, or nil, nil.
func (c *Client) FindAppByLabel(ctx context.Context, host, token, name, label string) (*App, error) {
	panic("TODO")
}

// Metadata fetches an app's SAML IdP metadata XML:
// GET /api/v1/apps/{id}/sso/saml/metadata.
func (c *Client) Metadata(ctx context.Context, host, token, appID string) ([]byte, error) {
	panic("TODO")
}

// Environment names the Okta environment of a host: "preview" for
// *.oktapreview.com, "production" otherwise.
func Environment(host string) string { panic("TODO") }
