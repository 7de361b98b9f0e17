package oktatest_test

import (
	"net/http"
	"testing"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestSeedErrors reproduces every error example of Okta's OCC guide.
func TestSeedErrors(t *testing.T) {
	const customer = "cust.oktapreview.com"
	const customerToken = "cust-token"
	passwordCause := "admin.password: Password requirements were not met. Your password " +
		"must have at least 8 characters, a lowercase letter, an uppercase letter, a " +
		"number, no parts of your username."

	tests := []struct {
		name    string
		setup   func(t *testing.T, s *oktatest.Server)
		method  string
		host    string
		token   string
		path    string
		body    any
		status  int
		code    string
		summary string
		causes  []string
	}{
		{
			name: "E0000088 subdomain exists",
			setup: func(t *testing.T, s *oktatest.Server) {
				createOrg(t, s, "mycompany")
			},
			method: "POST", host: isvHost, token: isvToken, path: "/api/v1/orgs",
			body:   orgBody("MyCompany", nil),
			status: 400, code: "E0000088", summary: "Api validation failed: subDomain",
			causes: []string{"subDomain: An object with this field already exists"},
		},
		{
			name:   "E0000011 invalid token",
			method: "GET", host: isvHost, token: "wrong-token", path: "/api/v1/users/me",
			status: 401, code: "E0000011", summary: "Invalid token provided",
		},
		{
			name:   "E0000007 bad app name",
			method: "POST", host: customer, token: customerToken, path: "/api/v1/apps",
			body: map[string]any{"name": "badappname", "signOnMode": "SAML_2_0",
				"settings": map[string]any{"app": map[string]any{}}},
			status: 404, code: "E0000007",
			summary: "Not found: Resource not found: badappname (App)",
		},
		{
			name:   "E0000001 admin.password",
			method: "POST", host: isvHost, token: isvToken, path: "/api/v1/orgs",
			body: orgBody("weakpw", func(b map[string]any) {
				creds(b)["password"] = map[string]any{"value": "password"}
			}),
			status: 400, code: "E0000001", summary: "Api validation failed: admin.password",
			causes: []string{passwordCause},
		},
		{
			name:   "E0000001 website",
			method: "POST", host: isvHost, token: isvToken, path: "/api/v1/orgs",
			body:   orgBody("noweb", func(b map[string]any) { b["website"] = "" }),
			status: 400, code: "E0000001", summary: "Api validation failed: website",
			causes: []string{"website: The field cannot be left blank"},
		},
		{
			name:   "E0000001 admin.customSecurityQuestion",
			method: "POST", host: isvHost, token: isvToken, path: "/api/v1/orgs",
			body: orgBody("noquestion", func(b map[string]any) {
				creds(b)["recovery_question"] = map[string]any{"question": "", "answer": "Okta"}
			}),
			status: 400, code: "E0000001",
			summary: "Api validation failed: admin.customSecurityQuestion",
			causes:  []string{"admin.customSecurityQuestion: The field cannot be left blank"},
		},
		{
			name:   "E0000001 admin.securityQuestion",
			method: "POST", host: isvHost, token: isvToken, path: "/api/v1/orgs",
			body: orgBody("noanswer", func(b map[string]any) {
				creds(b)["recovery_question"] = map[string]any{
					"question": "What is your favorite IDaaS?", "answer": ""}
			}),
			status: 400, code: "E0000001",
			summary: "Api validation failed: admin.securityQuestion",
			causes: []string{
				"admin.securityQuestion: Fields must both be empty, or both non-empty"},
		},
		{
			name:   "E0000007 bad app id",
			method: "GET", host: customer, token: customerToken,
			path:   "/api/v1/apps/bad_okta_app_id/sso/saml/metadata",
			status: 404, code: "E0000007",
			summary: "Not found: Resource not found: bad_okta_app_id (App)",
		},
		{
			name: "E0000001 duplicate label",
			setup: func(t *testing.T, s *oktatest.Server) {
				r := send(t, s, "POST", customer, customerToken, "/api/v1/apps",
					appBody("SLEE Test"))
				if r.status != http.StatusOK {
					t.Fatalf("first app: %d %s", r.status, r.body)
				}
			},
			method: "POST", host: customer, token: customerToken, path: "/api/v1/apps",
			body:   appBody("SLEE Test"),
			status: 400, code: "E0000001", summary: "Api validation failed: label",
			causes: []string{`label: An active ServiceNow - Eureka and later releases ` +
				`instance with the label "SLEE Test" already exists.`},
		},
		{
			name:   "E0000005 invalid session",
			method: "GET", host: isvHost, path: "/api/v1/users/me",
			status: 403, code: "E0000005", summary: "Invalid session",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, oktatest.Options{Orgs: []oktatest.Org{{Host: customer, Token: customerToken}}})
			if tt.setup != nil {
				tt.setup(t, s)
			}
			r := send(t, s, tt.method, tt.host, tt.token, tt.path, tt.body)
			wantError(t, r, tt.status, tt.code, tt.summary, tt.causes...)
		})
	}
}

// TestSeedSuccess checks the seed's successful calls: users/me, org
// creation with the seed's body and response shape, and app creation.
func TestSeedSuccess(t *testing.T) {
	s := start(t, oktatest.Options{})

	me := send(t, s, "GET", isvHost, isvToken, "/api/v1/users/me", nil)
	if me.status != http.StatusOK {
		t.Fatalf("users/me: %d %s", me.status, me.body)
	}
	user := decode[map[string]any](t, me)
	if id, _ := user["id"].(string); len(id) != 20 || id[:3] != "00u" {
		t.Errorf("user id = %q, want 00u + 17", id)
	}
	if got, want := user["status"], "ACTIVE"; got != want {
		t.Errorf("user status = %v, want %v", got, want)
	}

	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/orgs", orgBody("mycompany", nil))
	if r.status != http.StatusCreated {
		t.Fatalf("create org: %d %s", r.status, r.body)
	}
	org := decode[map[string]any](t, r)
	want := map[string]any{
		"subdomain": "mycompany", "name": "MyCompany Inc",
		"website": "https://www.mycompany.com", "status": "ACTIVE",
		"edition": "DIRECTORY", "expiresAt": nil, "tokenType": "SSWS",
	}
	for k, v := range want {
		if org[k] != v {
			t.Errorf("org[%q] = %v, want %v", k, org[k], v)
		}
	}
	keys := []string{"id", "created", "lastUpdated", "licensing", "settings", "token", "_links"}
	for _, k := range keys {
		if _, ok := org[k]; !ok {
			t.Errorf("org has no %q", k)
		}
	}
	settings := org["settings"].(map[string]any)
	if got := settings["app"].(map[string]any)["interstitialMinWaitTime"]; got != 1200.0 {
		t.Errorf("interstitialMinWaitTime = %v, want 1200", got)
	}
	links := org["_links"].(map[string]any)
	wantLinks := map[string]string{
		"organization": "https://mycompany.oktapreview.com/api/v1/orgs/mycompany",
		"policy":       "https://mycompany.oktapreview.com/api/v1/orgs/mycompany/policy",
		"contacts":     "https://mycompany.oktapreview.com/api/v1/orgs/mycompany/contacts",
	}
	for k, v := range wantLinks {
		if got := links[k].(map[string]any)["href"]; got != v {
			t.Errorf("_links.%s = %v, want %v", k, got, v)
		}
	}
	if got := links["administrator"].(map[string]any)["href"].(string); len(got) < 50 {
		t.Errorf("_links.administrator = %q", got)
	}
}
