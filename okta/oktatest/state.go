package oktatest

import (
	"crypto/subtle"
	"strings"
	"time"
)

// org is one emulated org.
type org struct {
	id        string
	host      string
	subdomain string
	name      string
	website   string
	edition   string
	isv       bool
	tokens    []string
	readyAt   time.Time // its tokens answer E0000011 before this
	created   time.Time
	admin     user
	kid       string
	certDER   []byte // made on the first metadata fetch
	apps      []*app
}

// user is the user an org's API tokens belong to.
type user struct {
	id        string
	login     string
	email     string
	firstName string
	lastName  string
	question  string
	created   time.Time
}

// app is one app instance in an org.
type app struct {
	id       string
	exk      string // SAML key id used in entityID and SSO URLs
	linkID   string // id in the app link's URL
	name     string
	display  string
	label    string
	status   string
	created  time.Time
	settings map[string]any
}

// App describes an app instance, for tests that count instances.
type App struct {
	ID      string
	Name    string
	Label   string
	Status  string
	Created time.Time
}

// addOrgLocked adds token to the org at host, creating a ready seeded org
// when there is none. s.mu must be held (or s not yet shared).
func (s *Server) addOrgLocked(host, token string) *org {
	if o, ok := s.orgs[host]; ok {
		o.tokens = append(o.tokens, token)
		return o
	}
	now := s.now()
	sub, _, _ := strings.Cut(host, ".")
	o := &org{
		id:        newID("00o"),
		host:      host,
		subdomain: sub,
		name:      sub,
		website:   "https://www." + sub + ".example",
		tokens:    []string{token},
		created:   now,
		kid:       newKid(),
		admin: user{
			id:        newID("00u"),
			login:     "admin@" + host,
			email:     "admin@" + host,
			firstName: "Org",
			lastName:  "Admin",
			created:   now,
		},
	}
	s.orgs[host] = o
	return o
}

// tokenState is the outcome of checking a token against an org.
type tokenState int

const (
	tokenUnknown tokenState = iota
	tokenNotReady
	tokenOK
)

// checkToken reports whether token belongs to o and o is ready.
func (s *Server) checkToken(o *org, token string, now time.Time) tokenState {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, t := range o.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			found = true
		}
	}
	switch {
	case !found:
		return tokenUnknown
	case now.Before(o.readyAt):
		return tokenNotReady
	}
	return tokenOK
}

// lookupOrg returns the org at host or nil.
func (s *Server) lookupOrg(host string) *org {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgs[host]
}

// OrgsCreated returns the subdomains of the orgs created through the API,
// in order of creation.
func (s *Server) OrgsCreated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.created...)
}

// Apps returns the app instances of the org at host, oldest first, or nil
// when there is no such org.
func (s *Server) Apps(host string) []App {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[normHost(host)]
	if o == nil {
		return nil
	}
	out := make([]App, 0, len(o.apps))
	for _, a := range o.apps {
		out = append(out, App{
			ID: a.id, Name: a.name, Label: a.label, Status: a.status, Created: a.created,
		})
	}
	return out
}

// HasOrg reports whether an org exists at host (seeded or created).
func (s *Server) HasOrg(host string) bool {
	return s.lookupOrg(normHost(host)) != nil
}
