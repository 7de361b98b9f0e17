package oktatest

import (
	"net/http"
	"time"
)

// TODO(emulator helper): replace every panic below with the real implementation.

// Options configures an emulator. Zero values mean the defaults.
type Options struct {
	// ISVHost is the ISV's own org, allowed to create orgs.
	// Default "acme.oktapreview.com".
	ISVHost string
	// ISVToken is the ISV's API token. Default "isv-dev-token".
	ISVToken string
	// Orgs are existing customer orgs (host and API token) to seed.
	Orgs []Org
	// NewOrgReadyAfter is how long a created org answers E0000011 to its
	// own new token before it is ready. Default 0 (ready at once).
	NewOrgReadyAfter time.Duration
	// RequireSymbol adds "a symbol" to the password policy. Default off
	// (the seed's rule: 8+ chars, lower, upper, digit, no username parts).
	RequireSymbol bool
	// Now is the emulator's clock. Default time.Now.
	Now func() time.Time
}

// Org is an org to seed.
type Org struct {
	Host  string
	Token string
}

// Endpoint names an emulated endpoint for faults and stats.
type Endpoint string

// Endpoints.
const (
	EndpointMe       Endpoint = "GET /api/v1/users/me"
	EndpointOrgs     Endpoint = "POST /api/v1/orgs"
	EndpointApps     Endpoint = "POST /api/v1/apps"
	EndpointListApps Endpoint = "GET /api/v1/apps"
	EndpointMetadata Endpoint = "GET /api/v1/apps/{id}/sso/saml/metadata"
)

// Server is the emulator. It is an http.Handler; Start serves it on a
// loopback listener.
type Server struct{}

// New returns an emulator with opts.
func New(opts Options) *Server { panic("TODO") }

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { panic("TODO") }

// Start listens on addr ("127.0.0.1:0" for a random port) and serves.
func (s *Server) Start(addr string) error { panic("TODO") }

// URL is the base URL it serves on, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { panic("TODO") }

// Close stops serving.
func (s *Server) Close() error { panic("TODO") }

// AddOrg seeds an existing org.
func (s *Server) AddOrg(host, token string) { panic("TODO") }
