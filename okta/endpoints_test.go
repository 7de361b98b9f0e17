package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// checkCommon fails the request unless it carries the headers every call
// must send.
func checkCommon(t *testing.T, r *http.Request, method, path, accept string) {
	t.Helper()
	checks := []struct{ name, got, want string }{
		{"method", r.Method, method},
		{"path", r.URL.Path, path},
		{"Host", r.Host, testHost},
		{"Authorization", r.Header.Get("Authorization"), "SSWS " + testToken},
		{"Accept", r.Header.Get("Accept"), accept},
		{"User-Agent", r.Header.Get("User-Agent"), "embedded-occ-provisioner"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestMe(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkCommon(t, r, "GET", "/api/v1/users/me", "application/json")
		if ct := r.Header.Get("Content-Type"); ct != "" {
			t.Errorf("GET sent Content-Type %q", ct)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(testdata(t, "user.json"))
	})
	c := newTestClient(t, h, nil)

	u, err := c.Me(testCtx(t), "ACME.oktapreview.com", testToken)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	want := User{ID: "00u1abcd1Abcd11a1a1", Status: "ACTIVE", Profile: UserProfile{
		Login: "provisioner@acme.example", Email: "provisioner@acme.example",
		FirstName: "Provisioning", LastName: "Robot",
	}}
	if *u != want {
		t.Errorf("Me = %+v, want %+v", *u, want)
	}
}

// sampleOrgRequest is the seed's org request.
func sampleOrgRequest() *CreateOrgRequest {
	return &CreateOrgRequest{
		Subdomain: "mycompany",
		Name:      "MyCompany Inc",
		Website:   "https://www.mycompany.com",
		Edition:   "DIRECTORY",
		Licensing: &Licensing{Apps: []string{"boxnet"}},
		Admin: OrgAdmin{
			Profile: OrgAdminProfile{
				FirstName: "Joe", LastName: "Smith",
				Email: "joe@mycompany.com", Login: "joe@mycompany.com",
			},
			Credentials: &OrgAdminCredentials{
				Password: &PasswordValue{Value: "L0v30ktA!-canary-pw"},
				RecoveryQuestion: &RecoveryQuestion{
					Question: "What is your favorite IDaaS?", Answer: "canary-answer-okta",
				},
			},
		},
	}
}

func TestCreateOrg(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkCommon(t, r, "POST", "/api/v1/orgs", "application/json")
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		var got CreateOrgRequest
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode request: %v", err)
		}
		if got.Subdomain != "mycompany" || got.Admin.Credentials.Password.Value == "" {
			t.Errorf("request = %+v", got)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(testdata(t, "org.json"))
	})
	c := newTestClient(t, h, nil)

	org, err := c.CreateOrg(testCtx(t), testHost, testToken, sampleOrgRequest())
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"ID", org.ID, "00o8abcd3myfI6FM1234"},
		{"Subdomain", org.Subdomain, "mycompany"},
		{"Name", org.Name, "MyCompany Inc"},
		{"Website", org.Website, "https://www.mycompany.com"},
		{"Status", org.Status, "ACTIVE"},
		{"Edition", org.Edition, "DIRECTORY"},
		{"Token", org.Token, "00AbCdefghPijn7s7sue77oi7zz7zzZZxyzOHa7XyZ"},
		{"TokenType", org.TokenType, "SSWS"},
		{"administrator", org.Links["administrator"].Href,
			"https://{yourOktaDomain}.com/api/v1/users/00u1abcd1Abcd11a1a1"},
		{"Created", org.Created.Format(time.RFC3339), "2016-11-08T15:16:01Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if org.ExpiresAt != nil {
		t.Errorf("ExpiresAt = %v, want nil", org.ExpiresAt)
	}
	if org.Licensing == nil || len(org.Licensing.Apps) != 1 || org.Licensing.Apps[0] != "boxnet" {
		t.Errorf("Licensing = %+v, want apps [boxnet]", org.Licensing)
	}
}

func TestCreateApp(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkCommon(t, r, "POST", "/api/v1/apps", "application/json")
		var got CreateAppRequest
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode request: %v", err)
		}
		if got.Name != "servicenow_app2" || got.Settings.App["loginURL"] == nil {
			t.Errorf("request = %+v", got)
		}
		_, _ = w.Write(testdata(t, "app.json"))
	})
	c := newTestClient(t, h, nil)

	req := &CreateAppRequest{
		Name: "servicenow_app2", Label: "ACME SSO", Status: "ACTIVE", SignOnMode: "SAML_2_0",
		Settings: AppSettings{App: map[string]any{"loginURL": "https://sleetesting.com/sso/saml"}},
	}
	app, err := c.CreateApp(testCtx(t), testHost, testToken, req)
	if err != nil {
		t.Fatalf("CreateApp: %v", err)
	}
	if app.ID != testAppID || app.Name != "servicenow_app2" || app.Label != "ACME SSO" ||
		app.SignOnMode != "SAML_2_0" || app.Status != "ACTIVE" {
		t.Errorf("CreateApp = %+v", app)
	}
	if _, ok := app.Links["metadata"]; !ok {
		t.Errorf("app links lack metadata: %v", app.Links)
	}
}

func TestFindAppByLabel(t *testing.T) {
	const label = "ACME SSO & more/100%"
	list := `[
		{"id":"0oaOther1","name":"servicenow_app2","label":"ACME SSO & more/100% (old)"},
		{"id":"0oaOther2","name":"boxnet","label":"ACME SSO & more/100%"},
		{"id":"0oaWanted","name":"servicenow_app2","label":"ACME SSO & more/100%",
		 "status":"ACTIVE","extra":{"ignored":true}}
	]`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkCommon(t, r, "GET", "/api/v1/apps", "application/json")
		q := r.URL.Query()
		if q.Get("q") != label || q.Get("limit") != "200" || len(q) != 2 {
			t.Errorf("query = %v", q)
		}
		_, _ = w.Write([]byte(list))
	})
	c := newTestClient(t, h, nil)
	ctx := testCtx(t)

	app, err := c.FindAppByLabel(ctx, testHost, testToken, "servicenow_app2", label)
	if err != nil {
		t.Fatalf("FindAppByLabel: %v", err)
	}
	if app == nil || app.ID != "0oaWanted" {
		t.Errorf("FindAppByLabel = %+v, want 0oaWanted", app)
	}
	app, err = c.FindAppByLabel(ctx, testHost, testToken, "other_app", label)
	if app != nil || err != nil {
		t.Errorf("FindAppByLabel(no match) = %+v, %v, want nil, nil", app, err)
	}
}

func TestMetadata(t *testing.T) {
	want := testdata(t, "metadata.xml")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkCommon(t, r, "GET", "/api/v1/apps/"+testAppID+"/sso/saml/metadata", "application/xml")
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(want)
	})
	c := newTestClient(t, h, nil)

	got, err := c.Metadata(testCtx(t), testHost, testToken, testAppID)
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Metadata = %q, want the sample", got)
	}
}

func TestMetadataRefusesBadAppID(t *testing.T) {
	c := newClientFor(t, "http://127.0.0.1:1", nil)
	for _, id := range []string{"", "../users", "0oa/x", "0oa?x=1", "0oa%2F", strings.Repeat("a", 65)} {
		_, err := c.Metadata(testCtx(t), testHost, testToken, id)
		if err == nil || errors.Is(err, ErrTransport) {
			t.Errorf("Metadata(%q) = %v, want a refusal before any request", id, err)
		}
	}
}

func TestBadResponses(t *testing.T) {
	orgNoToken := `{"id":"00o1","subdomain":"x"}`
	orgNoID := `{"token":"secret-new-org-token"}`
	tests := []struct {
		name string
		call func(c *Client) error
		rp   reply
	}{
		{"org without token", createOrgCall, reply{status: 201, body: orgNoToken}},
		{"org without id", createOrgCall, reply{status: 201, body: orgNoID}},
		{"org not JSON", createOrgCall, reply{status: 201, body: "<html>hi</html>"}},
		{"org wrong type", createOrgCall, reply{status: 201, body: `{"id":5,"token":"t"}`}},
		{"org empty body", createOrgCall, reply{status: 201}},
		{"org null", createOrgCall, reply{status: 201, body: "null"}},
		{"app without id", createAppCall, reply{body: `{"name":"x","label":"y"}`}},
		{"app array", createAppCall, reply{body: `[]`}},
		{"me not JSON", meCall, reply{body: "ok"}},
		{"list not array", findCall, reply{body: `{"id":"0oa1"}`}},
		{"listed app without id", findCall, reply{body: `[{"name":"n","label":"l"}]`}},
		{"empty metadata", metadataCall, reply{body: " \n "}},
		{"no content", metadataCall, reply{status: 204}},
	}
	for _, tt := range tests {
		c := newTestClient(t, newReplies(tt.rp), nil)
		err := tt.call(c)
		if !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: err = %v, want ErrBadResponse", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-new-org-token") {
			t.Errorf("%s: error repeats the body: %v", tt.name, err)
		}
	}
}

func createOrgCall(c *Client) error {
	_, err := c.CreateOrg(testCtxBG(), testHost, testToken, sampleOrgRequest())
	return err
}

func createAppCall(c *Client) error {
	req := &CreateAppRequest{Name: "servicenow_app2", Label: "l", SignOnMode: "SAML_2_0"}
	_, err := c.CreateApp(testCtxBG(), testHost, testToken, req)
	return err
}

func meCall(c *Client) error {
	_, err := c.Me(testCtxBG(), testHost, testToken)
	return err
}

func findCall(c *Client) error {
	_, err := c.FindAppByLabel(testCtxBG(), testHost, testToken, "n", "l")
	return err
}

func metadataCall(c *Client) error {
	_, err := c.Metadata(testCtxBG(), testHost, testToken, testAppID)
	return err
}

func TestNilRequests(t *testing.T) {
	c := newClientFor(t, "http://127.0.0.1:1", nil)
	if _, err := c.CreateOrg(testCtx(t), testHost, testToken, nil); err == nil {
		t.Error("CreateOrg(nil) succeeded")
	}
	if _, err := c.CreateApp(testCtx(t), testHost, testToken, nil); err == nil {
		t.Error("CreateApp(nil) succeeded")
	}
}

func TestTokenShape(t *testing.T) {
	c := newTestClient(t, newReplies(reply{body: "{}"}), nil)
	for _, tok := range []string{"", "a b", "tok\r\nX-Evil: 1", "tök"} {
		if _, err := c.Me(testCtx(t), testHost, tok); err == nil || errors.Is(err, ErrTransport) {
			t.Errorf("Me(token %q) = %v, want a refusal", tok, err)
		}
	}
}

// drain reads a request body so the handler can answer after it.
func drain(r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }
