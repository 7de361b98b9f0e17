package faults

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// oktaCase is one Okta fault, the outcome it must lead to, and exactly
// how many requests of each kind the emulator must see for the signup.
type oktaCase struct {
	name   string
	faults map[oktatest.Endpoint]oktatest.Fault
	// signup overrides the default new-tenant signup.
	signup func(id, slug string) signupSpec
	// code "" wants TenantProvisioned, else this ProvisioningFailed code.
	code       string
	replayable bool
	want       map[oktatest.Endpoint]int
	// minGap, when set, is the least time between two requests to
	// gapEndpoint: a wait the worker must have made (a lower bound only).
	gapEndpoint oktatest.Endpoint
	minGap      time.Duration
	check       func(t *testing.T, l *lab, id string)
}

// flow is the exact request count of each endpoint.
func flow(me, orgs, apps, lookups, metadata int) map[oktatest.Endpoint]int {
	return map[oktatest.Endpoint]int{
		oktatest.EndpointMe: me, oktatest.EndpointOrgs: orgs, oktatest.EndpointApps: apps,
		oktatest.EndpointListApps: lookups, oktatest.EndpointMetadata: metadata,
	}
}

// okta429 is a 429 whose headers say: Okta's clock reads date, and the
// window resets resetIn later. date lies in the past, so that a wait
// measured on the local clock would come out negative.
func okta429(count int, date time.Time, resetIn time.Duration) oktatest.Fault {
	return oktatest.Fault{Status: http.StatusTooManyRequests, Count: count, Headers: http.Header{
		"Date":                   {date.UTC().Format(http.TimeFormat)},
		"X-Rate-Limit-Limit":     {"50"},
		"X-Rate-Limit-Remaining": {"0"},
		"X-Rate-Limit-Reset":     {strconv.FormatInt(date.Add(resetIn).Unix(), 10)},
	}}
}

// onApps injects f into app creation.
func onApps(f oktatest.Fault) map[oktatest.Endpoint]oktatest.Fault {
	return map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointApps: f}
}

// oktaDate is the Date of the emulated 429s: far behind the local clock.
var oktaDate = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// runOktaCases runs cases one after another against one worker, so that
// each case's request counts are its own.
func runOktaCases(t *testing.T, l *lab, cases []oktaCase) {
	w := l.startWorker(workerOpts{})
	w.waitReady()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slug := slugOf(c.name)
			sg := newTenant("sg-"+slug, slug)
			if c.signup != nil {
				sg = c.signup("sg-"+slug, slug)
			}
			before := l.emu.Stats().ByEndpoint
			for e, f := range c.faults {
				l.emu.SetFault(e, f)
			}
			id := l.publish(sg)
			r := l.waitResult(id, 0)
			l.emu.ClearFaults()
			after := l.emu.Stats().ByEndpoint

			if c.code == "" {
				r.provisioned(t)
			} else if f := r.failed(t); f.Error.ErrorCode != c.code || f.Replayable != c.replayable {
				t.Errorf("failure %s (replayable %t), want %s (replayable %t)",
					f.Error.ErrorCode, f.Replayable, c.code, c.replayable)
			}
			for e, n := range c.want {
				if got := after[e] - before[e]; got != n {
					t.Errorf("emulator saw %d requests to %s, want exactly %d", got, e, n)
				}
			}
			if c.minGap > 0 {
				for i, gap := range gaps(l, c.gapEndpoint, sg) {
					if gap < c.minGap {
						t.Errorf("request %d to %s came %s after the one before, want at least %s",
							i+2, c.gapEndpoint, gap, c.minGap)
					}
				}
			}
			checkJournal(t, l, id)
			if c.check != nil {
				c.check(t, l, id)
			}
		})
	}
	l.settle()
	w.stop()
}

// slugOf makes a subdomain of a case name: lower-case letters, digits and
// inner hyphens.
func slugOf(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// gaps returns the times between consecutive requests to e for sg's org
// (the ISV's org for org creation and token checks of new tenants).
func gaps(l *lab, e oktatest.Endpoint, sg signupSpec) []time.Duration {
	host := sg.host()
	if e == oktatest.EndpointOrgs || (e == oktatest.EndpointMe && sg.subdomain != "") {
		host = isvHost
	}
	var times []time.Time
	for _, r := range l.emu.Requests() {
		if r.Endpoint == e && r.Host == host {
			times = append(times, r.Time)
		}
	}
	var out []time.Duration
	for i := 1; i < len(times); i++ {
		out = append(out, times[i].Sub(times[i-1]))
	}
	return out
}

// TestFaultsOktaTransient: 5xx, connection resets, E0000171, a new org not
// ready yet and a metadata 404 right after app creation are retried, with
// exactly as many requests as the faults demand; a POST whose answer was
// lost is reconciled, never repeated blindly.
func TestFaultsOktaTransient(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	appFoundByLabel := func(t *testing.T, l *lab, id string) {
		if !foundByLabel(t, l, id) {
			t.Errorf("the app was not found again by its label")
		}
	}
	runOktaCases(t, l, []oktaCase{
		{name: "500 on org creation", want: flow(1, 3, 1, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointOrgs: {Status: 500, Count: 2}}},
		{name: "503 on app creation", want: flow(1, 1, 3, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointApps: {Status: 503, Count: 2}}},
		{name: "503 on the token check", want: flow(3, 1, 1, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointMe: {Status: 503, Count: 2}}},
		{name: "connection reset on metadata", want: flow(1, 1, 1, 0, 3),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointMetadata: {Reset: true, Count: 2}}},
		// A POST that may have reached Okta is not retried in place: the
		// redelivery reconciles. Here Okta had not acted, so the second
		// creation succeeds.
		{name: "connection reset before org creation", want: flow(1, 2, 1, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointOrgs: {Reset: true, Count: 1}}},
		// Here Okta had created the org: its token is gone with the answer.
		{name: "connection reset after org creation", want: flow(1, 2, 0, 0, 0),
			code: events.CodeOrgUnconfirmed,
			faults: map[oktatest.Endpoint]oktatest.Fault{
				oktatest.EndpointOrgs: {Reset: true, AfterSuccess: true, Count: 1}}},
		{name: "connection reset before app creation", want: flow(1, 1, 2, 1, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointApps: {Reset: true, Count: 1}}},
		{name: "connection reset after app creation", want: flow(1, 1, 1, 1, 1), check: appFoundByLabel,
			faults: map[oktatest.Endpoint]oktatest.Fault{
				oktatest.EndpointApps: {Reset: true, AfterSuccess: true, Count: 1}}},
		{name: "E0000171 subdomain busy", want: flow(1, 2, 1, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{
				oktatest.EndpointOrgs: {Code: oktatest.CodeSubdomainBusy, Count: 1}}},
		{name: "new org not ready for its app", want: flow(1, 1, 3, 0, 1),
			faults: map[oktatest.Endpoint]oktatest.Fault{
				oktatest.EndpointApps: {Code: oktatest.CodeInvalidToken, Count: 2}}},
		{name: "new org not ready for its metadata", want: flow(1, 1, 1, 0, 2),
			faults: map[oktatest.Endpoint]oktatest.Fault{
				oktatest.EndpointMetadata: {Code: oktatest.CodeInvalidToken, Count: 1}}},
		{name: "metadata 404 right after app creation", want: flow(1, 1, 1, 0, 3),
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointMetadata: {Status: 404, Count: 2}}},
	})
}

// TestFaultsOktaRateLimits: a 429 waits for the reset Okta's headers give,
// measured against Okta's own Date; a concurrency-limit 429 waits short;
// missing, repeated or malformed headers fall back to backoff; a wait
// longer than the worker may hold becomes a delayed redelivery.
func TestFaultsOktaRateLimits(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	apps429 := func(h http.Header, count int) map[oktatest.Endpoint]oktatest.Fault {
		return onApps(oktatest.Fault{Status: http.StatusTooManyRequests, Count: count, Headers: h})
	}
	deferred := func(t *testing.T, l *lab, id string) {
		steps, err := l.store.Journal(testCtx(t, 10*time.Second), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			var d struct {
				DelayMS int64 `json:"delay_ms"`
			}
			if s.Step == events.StepCreateApp && s.Status == "retry" &&
				json.Unmarshal(s.Detail, &d) == nil && d.DelayMS >= 3000 {
				return
			}
		}
		t.Errorf("journal of %s has no delayed redelivery of create_app: %v", id, steps)
	}
	runOktaCases(t, l, []oktaCase{
		// Reset is 1s after Okta's Date: wait 2s (the reset, plus a second
		// for Date's rounding), though the local clock is years ahead.
		{name: "429 waits for the reset by Okta's clock", want: flow(1, 1, 2, 0, 1),
			faults:      onApps(okta429(1, oktaDate, time.Second)),
			gapEndpoint: oktatest.EndpointApps, minGap: 2 * time.Second},
		{name: "429 storm", want: flow(1, 1, 4, 0, 1),
			faults:      onApps(okta429(3, oktaDate, time.Second)),
			gapEndpoint: oktatest.EndpointApps, minGap: 2 * time.Second},
		{name: "concurrency-limit 429", want: flow(1, 1, 3, 0, 1),
			faults: apps429(http.Header{"X-Rate-Limit-Limit": {"0"}, "X-Rate-Limit-Remaining": {"0"}}, 2),
			// The short jittered wait is at least 100ms.
			gapEndpoint: oktatest.EndpointApps, minGap: 100 * time.Millisecond},
		{name: "429 without rate-limit headers", want: flow(1, 1, 2, 0, 1),
			faults: apps429(http.Header{"X-Rate-Limit-Limit": nil, "X-Rate-Limit-Remaining": nil,
				"X-Rate-Limit-Reset": nil, "Date": nil}, 1),
			gapEndpoint: oktatest.EndpointApps, minGap: 10 * time.Millisecond},
		{name: "429 with repeated differing headers", want: flow(1, 1, 2, 0, 1),
			faults: apps429(http.Header{"Date": {oktaDate.Format(http.TimeFormat)},
				"X-Rate-Limit-Reset": {strconv.FormatInt(oktaDate.Unix()+1, 10),
					strconv.FormatInt(oktaDate.Unix()+3600, 10)}}, 1),
			gapEndpoint: oktatest.EndpointApps, minGap: 10 * time.Millisecond},
		{name: "429 with malformed headers", want: flow(1, 1, 2, 0, 1),
			faults: apps429(http.Header{"Date": {"yesterday"}, "X-Rate-Limit-Reset": {"soon"},
				"X-Rate-Limit-Limit": {"many"}, "X-Rate-Limit-Remaining": {"-1"}}, 1),
			gapEndpoint: oktatest.EndpointApps, minGap: 10 * time.Millisecond},
		{name: "429 with a reset before Okta's date", want: flow(1, 1, 2, 0, 1),
			faults:      onApps(okta429(1, oktaDate, -30*time.Second)),
			gapEndpoint: oktatest.EndpointApps, minGap: 10 * time.Millisecond},
		// 5s is more than the worker holds (--retry-max-hold 3s): the
		// signup is redelivered later and reconciles its app first.
		{name: "429 beyond the hold becomes a delayed redelivery", want: flow(1, 1, 2, 1, 1),
			faults:      onApps(okta429(1, oktaDate, 4*time.Second)),
			gapEndpoint: oktatest.EndpointApps, minGap: 5 * time.Second, check: deferred},
	})
}

// TestFaultsOktaPermanent: Okta saying no is never retried: one request,
// one ProvisioningFailed with Okta's code. A customer's bad token does not
// stop the worker from taking other signups.
func TestFaultsOktaPermanent(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	goodToken := "customer-" + randHex(10)
	l.emu.AddOrg("globex-faults.okta.com", "customer-"+randHex(10))
	l.emu.AddOrg("initech-faults.okta.com", goodToken)
	runOktaCases(t, l, []oktaCase{
		{name: "400 on org creation", want: flow(1, 1, 0, 0, 0), code: oktatest.CodeValidation,
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointOrgs: {Status: 400, Count: 1}}},
		{name: "404 unknown app name", want: flow(1, 1, 1, 0, 0), code: oktatest.CodeNotFound,
			signup: func(id, slug string) signupSpec {
				s := newTenant(id, slug)
				s.app = "no_such_app"
				return s
			}},
		{name: "customer's invalid token", want: flow(1, 0, 0, 0, 0), code: oktatest.CodeInvalidToken,
			signup: func(id, _ string) signupSpec {
				return existingTenant(id, "globex-faults.okta.com", "customer-wrong-"+randHex(8))
			}},
		{name: "existing tenant right after", want: flow(1, 0, 1, 0, 1),
			signup: func(id, _ string) signupSpec {
				return existingTenant(id, "initech-faults.okta.com", goodToken)
			}},
		{name: "403 on app creation", want: flow(1, 1, 1, 0, 0), code: oktatest.CodeForbidden,
			faults: map[oktatest.Endpoint]oktatest.Fault{oktatest.EndpointApps: {Status: 403, Count: 1}}},
	})
}

// TestFaultsOktaReadiness: the emulator's own readiness delays (a new org
// answering E0000011 to its token, a new app's metadata answering 404 for
// a while) are waited out. The counts depend on timing here, so they are
// bounded rather than exact; the exact versions are in the cases above.
func TestFaultsOktaReadiness(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{NewOrgReadyAfter: 700 * time.Millisecond,
		MetadataReadyAfter: 700 * time.Millisecond})
	w := l.startWorker(workerOpts{args: []string{"--retry-attempts", "12"}})
	var ids []string
	for _, sub := range []string{"ready-one", "ready-two"} {
		ids = append(ids, l.publish(newTenant("sg-"+sub, sub)))
	}
	for _, id := range ids {
		l.waitResult(id, 0).provisioned(t)
	}
	l.settle()
	st := l.emu.Stats()
	if st.ByErrorCode[oktatest.CodeInvalidToken] == 0 || st.ByErrorCode[oktatest.CodeNotFound] == 0 {
		t.Errorf("errors seen %v: want E0000011 from a new org and 404 from new metadata", st.ByErrorCode)
	}
	if n := st.ByEndpoint[oktatest.EndpointOrgs]; n != 2 {
		t.Errorf("org creations %d, want 2", n)
	}
	if n := st.ByEndpoint[oktatest.EndpointApps]; n < 2 || n > 2*12 {
		t.Errorf("app creations %d, want between 2 and the retry budget", n)
	}
	w.stop()
}
