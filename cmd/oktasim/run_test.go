package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// get sends one request to url with Host and an SSWS token.
func get(t *testing.T, url, host, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestRunSmoke starts oktasim on a random port, uses it and stops it.
func TestRunSmoke(t *testing.T) {
	const isvToken = "canaryISVsmoke01"
	const orgToken = "canaryORGsmoke02"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	urls := make(chan string, 1)
	done := make(chan error, 1)
	args := []string{"--addr", "127.0.0.1:0", "--org", "cust.okta.com=" + orgToken,
		"--fault", "endpoint=list-apps,status=503,count=1",
		"--rate-limit", "me=100/1m"}
	h := hooks{
		getenv: func(k string) string {
			if k == "OKTASIM_ISV_TOKEN" {
				return isvToken + "\n"
			}
			return ""
		},
		ready: func(url string) { urls <- url },
	}
	go func() { done <- runWith(ctx, args, &stdout, &stderr, h) }()

	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("oktasim never became ready")
	}

	if code, body := get(t, url+"/api/v1/users/me", "acme.oktapreview.com", isvToken); code != 200 {
		t.Errorf("ISV users/me: %d %s", code, body)
	}
	if code, body := get(t, url+"/api/v1/users/me", "cust.okta.com", orgToken); code != 200 {
		t.Errorf("org users/me: %d %s", code, body)
	}
	if code, _ := get(t, url+"/api/v1/apps", "cust.okta.com", orgToken); code != 503 {
		t.Errorf("faulted list: %d, want 503", code)
	}
	if code, _ := get(t, url+"/api/v1/apps", "cust.okta.com", orgToken); code != 200 {
		t.Errorf("list after the fault: %d, want 200", code)
	}

	code, body := get(t, url+"/__oktasim/stats", "localhost", "")
	var stats struct {
		Total      int            `json:"total"`
		ByEndpoint map[string]int `json:"byEndpoint"`
	}
	if err := json.Unmarshal(body, &stats); err != nil || code != 200 {
		t.Fatalf("stats: %d %v %s", code, err, body)
	}
	if stats.Total != 4 || stats.ByEndpoint["GET /api/v1/users/me"] != 2 {
		t.Errorf("stats = %+v, want 4 requests, 2 to users/me", stats)
	}
	code, body = get(t, url+"/__oktasim/requests?limit=2", "localhost", "")
	var reqs []map[string]any
	if err := json.Unmarshal(body, &reqs); err != nil || code != 200 || len(reqs) != 2 {
		t.Errorf("requests: %d %v %d entries", code, err, len(reqs))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("oktasim did not stop")
	}
	out := stdout.String() + stderr.String() + string(body)
	if !strings.Contains(stdout.String(), "serving on "+url) {
		t.Errorf("stdout %q lacks the URL", stdout.String())
	}
	if !strings.Contains(stderr.String(), `"okta_request_id"`) {
		t.Errorf("stderr lacks request logs: %q", stderr.String())
	}
	for _, secret := range []string{isvToken, orgToken} {
		if strings.Contains(out, secret) {
			t.Errorf("output holds token %q", secret)
		}
	}
}
