package oktatest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestRateLimit checks the fixed windows per org and bucket and the 429.
func TestRateLimit(t *testing.T) {
	const host, token = "cust.okta.com", "cust-token"
	clk := newClock()
	t0 := clk.Now()
	s := start(t, oktatest.Options{Now: clk.Now, Orgs: []oktatest.Org{{Host: host, Token: token}}})
	if err := s.SetRateLimit(oktatest.BucketApps, 2, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRateLimit("nope", 1, time.Minute); err == nil {
		t.Error("SetRateLimit(unknown bucket) = nil, want an error")
	}
	epoch := func(d time.Duration) string { return strconv.FormatInt(t0.Add(d).Unix(), 10) }

	steps := []struct {
		advance   time.Duration
		method    string
		host      string
		token     string
		path      string
		status    int
		limit     string
		remaining string
		reset     string
	}{
		{0, "POST", host, token, "/api/v1/apps", 200, "2", "1", epoch(time.Minute)},
		{10 * time.Second, "GET", host, token, "/api/v1/apps", 200, "2", "0", epoch(time.Minute)},
		{10 * time.Second, "GET", host, token, "/api/v1/apps/x/sso/saml/metadata", 429, "2", "0",
			epoch(time.Minute)},
		// Other buckets and other orgs have their own counters.
		{0, "GET", host, token, "/api/v1/users/me", 200, "10000", "9999", epoch(80 * time.Second)},
		{0, "GET", isvHost, isvToken, "/api/v1/apps", 200, "2", "1", epoch(80 * time.Second)},
		// A new window starts at the first request after the old one.
		{40 * time.Second, "GET", host, token, "/api/v1/apps", 200, "2", "1",
			epoch(2 * time.Minute)},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		var body any
		if st.method == "POST" {
			body = appBody("")
		}
		r := send(t, s, st.method, st.host, st.token, st.path, body)
		if r.status != st.status {
			t.Errorf("step %d: status %d, want %d (%s)", i, r.status, st.status, r.body)
		}
		got := []string{r.header.Get("X-Rate-Limit-Limit"), r.header.Get("X-Rate-Limit-Remaining"),
			r.header.Get("X-Rate-Limit-Reset")}
		want := []string{st.limit, st.remaining, st.reset}
		if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("step %d: limit, remaining, reset = %q, want %q", i, got, want)
		}
		if r.status == http.StatusTooManyRequests {
			wantError(t, r, 429, "E0000047",
				"API call exceeded rate limit due to too many requests.")
		}
	}
}

// TestNewOrgReadyAfter checks a new org's token is refused until ready.
func TestNewOrgReadyAfter(t *testing.T) {
	clk := newClock()
	s := start(t, oktatest.Options{Now: clk.Now, NewOrgReadyAfter: 30 * time.Second})
	org := createOrg(t, s, "slowco")
	const host = "slowco.oktapreview.com"

	r := send(t, s, "GET", host, org.Token, "/api/v1/users/me", nil)
	wantError(t, r, 401, "E0000011", "Invalid token provided")
	clk.Advance(29 * time.Second)
	r = send(t, s, "GET", host, org.Token, "/api/v1/apps", nil)
	wantError(t, r, 401, "E0000011", "Invalid token provided")
	clk.Advance(time.Second)
	if r := send(t, s, "GET", host, org.Token, "/api/v1/users/me", nil); r.status != 200 {
		t.Errorf("after 30s: %d %s, want 200", r.status, r.body)
	}
}

// TestMetadataReadyAfter checks a new app's metadata is 404 for a while.
func TestMetadataReadyAfter(t *testing.T) {
	clk := newClock()
	s := start(t, oktatest.Options{Now: clk.Now, MetadataReadyAfter: 2 * time.Second})
	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/apps", appBody(""))
	id := decode[struct{ ID string }](t, r).ID
	path := "/api/v1/apps/" + id + "/sso/saml/metadata"

	r = send(t, s, "GET", isvHost, isvToken, path, nil)
	wantError(t, r, 404, "E0000007", "Not found: Resource not found: "+id+" (App)")
	clk.Advance(2 * time.Second)
	if r := send(t, s, "GET", isvHost, isvToken, path, nil); r.status != 200 {
		t.Errorf("after 2s: %d %s, want 200", r.status, r.body)
	}
	r = send(t, s, "GET", isvHost, isvToken, path+"?kid=other", nil)
	wantError(t, r, 404, "E0000007", "Not found: Resource not found: other (AppInstanceKey)")
}

// TestConcurrentCreate checks a second create of a subdomain in flight
// gets E0000171, and one after it completed E0000088.
func TestConcurrentCreate(t *testing.T) {
	s := start(t, oktatest.Options{})
	reserved := make(chan string, 1)
	release := make(chan struct{})
	s.SetReserveHook(func(sub string) {
		reserved <- sub
		<-release
	})

	first := make(chan result, 1)
	go func() {
		r, err := trySend(httpClient, s, "POST", isvHost, "SSWS "+isvToken, "/api/v1/orgs",
			orgBody("race", nil))
		if err != nil {
			t.Errorf("first create: %v", err)
		}
		first <- r
	}()
	select {
	case sub := <-reserved:
		if sub != "race" {
			t.Errorf("reserved %q, want race", sub)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("first create never reserved its subdomain")
	}
	s.SetReserveHook(nil)

	r := send(t, s, "POST", isvHost, isvToken, "/api/v1/orgs", orgBody("RACE", nil))
	wantError(t, r, 400, "E0000171", "Org Creator API subdomain validation exception: "+
		"The value is already in use by a different request.",
		"subdomain: The value is already in use by a different request")
	close(release)
	if r := <-first; r.status != http.StatusCreated {
		t.Errorf("first create: %d %s, want 201", r.status, r.body)
	}
	r = send(t, s, "POST", isvHost, isvToken, "/api/v1/orgs", orgBody("race", nil))
	wantError(t, r, 400, "E0000088", "Api validation failed: subDomain",
		"subDomain: An object with this field already exists")
	if got := s.OrgsCreated(); len(got) != 1 {
		t.Errorf("OrgsCreated = %q, want one", got)
	}
}
