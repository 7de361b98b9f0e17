package oktatest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

const (
	isvHost  = "acme.oktapreview.com"
	isvToken = "isv-test-token"
)

// start runs an emulator on a random loopback port for the test.
func start(t testing.TB, opts oktatest.Options) *oktatest.Server {
	t.Helper()
	if opts.ISVHost == "" {
		opts.ISVHost = isvHost
	}
	if opts.ISVToken == "" {
		opts.ISVToken = isvToken
	}
	s := oktatest.New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// clock is a settable emulator clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2016, 11, 8, 15, 16, 1, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// result is a finished exchange.
type result struct {
	status int
	header http.Header
	body   []byte
}

// errBody is Okta's error body.
type errBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorLink    string `json:"errorLink"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// send makes one request to host through s; a non-nil body is sent as
// JSON (a string is sent as is). token "" sends no Authorization.
func send(t testing.TB, s *oktatest.Server, method, host, token, path string, body any) result {
	t.Helper()
	auth := ""
	if token != "" {
		auth = "SSWS " + token
	}
	res, err := trySend(httpClient, s, method, host, auth, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// trySend is send with a raw Authorization header and a client, returning
// transport errors.
func trySend(c *http.Client, s *oktatest.Server, method, host, auth, path string,
	body any) (result, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return result{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		return result{}, err
	}
	req.Host = host
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// decode decodes a JSON body.
func decode[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// wantError checks r is Okta's error with this status, code, summary and
// causes.
func wantError(t testing.TB, r result, status int, code, summary string, causes ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	e := decode[errBody](t, r)
	if e.ErrorCode != code || e.ErrorLink != code {
		t.Errorf("errorCode, errorLink = %q, %q, want %q", e.ErrorCode, e.ErrorLink, code)
	}
	if e.ErrorSummary != summary {
		t.Errorf("errorSummary = %q, want %q", e.ErrorSummary, summary)
	}
	if !strings.HasPrefix(e.ErrorID, "oae") || len(e.ErrorID) != 25 {
		t.Errorf("errorId = %q, want oae + 22 chars", e.ErrorID)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(r.body, &raw)
	if string(raw["errorCauses"]) == "null" || raw["errorCauses"] == nil {
		t.Errorf("errorCauses = %s, want an array", raw["errorCauses"])
	}
	var got []string
	for _, c := range e.ErrorCauses {
		got = append(got, c.ErrorSummary)
	}
	if strings.Join(got, "\n") != strings.Join(causes, "\n") {
		t.Errorf("errorCauses = %q, want %q", got, causes)
	}
}

// orgBody is the seed's org creation body for subdomain, changed by edit.
func orgBody(subdomain string, edit func(b map[string]any)) map[string]any {
	b := map[string]any{
		"subdomain": subdomain,
		"name":      "MyCompany Inc",
		"website":   "https://www.mycompany.com",
		"edition":   "DIRECTORY",
		"licensing": map[string]any{"apps": []string{"boxnet"}},
		"admin": map[string]any{
			"profile": map[string]any{
				"firstName":   "Joe",
				"lastName":    "Smith",
				"email":       "joe@mycompany.com",
				"login":       "joe@mycompany.com",
				"mobilePhone": nil,
			},
			"credentials": map[string]any{
				"password": map[string]any{"value": "L0v30ktA!"},
				"recovery_question": map[string]any{
					"question": "What is your favorite IDaaS?",
					"answer":   "Okta",
				},
			},
		},
	}
	if edit != nil {
		edit(b)
	}
	return b
}

// creds returns the admin credentials map of an org body.
func creds(b map[string]any) map[string]any {
	return b["admin"].(map[string]any)["credentials"].(map[string]any)
}

// appBody is the seed's servicenow_app2 body with label (none when "").
func appBody(label string) map[string]any {
	b := map[string]any{
		"name":       "servicenow_app2",
		"status":     "ACTIVE",
		"signOnMode": "SAML_2_0",
		"settings": map[string]any{
			"app": map[string]any{"loginURL": "https://sleetesting.com/sso/saml"},
		},
	}
	if label != "" {
		b["label"] = label
	}
	return b
}

// createdOrg is the part of a 201 org body the tests read.
type createdOrg struct {
	ID        string `json:"id"`
	Subdomain string `json:"subdomain"`
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	Links     map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
}

// createOrg creates an org through the ISV and returns its body.
func createOrg(t testing.TB, s *oktatest.Server, sub string) createdOrg {
	t.Helper()
	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/orgs", orgBody(sub, nil))
	if r.status != http.StatusCreated {
		t.Fatalf("create org %s: status %d body %s", sub, r.status, r.body)
	}
	return decode[createdOrg](t, r)
}
