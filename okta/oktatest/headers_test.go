package oktatest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestHeaders checks Okta's headers on successes and every kind of error.
func TestHeaders(t *testing.T) {
	clk := newClock()
	s := start(t, oktatest.Options{Now: clk.Now})
	tests := []struct {
		name   string
		method string
		host   string
		token  string
		path   string
		body   any
		status int
	}{
		{"me", "GET", isvHost, isvToken, "/api/v1/users/me", nil, 200},
		{"create org", "POST", isvHost, isvToken, "/api/v1/orgs", orgBody("hdr", nil), 201},
		{"create app", "POST", isvHost, isvToken, "/api/v1/apps", appBody(""), 200},
		{"list apps", "GET", isvHost, isvToken, "/api/v1/apps", nil, 200},
		{"bad app id", "GET", isvHost, isvToken, "/api/v1/apps/x/sso/saml/metadata", nil, 404},
		{"no auth", "GET", isvHost, "", "/api/v1/users/me", nil, 403},
		{"bad token", "GET", isvHost, "nope", "/api/v1/users/me", nil, 401},
		{"unknown path", "GET", isvHost, isvToken, "/api/v1/groups", nil, 404},
		{"bad method", "DELETE", isvHost, isvToken, "/api/v1/apps", nil, 405},
		{"unknown host", "GET", "nobody.okta.com", isvToken, "/api/v1/users/me", nil, 404},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, tt.method, tt.host, tt.token, tt.path, tt.body)
			if r.status != tt.status {
				t.Errorf("status = %d, want %d (%s)", r.status, tt.status, r.body)
			}
			date, err := http.ParseTime(r.header.Get("Date"))
			if err != nil || !date.Equal(clk.Now()) {
				t.Errorf("Date = %q (%v), want %v", r.header.Get("Date"), err, clk.Now())
			}
			id := r.header.Get("X-Okta-Request-Id")
			if id == "" || seen[id] {
				t.Errorf("X-Okta-Request-Id = %q, want a new id", id)
			}
			seen[id] = true
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining",
				"X-Rate-Limit-Reset"} {
				if _, err := strconv.ParseInt(r.header.Get(h), 10, 64); err != nil {
					t.Errorf("%s = %q, want a number", h, r.header.Get(h))
				}
			}
			reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
			if want := clk.Now().Add(time.Minute).Unix(); reset != want {
				t.Errorf("X-Rate-Limit-Reset = %d, want %d", reset, want)
			}
		})
	}
}

// TestRequestErrors covers the errors outside the seed.
func TestRequestErrors(t *testing.T) {
	const host, token = "cust.oktapreview.com", "cust-token"
	s := start(t, oktatest.Options{Orgs: []oktatest.Org{{Host: host, Token: token}}})
	tests := []struct {
		name    string
		method  string
		host    string
		auth    string
		path    string
		body    any
		status  int
		code    string
		summary string
		causes  []string
	}{
		{name: "unknown path", method: "GET", host: host, auth: "SSWS " + token,
			path: "/api/v1/groups", status: 404, code: "E0000008",
			summary: "The requested path was not found"},
		{name: "bad method", method: "PUT", host: host, auth: "SSWS " + token,
			path: "/api/v1/users/me", status: 405, code: "E0000022",
			summary: "The endpoint does not support the provided HTTP method"},
		{name: "unknown host", method: "GET", host: "ghost.okta.com:443", auth: "SSWS x",
			path: "/api/v1/users/me", status: 404, code: "E0000007",
			summary: "Not found: Resource not found: ghost.okta.com (Org)"},
		{name: "bearer", method: "GET", host: host, auth: "Bearer " + token,
			path: "/api/v1/users/me", status: 403, code: "E0000005", summary: "Invalid session"},
		{name: "bare token", method: "GET", host: host, auth: token,
			path: "/api/v1/users/me", status: 403, code: "E0000005", summary: "Invalid session"},
		{name: "SSWS without token", method: "GET", host: host, auth: "SSWS ",
			path: "/api/v1/users/me", status: 403, code: "E0000005", summary: "Invalid session"},
		{name: "other org's token", method: "GET", host: host, auth: "SSWS " + isvToken,
			path: "/api/v1/users/me", status: 401, code: "E0000011",
			summary: "Invalid token provided"},
		{name: "customer creates org", method: "POST", host: host, auth: "SSWS " + token,
			path: "/api/v1/orgs", body: orgBody("x", nil), status: 403, code: "E0000006",
			summary: "You do not have permission to perform the requested action"},
		{name: "malformed org body", method: "POST", host: isvHost, auth: "SSWS " + isvToken,
			path: "/api/v1/orgs", body: `{"subdomain": 7}`, status: 400, code: "E0000003",
			summary: "The request body was not well-formed."},
		{name: "several blank fields", method: "POST", host: isvHost, auth: "SSWS " + isvToken,
			path: "/api/v1/orgs", body: orgBody("x", func(b map[string]any) {
				b["name"] = ""
				b["website"] = " "
			}), status: 400, code: "E0000001", summary: "Api validation failed: name",
			causes: []string{"name: The field cannot be left blank",
				"website: The field cannot be left blank"}},
		{name: "subdomain too long", method: "POST", host: isvHost, auth: "SSWS " + isvToken,
			path: "/api/v1/orgs", body: orgBody(strings.Repeat("a", 58), nil), status: 400,
			code: "E0000172", summary: "Org Creator API subdomain validation exception: " +
				"The value exceeds the max length.",
			causes: []string{"subdomain: The value exceeds the max length of 57 characters"}},
		{name: "existing subdomain of ISV", method: "POST", host: isvHost,
			auth: "SSWS " + isvToken, path: "/api/v1/orgs", body: orgBody("ACME", nil),
			status: 400, code: "E0000088", summary: "Api validation failed: subDomain",
			causes: []string{"subDomain: An object with this field already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := trySend(httpClient, s, tt.method, tt.host, tt.auth, tt.path, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			wantError(t, r, tt.status, tt.code, tt.summary, tt.causes...)
		})
	}
}
