package okta_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// These tests hold each retry and rate-limit rule against the Okta
// emulator over real HTTP, and count the requests it saw exactly.

const (
	rulesISV      = "acme.oktapreview.com"
	rulesCustomer = "initech.okta.com"
)

// rulesLab is an emulator, a client aimed at it and the exchanges the
// client reported.
type rulesLab struct {
	emu      *oktatest.Server
	client   *okta.Client
	isvToken string
	orgToken string

	mu        sync.Mutex
	exchanges []okta.Exchange
}

func newRulesLab(tb testing.TB) *rulesLab {
	tb.Helper()
	l := &rulesLab{isvToken: "isv-rules-token", orgToken: "initech-rules-token"}
	l.emu = oktatest.New(oktatest.Options{ISVHost: rulesISV, ISVToken: l.isvToken,
		Orgs: []oktatest.Org{{Host: rulesCustomer, Token: l.orgToken}}})
	if err := l.emu.Start("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.emu.Close() })
	var err error
	l.client, err = okta.New(okta.Config{
		DevEndpoint: l.emu.URL(), RequestTimeout: 10 * time.Second,
		Observe: func(ex okta.Exchange) {
			l.mu.Lock()
			l.exchanges = append(l.exchanges, ex)
			l.mu.Unlock()
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// rulesPolicy retries fast: the backoff is a few milliseconds, so only
// waits Okta asks for take real time.
var rulesPolicy = okta.RetryPolicy{
	InitialInterval: 2 * time.Millisecond, MaxInterval: 20 * time.Millisecond,
	MaxAttempts: 4, MaxHold: 3 * time.Second,
}

// rulesDate is Okta's clock in the 429s below: years behind the local one,
// so a wait measured on the local clock would be negative.
var rulesDate = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func rateHeaders(date time.Time, reset int64) http.Header {
	return http.Header{
		"Date":                   {date.Format(http.TimeFormat)},
		"X-Rate-Limit-Limit":     {"50"},
		"X-Rate-Limit-Remaining": {"0"},
		"X-Rate-Limit-Reset":     {strconv.FormatInt(reset, 10)},
	}
}

func orgRequest(sub string) *okta.CreateOrgRequest {
	return &okta.CreateOrgRequest{
		Subdomain: sub, Name: "Rules " + sub, Website: "https://www." + sub + ".example",
		Admin: okta.OrgAdmin{Profile: okta.OrgAdminProfile{
			FirstName: "Joe", LastName: "Smith", Email: "joe@" + sub + ".example", Login: "joe@" + sub + ".example",
		}},
	}
}

func appRequest(name string) *okta.CreateAppRequest {
	return &okta.CreateAppRequest{Name: name, Label: "Rules app", SignOnMode: "SAML_2_0",
		Settings: okta.AppSettings{App: map[string]any{"loginURL": "https://sp.example.com/sso"}}}
}

func TestRetryRulesExactRequests(t *testing.T) {
	type call func(ctx context.Context, l *rulesLab) error
	me := func(ctx context.Context, l *rulesLab) error {
		_, err := l.client.Me(ctx, rulesISV, l.isvToken)
		return err
	}
	createOrg := func(sub string) call {
		return func(ctx context.Context, l *rulesLab) error {
			_, err := l.client.CreateOrg(ctx, rulesISV, l.isvToken, orgRequest(sub))
			return err
		}
	}
	createApp := func(name string) call {
		return func(ctx context.Context, l *rulesLab) error {
			_, err := l.client.CreateApp(ctx, rulesCustomer, l.orgToken, appRequest(name))
			return err
		}
	}
	customerMe := func(ctx context.Context, l *rulesLab) error {
		_, err := l.client.Me(ctx, rulesCustomer, "customer-wrong-token")
		return err
	}
	fault429 := func(h http.Header, count int) oktatest.Fault {
		return oktatest.Fault{Status: 429, Count: count, Headers: h}
	}
	tests := []struct {
		name     string
		endpoint oktatest.Endpoint
		fault    oktatest.Fault
		call     call
		requests int
		// wantErr: nil for success; otherwise errors.Is/As must match.
		wantErr   func(error) bool
		checkWait func(waits []time.Duration) bool
	}{
		{name: "5xx is retried", endpoint: oktatest.EndpointMe, call: me, requests: 3,
			fault: oktatest.Fault{Status: 500, Count: 2}},
		{name: "5xx until the budget is spent", endpoint: oktatest.EndpointMe, call: me, requests: 4,
			fault:   oktatest.Fault{Status: 503},
			wantErr: func(err error) bool { return okta.IsTransient(err) }},
		{name: "connection reset on a GET is retried", endpoint: oktatest.EndpointMe, call: me, requests: 3,
			fault: oktatest.Fault{Reset: true, Count: 2}},
		{name: "connection reset on a POST is never repeated", endpoint: oktatest.EndpointOrgs,
			call: createOrg("rules-reset"), requests: 1, fault: oktatest.Fault{Reset: true, Count: 1},
			wantErr: func(err error) bool { return errors.Is(err, okta.ErrAmbiguous) }},
		{name: "E0000171 is retried", endpoint: oktatest.EndpointOrgs, call: createOrg("rules-busy"),
			requests: 2, fault: oktatest.Fault{Code: oktatest.CodeSubdomainBusy, Count: 1}},
		{name: "400 is never retried", endpoint: oktatest.EndpointOrgs, call: createOrg("rules-400"),
			requests: 1, fault: oktatest.Fault{Status: 400, Count: 1},
			wantErr: func(err error) bool { return okta.AsError(err).HTTPStatus == 400 && !okta.IsTransient(err) }},
		{name: "404 for an unknown app name is never retried", endpoint: oktatest.EndpointApps,
			call: createApp("no_such_app"), requests: 1,
			wantErr: func(err error) bool { return okta.AsError(err).Code == okta.CodeNotFound }},
		{name: "a customer's invalid token is never retried", endpoint: oktatest.EndpointMe,
			call: customerMe, requests: 1,
			wantErr: func(err error) bool { return okta.AsError(err).Code == okta.CodeInvalidToken }},
		{name: "429 waits for the reset by Okta's Date", endpoint: oktatest.EndpointApps,
			call: createApp("servicenow_app2"), requests: 2,
			fault: fault429(rateHeaders(rulesDate, rulesDate.Unix()+1), 1),
			// Reset - Date + 1s for Date's rounding.
			checkWait: func(w []time.Duration) bool { return len(w) == 1 && w[0] == 2*time.Second }},
		{name: "concurrency-limit 429 waits short", endpoint: oktatest.EndpointApps,
			call: createApp("boxnet"), requests: 3,
			fault: fault429(http.Header{"X-Rate-Limit-Limit": {"0"}, "X-Rate-Limit-Remaining": {"0"}}, 2),
			checkWait: func(w []time.Duration) bool {
				return len(w) == 2 && w[0] >= 100*time.Millisecond && w[0] < time.Second &&
					w[1] >= 100*time.Millisecond && w[1] < time.Second
			}},
		{name: "429 without headers backs off", endpoint: oktatest.EndpointMe, call: me, requests: 2,
			fault: fault429(http.Header{"Date": nil, "X-Rate-Limit-Limit": nil,
				"X-Rate-Limit-Remaining": nil, "X-Rate-Limit-Reset": nil}, 1),
			checkWait: backedOff},
		{name: "429 with repeated differing reset backs off", endpoint: oktatest.EndpointMe, call: me,
			requests: 2, fault: fault429(http.Header{"Date": {rulesDate.Format(http.TimeFormat)},
				"X-Rate-Limit-Reset": {strconv.FormatInt(rulesDate.Unix()+1, 10),
					strconv.FormatInt(rulesDate.Unix()+50, 10)}}, 1),
			checkWait: backedOff},
		{name: "429 with malformed headers backs off", endpoint: oktatest.EndpointMe, call: me, requests: 2,
			fault:     fault429(http.Header{"Date": {"someday"}, "X-Rate-Limit-Reset": {"soon"}}, 1),
			checkWait: backedOff},
		{name: "429 with a reset before Okta's Date backs off", endpoint: oktatest.EndpointMe, call: me,
			requests: 2, fault: fault429(rateHeaders(rulesDate, rulesDate.Unix()-30), 1),
			checkWait: backedOff},
		{name: "429 beyond MaxHold defers", endpoint: oktatest.EndpointMe, call: me, requests: 1,
			fault: fault429(rateHeaders(rulesDate, rulesDate.Unix()+4), 1),
			wantErr: func(err error) bool {
				var de *okta.DeferError
				return errors.As(err, &de) && de.After == 5*time.Second
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newRulesLab(t)
			if tt.fault.Status != 0 || tt.fault.Code != "" || tt.fault.Reset {
				l.emu.SetFault(tt.endpoint, tt.fault)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var waits []time.Duration
			_, err := rulesPolicy.Do(ctx, func(ctx context.Context) error { return tt.call(ctx, l) },
				func(_ int, _ error, wait time.Duration) { waits = append(waits, wait) })
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.wantErr != nil && (err == nil || !tt.wantErr(err)):
				t.Errorf("err = %v, not the error wanted", err)
			}
			if got := l.emu.Stats().ByEndpoint[tt.endpoint]; got != tt.requests {
				t.Errorf("emulator saw %d requests to %s, want exactly %d", got, tt.endpoint, tt.requests)
			}
			if tt.checkWait != nil && !tt.checkWait(waits) {
				t.Errorf("waits %v break the rule", waits)
			}
		})
	}
}

// backedOff: one backoff wait, positive and within the policy's bound.
func backedOff(w []time.Duration) bool {
	return len(w) == 1 && w[0] >= 10*time.Millisecond && w[0] <= rulesPolicy.MaxInterval+10*time.Millisecond
}

// TestThrottleBeforeTheLimit: the client reads X-Rate-Limit-Remaining and
// slows down before Okta says 429, per host and bucket: a spent apps
// bucket of one org neither slows that org's other buckets nor another
// org's apps.
func TestThrottleBeforeTheLimit(t *testing.T) {
	t.Parallel()
	l := newRulesLab(t)
	const other = "globex.okta.com"
	l.emu.AddOrg(other, l.orgToken)
	if err := l.emu.SetRateLimit(oktatest.BucketApps, 5, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	find := func(host string) okta.Exchange {
		t.Helper()
		if _, err := l.client.FindAppByLabel(ctx, host, l.orgToken, "zendesk", "none"); err != nil {
			t.Fatalf("find on %s: %v", host, err)
		}
		return l.last()
	}
	for range 5 {
		find(rulesCustomer) // the window's five requests
	}
	// The apps bucket of initech is spent; the others are not.
	if ex := find(other); ex.Throttled != 0 {
		t.Errorf("another org's apps waited %s, want no wait", ex.Throttled)
	}
	if _, err := l.client.Me(ctx, rulesCustomer, l.orgToken); err != nil {
		t.Fatal(err)
	}
	if ex := l.last(); ex.Throttled != 0 {
		t.Errorf("the same org's users/me waited %s, want no wait", ex.Throttled)
	}
	// The next apps request waits for the window instead of meeting 429.
	if ex := find(rulesCustomer); ex.Throttled <= 0 || ex.Status != 200 {
		t.Errorf("sixth apps request: waited %s, status %d; want a wait and 200", ex.Throttled, ex.Status)
	}
	st := l.emu.Stats()
	if st.ByStatus[429] != 0 || st.ByEndpoint[oktatest.EndpointListApps] != 7 {
		t.Errorf("emulator saw %d app lookups and %d 429s, want 7 and none",
			st.ByEndpoint[oktatest.EndpointListApps], st.ByStatus[429])
	}
}

// last is the latest exchange the client reported.
func (l *rulesLab) last() okta.Exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.exchanges[len(l.exchanges)-1]
}
