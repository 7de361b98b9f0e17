package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// errorStatus is the HTTP status Okta uses for each sample error code.
var errorStatus = map[string]int{
	"E0000001": 400, "E0000005": 403, "E0000007": 404,
	"E0000011": 401, "E0000047": 429, "E0000088": 400,
}

func TestErrorBodies(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("error samples: %v, %d files", err, len(files))
	}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var want Error
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		want.HTTPStatus = errorStatus[want.Code]
		want.RequestID = "req-" + want.Code
		want.Method, want.Endpoint = "POST", "/api/v1/orgs"
		if len(want.Causes) == 0 {
			want.Causes = nil
		}

		rp := reply{status: want.HTTPStatus, body: string(body),
			header: map[string]string{"X-Okta-Request-Id": want.RequestID}}
		c := newTestClient(t, newReplies(rp), nil)
		_, err = c.CreateOrg(testCtx(t), testHost, testToken, sampleOrgRequest())
		got := AsError(err)
		if got == nil {
			t.Errorf("%s: err = %v, want *Error", file, err)
			continue
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", file, *got, want)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		rp        reply
		transient bool
	}{
		{reply{status: 400, body: oktaError(CodeValidation, "Api validation failed: website")}, false},
		{reply{status: 400, body: oktaError(CodeSubdomainBusy, "in use by a different request")}, true},
		{reply{status: 401, body: oktaError(CodeInvalidToken, "Invalid token provided")}, false},
		{reply{status: 404, body: oktaError(CodeNotFound, "Not found")}, false},
		{reply{status: 429, body: oktaError(CodeRateLimited, "too many")}, true},
		{reply{status: 500, body: oktaError(CodeInternal, "Internal")}, true},
		{reply{status: 503, body: "<html>down</html>"}, true},
	}
	for _, tt := range tests {
		c := newTestClient(t, newReplies(tt.rp), nil)
		_, err := c.Me(testCtx(t), testHost, testToken)
		if got := IsTransient(err); got != tt.transient {
			t.Errorf("status %d: IsTransient(%v) = %v, want %v", tt.rp.status, err, got, tt.transient)
		}
	}
}

func TestErrorLenient(t *testing.T) {
	tests := []struct {
		name string
		rp   reply
		want Error
	}{
		{"html 502", reply{status: 502, body: "<html>Bad gateway</html>"},
			Error{HTTPStatus: 502, Summary: "Bad Gateway"}},
		{"empty 500", reply{status: 500}, Error{HTTPStatus: 500, Summary: "Internal Server Error"}},
		{"odd status", reply{status: 499}, Error{HTTPStatus: 499, Summary: "HTTP status 499"}},
		{"causes as strings", reply{status: 400,
			body: `{"errorCode":"E0000001","errorSummary":"bad","errorCauses":["a",{"errorSummary":"b"},7]}`},
			Error{HTTPStatus: 400, Code: "E0000001", Summary: "bad",
				Causes: []Cause{{Summary: "a"}, {Summary: "b"}}}},
		{"numeric id and unknown fields", reply{status: 403,
			body: `{"errorCode":"E0000006","errorSummary":"no","errorId":12,"x":{"y":1}}`},
			Error{HTTPStatus: 403, Code: "E0000006", Summary: "no"}},
		{"oauth form", reply{status: 401,
			body: `{"error":"invalid_client","error_description":"Client authentication failed"}`},
			Error{HTTPStatus: 401, Summary: "Client authentication failed"}},
		{"json array", reply{status: 400, body: `[1,2]`}, Error{HTTPStatus: 400, Summary: "Bad Request"}},
	}
	for _, tt := range tests {
		c := newTestClient(t, newReplies(tt.rp), nil)
		_, err := c.Me(testCtx(t), testHost, testToken)
		got := AsError(err)
		if got == nil {
			t.Errorf("%s: err = %v, want *Error", tt.name, err)
			continue
		}
		tt.want.Method, tt.want.Endpoint = "GET", "/api/v1/users/me"
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, *got, tt.want)
		}
	}
}

func TestBodyBound(t *testing.T) {
	const limit = 64
	fit := `{"id":"00u1"}` + strings.Repeat(" ", limit-13)
	over := fit + " "
	bound := func(cfg *Config) { cfg.MaxBodyBytes = limit; cfg.MaxMetadataBytes = 2 * limit }

	c := newTestClient(t, newReplies(reply{body: fit}), bound)
	if _, err := c.Me(testCtx(t), testHost, testToken); err != nil {
		t.Errorf("body of exactly the bound: %v", err)
	}
	c = newTestClient(t, newReplies(reply{body: over}), bound)
	if _, err := c.Me(testCtx(t), testHost, testToken); !errors.Is(err, ErrBadResponse) {
		t.Errorf("body over the bound: %v, want ErrBadResponse", err)
	}

	org := `{"id":"00o1","token":"t"}`
	c = newTestClient(t, newReplies(reply{status: 201, body: org + strings.Repeat(" ", limit)}), bound)
	_, err := c.CreateOrg(testCtx(t), testHost, testToken, sampleOrgRequest())
	if !errors.Is(err, ErrBadResponse) {
		t.Errorf("valid org over the bound: %v, want ErrBadResponse (never parsed)", err)
	}

	xml := "<x/>" + strings.Repeat(" ", 2*limit-4)
	c = newTestClient(t, newReplies(reply{body: xml}), bound)
	if _, err := c.Metadata(testCtx(t), testHost, testToken, testAppID); err != nil {
		t.Errorf("metadata within its own bound: %v", err)
	}
	c = newTestClient(t, newReplies(reply{body: xml + " "}), bound)
	if _, err = c.Metadata(testCtx(t), testHost, testToken, testAppID); !errors.Is(err, ErrBadResponse) {
		t.Errorf("metadata over its bound: %v, want ErrBadResponse", err)
	}

	big := oktaError(CodeValidation, strings.Repeat("x", limit))
	c = newTestClient(t, newReplies(reply{status: 400, body: big}), bound)
	_, err = c.Me(testCtx(t), testHost, testToken)
	if oe := AsError(err); oe == nil || oe.Code != "" || oe.Summary != "Bad Request" {
		t.Errorf("error body over the bound: %v, want an unparsed *Error", err)
	}
}

func TestRedirectRefused(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		_, _ = w.Write([]byte(`{"id":"00u1"}`))
	})
	for _, code := range []int{301, 302, 307, 308} {
		path := fmt.Sprintf("/r%d/", code)
		mux.Handle(path, http.RedirectHandler("/elsewhere", code))
	}
	srv := newTestServer(t, mux)

	for _, code := range []int{301, 302, 307, 308} {
		c := newClientFor(t, srv.URL, nil)
		cl := c.jsonCall(http.MethodGet, pathMe, fmt.Sprintf("/r%d/", code), bucketMe, nil)
		var u User
		err := c.doJSON(testCtx(t), testHost, testToken, cl, &u)
		if !errors.Is(err, ErrBadResponse) {
			t.Errorf("%d: err = %v, want ErrBadResponse", code, err)
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect followed %d times", n)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// hangUp reads the request and drops the connection without an answer;
// reset sends a TCP RST instead of a FIN.
func hangUp(reset bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok && reset {
			_ = tc.SetLinger(0)
		}
		conn.Close()
	}
}

// hang reads the request and never answers.
func hang(done <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

// cutBody promises a long body and sends a short one.
func cutBody(w http.ResponseWriter, r *http.Request) {
	drain(r)
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"id":"00o1","tok`))
}

func TestTransportVersusAmbiguous(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(done <-chan struct{}) http.Handler
		post, get error // want
	}{
		{"connection refused", nil, ErrTransport, ErrTransport},
		{"timeout awaiting headers", func(d <-chan struct{}) http.Handler { return hang(d) },
			ErrAmbiguous, ErrTransport},
		{"closed after request", func(<-chan struct{}) http.Handler { return hangUp(false) },
			ErrAmbiguous, ErrTransport},
		{"reset after request", func(<-chan struct{}) http.Handler { return hangUp(true) },
			ErrAmbiguous, ErrTransport},
		{"body cut", func(<-chan struct{}) http.Handler { return http.HandlerFunc(cutBody) },
			ErrAmbiguous, ErrTransport},
	}
	short := func(cfg *Config) { cfg.RequestTimeout = time.Second }
	for _, tt := range tests {
		base := closedAddr(t)
		if tt.handler != nil {
			base = newServerWithDone(t, tt.handler).URL
		}
		c := newClientFor(t, base, short)

		_, err := c.CreateOrg(testCtx(t), testHost, testToken, sampleOrgRequest())
		checkSendError(t, tt.name+" POST", err, tt.post)
		_, err = c.Metadata(testCtx(t), testHost, testToken, testAppID)
		checkSendError(t, tt.name+" GET", err, tt.get)
	}
}

func checkSendError(t *testing.T, name string, err, want error) {
	t.Helper()
	other := ErrTransport
	if want == ErrTransport {
		other = ErrAmbiguous
	}
	if !errors.Is(err, want) || errors.Is(err, other) {
		t.Errorf("%s: err = %v, want %v only", name, err, want)
	}
	if AsError(err) != nil {
		t.Errorf("%s: err = %v is an *Error", name, err)
	}
	if want == ErrAmbiguous && IsTransient(err) {
		t.Errorf("%s: ambiguous error counts as transient", name)
	}
}

func TestCallerCancel(t *testing.T) {
	got := make(chan struct{}, 2)
	srv := newServerWithDone(t, func(done <-chan struct{}) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			got <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-done:
			}
		})
	})
	c := newClientFor(t, srv.URL, nil)

	run := func(call func(ctx context.Context) error) error {
		ctx, cancel := context.WithCancel(testCtx(t))
		defer cancel()
		go func() {
			<-got
			cancel()
		}()
		return call(ctx)
	}
	err := run(func(ctx context.Context) error {
		_, err := c.CreateOrg(ctx, testHost, testToken, sampleOrgRequest())
		return err
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrAmbiguous) {
		t.Errorf("POST cancelled after sending: %v, want Canceled and ErrAmbiguous", err)
	}
	err = run(func(ctx context.Context) error {
		_, err := c.Me(ctx, testHost, testToken)
		return err
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTransport) {
		t.Errorf("GET cancelled: %v, want Canceled and not ErrTransport", err)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	req := sampleOrgRequest()
	secrets := []string{testToken, req.Admin.Credentials.Password.Value,
		req.Admin.Credentials.RecoveryQuestion.Answer}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		raw, _ := json.Marshal(body)
		auth := r.Header.Get("Authorization")
		w.Header().Set("X-Okta-Request-Id", auth)
		w.WriteHeader(400)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"errorCode":    "E0000001",
			"errorSummary": "you sent " + auth + " and " + string(raw),
			"errorLink":    auth,
			"errorId":      auth,
			"errorCauses":  []any{map[string]string{"errorSummary": string(raw)}, auth},
		})
	})
	srv := newTestServer(t, echo)
	hung := newServerWithDone(t, func(d <-chan struct{}) http.Handler { return hang(d) })
	dropped := newTestServer(t, hangUp(true))

	var errs []error
	for _, base := range []string{srv.URL, hung.URL, dropped.URL, closedAddr(t)} {
		c := newClientFor(t, base, func(cfg *Config) { cfg.RequestTimeout = time.Second })
		_, err := c.CreateOrg(testCtx(t), testHost, testToken, req)
		errs = append(errs, err)
		_, err = c.Me(testCtx(t), testHost, testToken)
		errs = append(errs, err)
		_, err = c.Me(testCtx(t), "evil.example", testToken)
		errs = append(errs, err)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d: no error", i)
			continue
		}
		text := err.Error() + fmt.Sprintf(" %+v %#v", err, AsError(err))
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("call %d: error shows a secret: %s", i, text)
			}
		}
	}
}

func TestObserve(t *testing.T) {
	var mu sync.Mutex
	var seen []Exchange
	observe := func(ex Exchange) {
		mu.Lock()
		seen = append(seen, ex)
		mu.Unlock()
	}
	rp := reply{status: 404, body: oktaError(CodeNotFound, "Not found"), header: map[string]string{
		"X-Okta-Request-Id":      "req-1",
		"Date":                   "Tue, 27 Jan 2018 21:33:25 GMT",
		"X-Rate-Limit-Limit":     "100",
		"X-Rate-Limit-Remaining": "99",
		"X-Rate-Limit-Reset":     "1517088835",
	}}
	c := newTestClient(t, newReplies(rp), func(cfg *Config) { cfg.Observe = observe })
	_, _ = c.Metadata(testCtx(t), testHost, testToken, testAppID)
	refused := newClientFor(t, closedAddr(t), func(cfg *Config) { cfg.Observe = observe })
	_, _ = refused.Me(testCtx(t), testHost, testToken)
	_, _ = refused.Me(testCtx(t), "evil.example", testToken) // no exchange

	if len(seen) != 2 {
		t.Fatalf("observed %d exchanges, want 2: %+v", len(seen), seen)
	}
	got := seen[0]
	got.Duration = 0
	if got.RateLimit == nil || got.RateLimit.Limit != 100 || got.RateLimit.Remaining != 99 {
		t.Errorf("RateLimit = %+v", got.RateLimit)
	}
	got.RateLimit = nil
	want := Exchange{Method: "GET", Endpoint: "/api/v1/apps/{id}/sso/saml/metadata",
		Host: testHost, Status: 404, Code: CodeNotFound, RequestID: "req-1"}
	if got != want {
		t.Errorf("exchange = %+v, want %+v", got, want)
	}
	if seen[1].Status != 0 || seen[1].Endpoint != "/api/v1/users/me" {
		t.Errorf("failed exchange = %+v, want status 0", seen[1])
	}
	for _, ex := range seen {
		if strings.Contains(fmt.Sprintf("%+v", ex), testToken) {
			t.Errorf("exchange shows the token: %+v", ex)
		}
	}
}
