package okta

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testHost = "acme.oktapreview.com"
	// testToken is a canary: it must never show up in an error.
	testToken = "canary-token-00AbCdefghPijn7s7sue77oi"
	testAppID = "0oa19jdq4ytHHtfgk1d8"
)

// testdata reads a file under testdata/.
func testdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read testdata: %v", err)
	}
	return b
}

// newTestServer serves h on loopback until the test ends.
func newTestServer(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	return newServerWithDone(tb, func(<-chan struct{}) http.Handler { return h })
}

// newServerWithDone serves the handler mk builds. The done channel it
// passes closes before the server does, to release handlers that block.
func newServerWithDone(tb testing.TB, mk func(done <-chan struct{}) http.Handler) *httptest.Server {
	tb.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(mk(done))
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { close(done) })
	return srv
}

// newTestClient returns a client aimed at a loopback server running h,
// with throttling off unless mod turns it on.
func newTestClient(tb testing.TB, h http.Handler, mod func(*Config)) *Client {
	tb.Helper()
	srv := newTestServer(tb, h)
	return newClientFor(tb, srv.URL, mod)
}

// newClientFor returns a client whose DevEndpoint is base.
func newClientFor(tb testing.TB, base string, mod func(*Config)) *Client {
	tb.Helper()
	cfg := Config{DevEndpoint: base, NoThrottle: true}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// testCtx is a context bounded generously, as a failure bound only.
func testCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// reply is one canned answer.
type reply struct {
	status int
	header map[string]string
	body   string
}

// replies answers each request with the next reply, repeating the last.
// It counts the requests it saw.
type replies struct {
	mu    sync.Mutex
	list  []reply
	count atomic.Int32
}

func newReplies(list ...reply) *replies { return &replies{list: list} }

func (rs *replies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(rs.count.Add(1))
	rs.mu.Lock()
	rp := rs.list[min(n, len(rs.list))-1]
	rs.mu.Unlock()
	writeReply(w, rp)
}

func writeReply(w http.ResponseWriter, rp reply) {
	for k, v := range rp.header {
		if v == "" {
			w.Header()[k] = nil // suppresses the server's own, e.g. Date
			continue
		}
		w.Header().Set(k, v)
	}
	if rp.status == 0 {
		rp.status = http.StatusOK
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write([]byte(rp.body))
}

// oktaError is an Okta error body with the given code and summary.
func oktaError(code, summary string) string {
	return `{"errorCode":"` + code + `","errorSummary":"` + summary +
		`","errorLink":"` + code + `","errorId":"oaeTest","errorCauses":[]}`
}

// noSleep records waits instead of waiting.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *noSleep) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// testCtxBG is for calls bounded by the client's own RequestTimeout.
func testCtxBG() context.Context { return context.Background() }
