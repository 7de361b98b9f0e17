package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/nats-io/nats.go"

	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// Secrets the tests watch for in every answer and log line.
const (
	opsCanaryPassword = "Zq9!CanaryPw4"
	opsCanaryAnswer   = "canary-answer-7f3k"
	opsCanaryISVToken = "isv-canary-token-5e1b0c9d"
)

// opsCanaries replaces the example's secrets with canaries.
var opsCanaries = []string{
	"L0v30ktA!", opsCanaryPassword,
	`"answer": "Okta"`, `"answer": "` + opsCanaryAnswer + `"`,
}

func opsNoCanary(t testing.TB, what, text string) {
	t.Helper()
	for _, c := range []string{opsCanaryPassword, opsCanaryAnswer, opsCanaryISVToken} {
		if strings.Contains(text, c) {
			t.Errorf("%s shows the secret %q", what, c)
		}
	}
}

func TestHealthz(t *testing.T) {
	h := startOps(t, opsSetup{})
	var body map[string]string
	if got, want := h.getJSON("/healthz", &body), 200; got != want {
		t.Fatalf("GET /healthz = %d, want %d", got, want)
	}
	if got, want := body["status"], "ok"; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
}

// opsReady is the answer of /readyz.
type opsReady struct {
	Status  string            `json:"status"`
	Failing map[string]string `json:"failing"`
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name string
		s    opsSetup
		// breakIt runs once the worker was ready; nil means it stays so.
		breakIt func(testing.TB, *opsWorker)
		// readyFirst: a signup goes through before the check.
		readyFirst bool
		want       string // the failing check; "" means ready
		gauge      string // a health gauge that must read 0
	}{
		{name: "ready", readyFirst: true},
		{name: "isv token rejected", want: "okta_isv_token", gauge: "provisioner_isv_token_accepted",
			s: opsSetup{emuToken: "the-isv-token-okta-knows", workerToken: opsCanaryISVToken}},
		{name: "nats down", readyFirst: true, breakIt: opsStopNATS, want: "nats",
			gauge: "provisioner_nats_connected"},
		{name: "database locked", readyFirst: true, breakIt: opsLockDB, want: "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startOps(t, tt.s)
			if tt.readyFirst {
				h.waitDone(h.publish("existing-tenant.json"))
				h.waitReady()
			}
			if tt.breakIt != nil {
				tt.breakIt(t, h)
			}
			code, body := h.get("/readyz")
			var rb opsReady
			if err := json.Unmarshal(body, &rb); err != nil {
				t.Fatalf("/readyz body is not JSON: %v: %s", err, body)
			}
			opsNoCanary(t, "/readyz", string(body))
			if tt.want == "" {
				if code != 200 || rb.Status != "ready" {
					t.Errorf("GET /readyz = %d %+v, want 200 ready", code, rb)
				}
				return
			}
			if got, want := code, 503; got != want {
				t.Fatalf("GET /readyz = %d, want %d", got, want)
			}
			if _, ok := rb.Failing[tt.want]; !ok {
				t.Errorf("failing checks %v do not name %q", rb.Failing, tt.want)
			}
			if tt.gauge != "" {
				_, metrics := h.get("/metrics")
				if v, ok := parseOpsMetrics(t, metrics)[tt.gauge]; !ok || v != 0 {
					t.Errorf("%s = %v (present %t), want 0", tt.gauge, v, ok)
				}
			}
		})
	}
}

// opsStopNATS shuts the embedded server down and waits until the worker's
// connection notices.
func opsStopNATS(t testing.TB, h *opsWorker) {
	t.Helper()
	gone := make(chan struct{})
	var once sync.Once
	h.rt.NC.SetDisconnectErrHandler(func(*nats.Conn, error) { once.Do(func() { close(gone) }) })
	h.rt.NATS.Shutdown()
	select {
	case <-gone:
	case <-time.After(opsWait):
		t.Fatal("the worker did not notice NATS going away")
	}
}

// opsLockDB holds the SQLite write lock from another connection, as
// another process would, until the test ends.
func opsLockDB(t testing.TB, h *opsWorker) {
	t.Helper()
	path := filepath.Join(h.rt.Config.DataDir, "provisioner.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("lock the database: %v", err)
	}
	t.Cleanup(func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		db.Close()
	})
}

// opsSignup is the answer of /v1/signups/{id}.
type opsSignup struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Tenant    string `json:"tenant"`
	Attempts  int    `json:"attempts"`
	LastError *struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		Source       string `json:"source"`
	} `json:"lastError"`
	Steps []struct {
		Step    string    `json:"step"`
		Status  string    `json:"status"`
		Attempt int       `json:"attempt"`
		At      time.Time `json:"at"`
	} `json:"steps"`
}

func TestSignupJournal(t *testing.T) {
	h := startOps(t, opsSetup{emuToken: opsCanaryISVToken})
	okID := h.publish("new-tenant-mycompany.json", opsCanaries...)
	h.waitDone(okID)
	failID := h.publish("weak-admin-password.json")
	h.waitDone(failID)

	tests := []struct {
		name      string
		id        string
		wantState string
		wantSteps []string // in order, step/status
		wantCode  string
	}{
		{name: "provisioned", id: okID, wantState: "provisioned",
			wantSteps: []string{"check_token/done", "create_org/started", "create_org/done",
				"create_app/started", "create_app/done"}},
		{name: "failed", id: failID, wantState: "failed", wantCode: "E0000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb opsSignup
			if got, want := h.getJSON("/v1/signups/"+tt.id, &sb), 200; got != want {
				t.Fatalf("GET = %d, want %d", got, want)
			}
			if sb.ID != tt.id || sb.State != tt.wantState {
				t.Errorf("id, state = %q, %q; want %q, %q", sb.ID, sb.State, tt.id, tt.wantState)
			}
			if len(sb.Steps) == 0 {
				t.Fatal("no steps in the journal")
			}
			var got []string
			for _, s := range sb.Steps {
				if s.Step == "" || s.Status == "" || s.At.IsZero() {
					t.Errorf("step %+v lacks its name, outcome or time", s)
				}
				got = append(got, s.Step+"/"+s.Status)
			}
			if !opsInOrder(got, tt.wantSteps) {
				t.Errorf("steps %v, want %v among them in order", got, tt.wantSteps)
			}
			switch {
			case tt.wantCode == "" && sb.LastError != nil:
				t.Errorf("lastError = %+v, want none", sb.LastError)
			case tt.wantCode != "" && sb.LastError == nil:
				t.Errorf("no lastError, want %s", tt.wantCode)
			case tt.wantCode != "" && sb.LastError.ErrorCode != tt.wantCode:
				t.Errorf("lastError code = %q, want %q", sb.LastError.ErrorCode, tt.wantCode)
			}
			_, raw := h.get("/v1/signups/" + tt.id)
			opsNoCanary(t, "the journal", string(raw))
		})
	}

	t.Run("unknown", func(t *testing.T) {
		var body map[string]string
		if got, want := h.getJSON("/v1/signups/no-such-signup", &body), 404; got != want {
			t.Errorf("GET unknown = %d, want %d", got, want)
		}
	})
	opsNoCanary(t, "the logs", h.logs.String())
}

// opsInOrder reports whether want appears in got as a subsequence.
func opsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestMetrics(t *testing.T) {
	h := startOps(t, opsSetup{configure: func(c *app.Config) { c.RetryAttempts = 2 }})
	// One rate-limited answer without a reset time: a short retry.
	h.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 429, Count: 1,
		Headers: map[string][]string{"X-Rate-Limit-Reset": nil}})
	h.waitDone(h.publish("new-tenant-mycompany.json"))
	h.emu.ClearFaults()
	h.waitDone(h.publish("weak-admin-password.json"))
	// Two server errors with two attempts allowed: a dead letter.
	h.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 503, Count: 2})
	h.waitDone(h.publish("existing-tenant.json"))
	h.emu.ClearFaults()

	code, body := h.get("/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	fams := metricTypes(body)
	got := parseOpsMetrics(t, body)
	types := []struct{ name, typ string }{
		{"provisioner_signups_received_total", "counter"},
		{"provisioner_results_total", "counter"},
		{"provisioner_okta_requests_total", "counter"},
		{"provisioner_okta_request_duration_seconds", "histogram"},
		{"provisioner_retries_total", "counter"},
		{"provisioner_rate_limit_waits_seconds_total", "counter"},
		{"provisioner_signups_in_flight", "gauge"},
		{"provisioner_outbox_pending", "gauge"},
		{"provisioner_outbox_oldest_pending_age_seconds", "gauge"},
		{"provisioner_dead_letters_total", "counter"},
		{"provisioner_store_transactions_total", "counter"},
		{"provisioner_store_changes_total", "counter"},
		{"provisioner_store_writer_busy_seconds_total", "counter"},
		{"provisioner_store_commit_seconds_total", "counter"},
	}
	for _, tt := range types {
		if fams[tt.name] != tt.typ {
			t.Errorf("# TYPE %s = %q, want %q", tt.name, fams[tt.name], tt.typ)
		}
	}

	apps := `endpoint="/api/v1/apps",error_code="",method="POST",status="200"`
	tests := []struct {
		series string
		check  func(float64) bool
		want   string
	}{
		{"provisioner_signups_received_total", opsAtLeast(3), ">= 3"},
		{`provisioner_results_total{error_code="",type="provisioned"}`, opsEq(1), "1"},
		{`provisioner_results_total{error_code="E0000001",type="failed"}`, opsEq(1), "1"},
		{`provisioner_results_total{error_code="E0000010",type="failed"}`, opsEq(1), "1"},
		{`provisioner_okta_requests_total{endpoint="/api/v1/orgs",error_code="",method="POST",status="201"}`,
			opsEq(1), "1"},
		{`provisioner_okta_requests_total{` + apps + `}`, opsEq(1), "1"},
		{`provisioner_okta_requests_total{endpoint="/api/v1/apps",error_code="E0000047",method="POST",status="429"}`,
			opsEq(1), "1"},
		{`provisioner_okta_requests_total{endpoint="/api/v1/apps",error_code="E0000010",method="POST",status="503"}`,
			opsEq(2), "2"},
		{`provisioner_okta_request_duration_seconds_count{endpoint="/api/v1/apps",method="POST"}`,
			opsEq(4), "4"},
		{`provisioner_okta_request_duration_seconds_bucket{endpoint="/api/v1/apps",method="POST",le="+Inf"}`,
			opsEq(4), "4"},
		{`provisioner_retries_total{step="create_app"}`, opsEq(2), "2"},
		{`provisioner_rate_limit_waits_seconds_total{step="create_app"}`, opsAbove(0), "> 0"},
		{"provisioner_signups_in_flight", opsEq(0), "0"},
		{"provisioner_concurrency", opsEq(64), "64"},
		{"provisioner_nats_connected", opsEq(1), "1"},
		{"provisioner_isv_token_accepted", opsEq(1), "1"},
		{"provisioner_outbox_pending", opsAtLeast(0), ">= 0"},
		{"provisioner_outbox_oldest_pending_age_seconds", opsAtLeast(0), ">= 0"},
		{`provisioner_dead_letters_total{reason="retries_exhausted"}`, opsEq(1), "1"},
		{`provisioner_dead_letters_total{reason="max_deliveries"}`, opsEq(0), "0"},
		{`provisioner_dead_letters_total{reason="undecodable"}`, opsEq(0), "0"},
		{"provisioner_store_transactions_total", opsAbove(0), "> 0"},
		{"provisioner_store_changes_total", opsAbove(0), "> 0"},
		{"provisioner_store_writer_busy_seconds_total", opsAbove(0), "> 0"},
		{"provisioner_store_commit_seconds_total", opsAbove(0), "> 0"},
	}
	for _, tt := range tests {
		v, ok := got[tt.series]
		switch {
		case !ok:
			t.Errorf("no series %s", tt.series)
		case !tt.check(v):
			t.Errorf("%s = %v, want %s", tt.series, v, tt.want)
		}
	}
	opsNoCanary(t, "/metrics", string(body))
}

func opsEq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func opsAtLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }
func opsAbove(want float64) func(float64) bool   { return func(v float64) bool { return v > want } }
