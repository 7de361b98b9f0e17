package oktatest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds request bodies; larger ones are malformed.
const maxBody = 1 << 20

// maxSubdomain is Okta's longest subdomain.
const maxSubdomain = 57

type orgRequest struct {
	Subdomain string `json:"subdomain"`
	Name      string `json:"name"`
	Website   string `json:"website"`
	Edition   string `json:"edition"`
	Licensing *struct {
		Apps []string `json:"apps"`
	} `json:"licensing"`
	Admin struct {
		Profile struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
			Email     string `json:"email"`
			Login     string `json:"login"`
		} `json:"profile"`
		Credentials *struct {
			Password *struct {
				Value string `json:"value"`
			} `json:"password"`
			RecoveryQuestion *struct {
				Question string `json:"question"`
				Answer   string `json:"answer"`
			} `json:"recovery_question"`
		} `json:"credentials"`
	} `json:"admin"`
}

// decodeBody decodes the JSON body into v; false means malformed.
func (c *call) decodeBody(v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(nil, c.r.Body, maxBody))
	if err != nil {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// createOrg answers POST /api/v1/orgs on the ISV's org.
func (c *call) createOrg(isv *org) *reply {
	if !isv.isv {
		return oktaError(CodeForbidden)
	}
	var req orgRequest
	if !c.decodeBody(&req) {
		return oktaError(CodeMalformedBody)
	}
	if fails := c.s.validateOrg(&req); len(fails) > 0 {
		return validationError(fails)
	}
	if len(req.Subdomain) > maxSubdomain {
		return oktaError(CodeSubdomainLong,
			"subdomain: The value exceeds the max length of 57 characters")
	}

	sub := strings.ToLower(req.Subdomain)
	host := sub + "." + c.s.parent
	if rep := c.s.reserve(host); rep != nil {
		return rep
	}
	c.s.mu.Lock()
	hook := c.s.reserveHook
	c.s.mu.Unlock()
	if hook != nil {
		hook(sub)
	}
	c.delay()
	return jsonReply(http.StatusCreated, c.s.commitOrg(host, &req))
}

// validateOrg checks the body's fields in order; the first failed field
// names the error.
func (s *Server) validateOrg(req *orgRequest) []fieldError {
	var fails []fieldError
	blank := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			fails = append(fails, fieldError{field: field, msg: msgBlank})
		}
	}
	blank("subdomain", req.Subdomain)
	if req.Subdomain != "" && !validSubdomain(req.Subdomain) {
		fails = append(fails, fieldError{field: "subdomain",
			msg: "Only letters, digits and inner hyphens are allowed"})
	}
	blank("name", req.Name)
	blank("website", req.Website)
	p := req.Admin.Profile
	blank("admin.firstName", p.FirstName)
	blank("admin.lastName", p.LastName)
	blank("admin.email", p.Email)
	blank("admin.login", p.Login)
	creds := req.Admin.Credentials
	if creds == nil {
		return fails
	}
	if pw := creds.Password; pw != nil &&
		!passwordOK(pw.Value, s.opts.RequireSymbol, p.Login, p.Email) {
		fails = append(fails, fieldError{field: "admin.password",
			msg: passwordMessage(s.opts.RequireSymbol)})
	}
	if rq := creds.RecoveryQuestion; rq != nil {
		if f := recoveryQuestionError(rq.Question, rq.Answer); f != nil {
			fails = append(fails, *f)
		}
	}
	return fails
}

// validSubdomain: ASCII letters, digits and hyphens, not at either end.
func validSubdomain(sub string) bool {
	for i, r := range sub {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' && i > 0 && i < len(sub)-1
		if !ok {
			return false
		}
	}
	return true
}

// reserve marks host as being created, or answers why it cannot be.
func (s *Server) reserve(host string) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.inflight[host]:
		return oktaError(CodeSubdomainBusy,
			"subdomain: The value is already in use by a different request")
	case s.orgs[host] != nil:
		return oktaError(CodeSubdomainTaken,
			"subDomain: An object with this field already exists")
	}
	s.inflight[host] = true
	return nil
}

// orgJSON is the 201 body of org creation, in Okta's field order.
type orgJSON struct {
	ID          string          `json:"id"`
	Subdomain   string          `json:"subdomain"`
	Name        string          `json:"name"`
	Website     string          `json:"website"`
	Status      string          `json:"status"`
	Edition     string          `json:"edition"`
	ExpiresAt   *string         `json:"expiresAt"`
	Created     string          `json:"created"`
	LastUpdated string          `json:"lastUpdated"`
	Licensing   licensingJSON   `json:"licensing"`
	Settings    map[string]any  `json:"settings"`
	Token       string          `json:"token"`
	TokenType   string          `json:"tokenType"`
	Links       map[string]link `json:"_links"`
}

type licensingJSON struct {
	Apps []string `json:"apps"`
}

// commitOrg creates the reserved org and returns its 201 body.
func (s *Server) commitOrg(host string, req *orgRequest) orgJSON {
	now := s.now()
	p := req.Admin.Profile
	o := &org{
		id:        newID("00o"),
		host:      host,
		subdomain: strings.ToLower(req.Subdomain),
		name:      req.Name,
		website:   req.Website,
		edition:   req.Edition,
		tokens:    []string{newToken()},
		readyAt:   now.Add(s.opts.NewOrgReadyAfter),
		created:   now,
		kid:       newKid(),
		admin: user{
			id:        newID("00u"),
			login:     p.Login,
			email:     p.Email,
			firstName: p.FirstName,
			lastName:  p.LastName,
			created:   now,
		},
	}
	if cr := req.Admin.Credentials; cr != nil && cr.RecoveryQuestion != nil {
		o.admin.question = cr.RecoveryQuestion.Question
	}

	s.mu.Lock()
	delete(s.inflight, host)
	s.orgs[host] = o
	s.created = append(s.created, o.subdomain)
	s.mu.Unlock()

	apps := []string{}
	if req.Licensing != nil && req.Licensing.Apps != nil {
		apps = req.Licensing.Apps
	}
	base := "https://" + host + "/api/v1/"
	return orgJSON{
		ID:          o.id,
		Subdomain:   req.Subdomain,
		Name:        o.name,
		Website:     o.website,
		Status:      "ACTIVE",
		Edition:     o.edition,
		Created:     stamp(now),
		LastUpdated: stamp(now),
		Licensing:   licensingJSON{Apps: apps},
		Settings:    orgSettings(),
		Token:       o.tokens[0],
		TokenType:   "SSWS",
		Links: map[string]link{
			"organization":  {Href: base + "orgs/" + o.subdomain},
			"administrator": {Href: base + "users/" + o.admin.id},
			"policy":        {Href: base + "orgs/" + o.subdomain + "/policy"},
			"contacts":      {Href: base + "orgs/" + o.subdomain + "/contacts"},
		},
	}
}

// orgSettings are the settings of a new org, as in the seed.
func orgSettings() map[string]any {
	return map[string]any{
		"app": map[string]any{
			"errorRedirectUrl":        nil,
			"interstitialUrl":         nil,
			"interstitialMinWaitTime": 1200,
		},
		"userAccount": map[string]any{
			"attributes": map[string]any{"secondaryEmail": true, "secondaryImage": true},
		},
		"portal": map[string]any{"errorRedirectUrl": nil, "signOutUrl": nil},
	}
}
