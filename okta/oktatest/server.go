package oktatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures an emulator. Zero values mean the defaults.
type Options struct {
	// ISVHost is the ISV's own org, allowed to create orgs. New orgs get
	// the host "<subdomain>.<ISVHost minus its first label>".
	// Default "acme.oktapreview.com".
	ISVHost string
	// ISVToken is the ISV's API token. Default "isv-dev-token".
	ISVToken string
	// Orgs are existing customer orgs (host and API token) to seed.
	Orgs []Org
	// NewOrgReadyAfter is how long a created org answers E0000011 to its
	// own new token before it is ready. Default 0 (ready at once).
	NewOrgReadyAfter time.Duration
	// MetadataReadyAfter is how long after its creation an app's SAML
	// metadata answers 404 E0000007. Default 0 (ready at once).
	MetadataReadyAfter time.Duration
	// RequireSymbol adds "a symbol" to the password policy. Default off
	// (the seed's rule: 8+ chars, lower, upper, digit, no username parts).
	RequireSymbol bool
	// Latency is added to every API request. Default 0.
	Latency time.Duration
	// SharedCertificate gives every org one signing certificate, made once
	// per process, instead of one per org: signing a certificate costs
	// about a millisecond of CPU, which a benchmark creating a thousand
	// orgs a second in the same process cannot spare. Default off.
	SharedCertificate bool
	// Catalog adds SAML apps to the built-in catalog (servicenow_app2,
	// zendesk, google, boxnet), replacing any of the same name.
	Catalog []CatalogApp
	// OnRequest, when set, is called after every request with its log
	// record (which holds no secret). It must not block.
	OnRequest func(Request)
	// Now is the emulator's clock: Date headers, rate-limit windows,
	// created timestamps and the readiness delays. Default time.Now.
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
	// EndpointOther is any other request: an unknown path or a method an
	// endpoint does not support. Faults never match it.
	EndpointOther Endpoint = "other"
)

// Endpoints lists the emulated endpoints, EndpointOther excluded.
var Endpoints = []Endpoint{
	EndpointMe, EndpointOrgs, EndpointApps, EndpointListApps, EndpointMetadata,
}

// Defaults of Options.
const (
	DefaultISVHost  = "acme.oktapreview.com"
	DefaultISVToken = "isv-dev-token"
)

// Server is the emulator. It is an http.Handler; Start serves it on a
// loopback listener. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	now     func() time.Time
	parent  string // domain new orgs are created under
	catalog map[string]CatalogApp

	mu       sync.Mutex
	orgs     map[string]*org // by lower-case host
	inflight map[string]bool // hosts of org creations in flight
	created  []string        // subdomains created, in order
	faults   map[Endpoint]*faultState
	limits   map[string]limit
	windows  map[windowKey]*window

	log requestLog

	// reserveHook, when set (by tests), runs after an org creation has
	// reserved its subdomain and before it completes.
	reserveHook func(subdomain string)

	lifeMu    sync.Mutex
	srv       *http.Server
	ln        net.Listener
	serveErr  chan error
	done      chan struct{}
	closeOnce sync.Once
}

// New returns an emulator with opts.
func New(opts Options) *Server {
	if opts.ISVHost == "" {
		opts.ISVHost = DefaultISVHost
	}
	if opts.ISVToken == "" {
		opts.ISVToken = DefaultISVToken
	}
	s := &Server{
		opts:     opts,
		now:      opts.Now,
		catalog:  make(map[string]CatalogApp),
		orgs:     make(map[string]*org),
		inflight: make(map[string]bool),
		faults:   make(map[Endpoint]*faultState),
		limits:   defaultLimits(),
		windows:  make(map[windowKey]*window),
		done:     make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, a := range defaultCatalog {
		s.catalog[a.Name] = a
	}
	for _, a := range opts.Catalog {
		s.catalog[a.Name] = a
	}
	isv := normHost(opts.ISVHost)
	s.parent = parentDomain(isv)
	o := s.addOrgLocked(isv, opts.ISVToken)
	o.isv = true
	for _, seed := range opts.Orgs {
		s.addOrgLocked(normHost(seed.Host), seed.Token)
	}
	return s
}

// AddOrg seeds an existing org. Adding a host again adds another token for
// it.
func (s *Server) AddOrg(host, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addOrgLocked(normHost(host), token)
}

// Start listens on addr ("127.0.0.1:0" for a random port) and serves.
func (s *Server) Start(addr string) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.srv != nil {
		return errors.New("start oktatest: already started")
	}
	select {
	case <-s.done:
		return errors.New("start oktatest: closed")
	default:
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("start oktatest: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	s.serveErr = errc
	srv := s.srv
	go func() { errc <- srv.Serve(ln) }()
	return nil
}

// URL is the base URL it serves on, e.g. "http://127.0.0.1:41234", or ""
// before Start.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops serving: it wakes requests sleeping on injected latency,
// lets requests in progress finish (for up to 5 seconds) and closes the
// listener. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.lifeMu.Lock()
	srv, errc := s.srv, s.serveErr
	s.srv, s.serveErr = nil, nil
	s.lifeMu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("close oktatest: %w", err)
	}
	return nil
}

// normHost lower-cases host and strips any port and trailing dot.
func normHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// parentDomain is host without its first label ("acme.okta.com" gives
// "okta.com"); a single-label host is its own parent.
func parentDomain(host string) string {
	if _, rest, ok := strings.Cut(host, "."); ok && rest != "" {
		return rest
	}
	return host
}
