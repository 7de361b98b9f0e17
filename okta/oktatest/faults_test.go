package oktatest_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestFaultStatus checks injected error answers and their counting.
func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name    string
		fault   oktatest.Fault
		status  int
		code    string
		summary string
	}{
		{"500", oktatest.Fault{Status: 500, Code: "E0000009", Count: 2}, 500, "E0000009",
			"Internal Server Error"},
		{"status only", oktatest.Fault{Status: 429, Count: 2}, 429, "E0000047",
			"API call exceeded rate limit due to too many requests."},
		{"code only", oktatest.Fault{Code: "E0000010", Count: 2}, 503, "E0000010",
			"Service is in read only mode"},
		{"503 by status", oktatest.Fault{Status: 503, Count: 2}, 503, "E0000010",
			"Service is in read only mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, oktatest.Options{})
			s.SetFault(oktatest.EndpointMe, tt.fault)
			for i := 0; i < 2; i++ {
				r := send(t, s, "GET", isvHost, isvToken, "/api/v1/users/me", nil)
				wantError(t, r, tt.status, tt.code, tt.summary)
				if r.header.Get("Date") == "" || r.header.Get("X-Rate-Limit-Reset") == "" {
					t.Errorf("fault answer lacks headers: %v", r.header)
				}
				if tt.status == 429 && r.header.Get("X-Rate-Limit-Remaining") != "0" {
					t.Errorf("429 Remaining = %q, want 0", r.header.Get("X-Rate-Limit-Remaining"))
				}
			}
			if r := send(t, s, "GET", isvHost, isvToken, "/api/v1/users/me", nil); r.status != 200 {
				t.Errorf("after Count: %d, want 200", r.status)
			}
			st := s.Stats()
			if got := st.ByEndpointStatus[oktatest.EndpointMe][tt.status]; got != 2 {
				t.Errorf("stats[%d] = %d, want 2", tt.status, got)
			}
		})
	}
}

// TestFaultGatewayPage checks a status with no Okta code answers HTML.
func TestFaultGatewayPage(t *testing.T) {
	s := start(t, oktatest.Options{})
	s.SetFault(oktatest.EndpointListApps, oktatest.Fault{Status: 502})
	r := send(t, s, "GET", isvHost, isvToken, "/api/v1/apps", nil)
	if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("got %d %q, want 502 text/html", r.status, r.header.Get("Content-Type"))
	}
	s.ClearFaults()
	if r := send(t, s, "GET", isvHost, isvToken, "/api/v1/apps", nil); r.status != 200 {
		t.Errorf("after ClearFaults: %d, want 200", r.status)
	}
}

// TestFaultHeaders checks header overrides: removed Date, duplicated and
// malformed rate-limit values.
func TestFaultHeaders(t *testing.T) {
	s := start(t, oktatest.Options{})
	s.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 429, Headers: http.Header{
		"Date":                 nil,
		"x-rate-limit-reset":   {"1516308966", "1516308967"},
		"X-Rate-Limit-Limit":   {"soon"},
		"X-Rate-Limit-Missing": {},
	}})
	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/apps", appBody(""))
	wantError(t, r, 429, "E0000047", "API call exceeded rate limit due to too many requests.")
	if _, ok := r.header["Date"]; ok {
		t.Errorf("Date = %q, want none", r.header.Get("Date"))
	}
	if got := r.header.Values("X-Rate-Limit-Reset"); len(got) != 2 {
		t.Errorf("X-Rate-Limit-Reset = %q, want two values", got)
	}
	if got := r.header.Get("X-Rate-Limit-Limit"); got != "soon" {
		t.Errorf("X-Rate-Limit-Limit = %q, want soon", got)
	}
	if len(s.Apps(isvHost)) != 0 {
		t.Error("a faulted create made an app")
	}
}

// TestFaultReset checks a reset connection, before and after the side
// effect.
func TestFaultReset(t *testing.T) {
	s := start(t, oktatest.Options{})
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}

	s.SetFault(oktatest.EndpointOrgs, oktatest.Fault{Reset: true, Count: 1})
	_, err := trySend(client, s, "POST", isvHost, "SSWS "+isvToken, "/api/v1/orgs",
		orgBody("lost", nil))
	if err == nil {
		t.Fatal("reset before: no error")
	}
	if got := s.OrgsCreated(); len(got) != 0 {
		t.Errorf("OrgsCreated = %q after a reset before the side effect", got)
	}

	s.SetFault(oktatest.EndpointOrgs, oktatest.Fault{Reset: true, Count: 1, AfterSuccess: true})
	_, err = trySend(client, s, "POST", isvHost, "SSWS "+isvToken, "/api/v1/orgs",
		orgBody("lost", nil))
	var netErr net.Error
	if err == nil || errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("reset after: err = %v, want a connection error", err)
	}
	if got := s.OrgsCreated(); strings.Join(got, ",") != "lost" {
		t.Errorf("OrgsCreated = %q, want [lost]", got)
	}
	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/orgs", orgBody("lost", nil))
	wantError(t, r, 400, "E0000088", "Api validation failed: subDomain",
		"subDomain: An object with this field already exists")

	var resets int
	for _, rec := range s.Requests() {
		if rec.Status == 0 && rec.Fault {
			resets++
		}
	}
	if resets != 2 {
		t.Errorf("logged resets = %d, want 2", resets)
	}
}

// TestFaultAfterSuccessStatus checks an error answer after the side effect.
func TestFaultAfterSuccessStatus(t *testing.T) {
	s := start(t, oktatest.Options{})
	s.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 500, AfterSuccess: true, Count: 1})
	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/apps", appBody(""))
	wantError(t, r, 500, "E0000009", "Internal Server Error")
	if got := len(s.Apps(isvHost)); got != 1 {
		t.Errorf("apps = %d, want 1", got)
	}
}

// TestFaultRate checks Rate 1 faults every request and a tiny Rate none.
func TestFaultRate(t *testing.T) {
	s := start(t, oktatest.Options{})
	s.SetFault(oktatest.EndpointMe, oktatest.Fault{Status: 500, Rate: 1})
	s.SetFault(oktatest.EndpointListApps, oktatest.Fault{Status: 500, Rate: 1e-12})
	for i := 0; i < 5; i++ {
		if r := send(t, s, "GET", isvHost, isvToken, "/api/v1/users/me", nil); r.status != 500 {
			t.Errorf("rate 1: %d, want 500", r.status)
		}
		if r := send(t, s, "GET", isvHost, isvToken, "/api/v1/apps", nil); r.status != 200 {
			t.Errorf("rate 1e-12: %d, want 200", r.status)
		}
	}
}

// TestFaultLatency checks injected latency outlasts a client's timeout.
func TestFaultLatency(t *testing.T) {
	s := start(t, oktatest.Options{})
	s.SetFault(oktatest.EndpointMe, oktatest.Fault{Latency: time.Hour, Count: 1})
	client := &http.Client{Timeout: 300 * time.Millisecond}
	_, err := trySend(client, s, "GET", isvHost, "SSWS "+isvToken, "/api/v1/users/me", nil)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if r := send(t, s, "GET", isvHost, isvToken, "/api/v1/users/me", nil); r.status != 200 {
		t.Errorf("after the slow one: %d, want 200", r.status)
	}
}

// TestLogHasNoSecrets checks the request log and stats carry no token,
// password or recovery answer.
func TestLogHasNoSecrets(t *testing.T) {
	const (
		canaryISV   = "canaryISVtoken0001"
		canaryOrg   = "canaryORGtoken0002"
		canaryPW    = "CanaryPw9xyzQ"
		canaryAns   = "canaryAnswer77"
		customer    = "cust.okta.com"
		canaryWrong = "canaryWRONGtoken03"
	)
	var hooked []oktatest.Request
	s := start(t, oktatest.Options{
		ISVToken:  canaryISV,
		Orgs:      []oktatest.Org{{Host: customer, Token: canaryOrg}},
		OnRequest: func(r oktatest.Request) { hooked = append(hooked, r) },
	})
	body := orgBody("secretco", func(b map[string]any) {
		creds(b)["password"] = map[string]any{"value": canaryPW}
		creds(b)["recovery_question"] = map[string]any{"question": "Q?", "answer": canaryAns}
	})
	created := send(t, s, "POST", isvHost, canaryISV, "/api/v1/orgs", body)
	weak := orgBody("weakco", func(b map[string]any) {
		creds(b)["password"] = map[string]any{"value": "canary"}
	})
	bodies := []result{
		created,
		send(t, s, "POST", isvHost, canaryISV, "/api/v1/orgs", weak),
		send(t, s, "GET", customer, canaryOrg, "/api/v1/users/me", nil),
		send(t, s, "GET", customer, canaryWrong, "/api/v1/users/me", nil),
		send(t, s, "GET", "nobody.okta.com", canaryWrong, "/api/v1/users/me?token="+canaryWrong, nil),
	}
	newToken := decode[createdOrg](t, created).Token
	send(t, s, "GET", "secretco.oktapreview.com", newToken, "/api/v1/users/me", nil)

	logs, _ := json.Marshal(s.Requests())
	stats, _ := json.Marshal(s.Stats())
	hook, _ := json.Marshal(hooked)
	for _, secret := range []string{canaryISV, canaryOrg, canaryPW, canaryAns, canaryWrong,
		newToken, "canary"} {
		for name, text := range map[string][]byte{"requests": logs, "stats": stats, "hook": hook} {
			if strings.Contains(string(text), secret) {
				t.Errorf("%s holds secret %q", name, secret)
			}
		}
		if secret == newToken {
			continue
		}
		for i, r := range bodies {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("answer %d holds secret %q: %s", i, secret, r.body)
			}
		}
	}
	if got := len(s.Requests()); got != 6 || len(hooked) != 6 {
		t.Errorf("Requests = %d, hooked %d, want 6", got, len(hooked))
	}
}
