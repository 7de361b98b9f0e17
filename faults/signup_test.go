package faults

import (
	"encoding/json"
	"fmt"
)

// signupSpec describes a signup event to publish.
type signupSpec struct {
	id string
	// subdomain makes a new tenant; domain and token an existing one.
	subdomain string
	domain    string
	token     string
	// app is the catalog app; default servicenow_app2.
	app   string
	label string
}

// newTenant is a new-tenant signup creating org subdomain.
func newTenant(id, subdomain string) signupSpec {
	return signupSpec{id: id, subdomain: subdomain}
}

// existingTenant is a signup for the customer's own org at domain, with
// the customer's API token.
func existingTenant(id, domain, token string) signupSpec {
	return signupSpec{id: id, domain: domain, token: token}
}

// json is the signup event, secrets in plain text (lab.publish seals
// them before they leave the test).
func (s signupSpec) json() []byte {
	app := s.app
	if app == "" {
		app = "servicenow_app2"
	}
	label := s.label
	if label == "" {
		label = "ACME ServiceNow"
	}
	data := map[string]any{
		"app": map[string]any{
			"name": app, "label": label, "signOnMode": "SAML_2_0",
			"settings": map[string]any{"app": map[string]any{"loginURL": "https://sp.example.com/sso/saml"}},
		},
	}
	if s.subdomain != "" {
		data["tenant"] = "new"
		data["org"] = map[string]any{
			"subdomain": s.subdomain,
			"name":      "Customer " + s.subdomain,
			"website":   "https://www." + s.subdomain + ".example",
			"edition":   "DIRECTORY",
			"admin": map[string]any{
				"profile": map[string]any{
					"firstName": "Joe", "lastName": "Smith",
					"email": "joe@" + s.subdomain + ".example", "login": "joe@" + s.subdomain + ".example",
				},
				"credentials": map[string]any{
					"password":          map[string]any{"value": "L0v30ktA!"},
					"recovery_question": map[string]any{"question": "Favourite IDaaS?", "answer": "Okta"},
				},
			},
		}
	} else {
		data["tenant"] = "existing"
		data["existing"] = map[string]any{"domain": s.domain, "apiToken": s.token}
	}
	ev := map[string]any{
		"specversion": "1.0", "id": s.id, "source": "https://signup.acme.example/",
		"type": "com.embedded-occ.signup.requested.v1", "time": "2025-01-15T09:30:00Z",
		"datacontenttype": "application/json", "data": data,
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("marshal signup: %v", err))
	}
	return raw
}

// host is the org host a new tenant's signup creates.
func (s signupSpec) host() string {
	if s.subdomain != "" {
		return s.subdomain + ".oktapreview.com"
	}
	return s.domain
}
