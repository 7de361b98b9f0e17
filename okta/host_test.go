package okta

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheckHostAllowed(t *testing.T) {
	c := newClientFor(t, "", nil)
	tests := []struct{ host, want string }{
		{"acme.okta.com", "acme.okta.com"},
		{"acme.oktapreview.com", "acme.oktapreview.com"},
		{"my-co.okta-emea.com", "my-co.okta-emea.com"},
		{"ACME.OktaPreview.COM", "acme.oktapreview.com"},
		{"mycompany-admin.okta.com", "mycompany-admin.okta.com"},
		{"trial-1234567.okta.com", "trial-1234567.okta.com"},
		{"a.b.okta.com", "a.b.okta.com"},
		{strings.Repeat("a", 63) + ".okta.com", strings.Repeat("a", 63) + ".okta.com"},
	}
	for _, tt := range tests {
		got, err := c.checkHost(tt.host)
		if err != nil {
			t.Errorf("checkHost(%q): %v", tt.host, err)
			continue
		}
		if got != tt.want {
			t.Errorf("checkHost(%q) = %q, want %q", tt.host, got, tt.want)
		}
		if err := c.CheckHost(tt.host); err != nil {
			t.Errorf("CheckHost(%q): %v", tt.host, err)
		}
	}
}

func TestCheckHostRefused(t *testing.T) {
	c := newClientFor(t, "", nil)
	tests := []struct{ host, reason string }{
		{"", "empty"},
		{"127.0.0.1", "IP literal"},
		{"10.0.0.1:443", "IP literal"},
		{"::1", "IP literal"},
		{"[::1]", "IP literal"},
		{"[::1]:443", "IP literal"},
		{"[fe80::1%25eth0]", "IP literal"},
		{"acme.okta.com:8443", "port"},
		{"acme.okta.com:", "port"},
		{"a@b.okta.com", "user info"},
		{"user:pw@acme.okta.com", "user info"},
		{"https://acme.okta.com", "scheme"},
		{"http://acme.okta.com", "scheme"},
		{"acme.okta.com/api", "path"},
		{"acme.okta.com?x=1", "path"},
		{"acme.okta.com#x", "path"},
		{`acme.okta.com\evil`, "path"},
		{"okta.com.evil.com", "not under an allowed"},
		{"okta.com.evil.io", "not under an allowed"},
		{"evilokta.com", "not under an allowed"},
		{"acme.evilokta.com", "not under an allowed"},
		{"okta.com", "not under an allowed"},
		{"acme.okta.co", "not under an allowed"},
		{"acme.okta.com.", "trailing dot"},
		{"acme..okta.com", "empty label"},
		{".okta.com", "empty label"},
		{"xn--okta-xxx.okta.com", "punycode"},
		{"XN--80ak6aa92e.okta.com", "punycode"},
		{"acme.xn--okta-9na.com", "punycode"},
		{"\u0430cme.okta.com", "not ASCII"}, // Cyrillic a
		{"acme.okta.com\u3002evil.io", "not ASCII"},
		{"acmé.okta.com", "not ASCII"},
		{strings.Repeat("a", 64) + ".okta.com", "longer than 63"},
		{strings.Repeat("abcdefgh.", 30) + "okta.com", "longer than 253"},
		{"-acme.okta.com", "hyphen"},
		{"acme-.okta.com", "hyphen"},
		{"acme_1.okta.com", "character"},
		{"acme%2eokta.com", "character"},
		{"acme okta.com", "space"},
		{"acme.okta.com\n", "control"},
		{"acme.okta.com\x00", "control"},
	}
	for _, tt := range tests {
		err := c.CheckHost(tt.host)
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("CheckHost(%q) = %v, want ErrHostNotAllowed", tt.host, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("CheckHost(%q) = %q, want reason %q", tt.host, err, tt.reason)
		}
	}
}

func TestCheckHostCustomSuffixes(t *testing.T) {
	c := newClientFor(t, "", func(cfg *Config) {
		cfg.AllowedSuffixes = []string{".Okta-Gov.com"}
	})
	if err := c.CheckHost("agency.okta-gov.com"); err != nil {
		t.Errorf("custom suffix refused: %v", err)
	}
	if err := c.CheckHost("acme.okta.com"); !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("default suffix still allowed: %v", err)
	}
}

func TestRefusedHostMakesNoConnection(t *testing.T) {
	var hits atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	c := newTestClient(t, h, nil)
	ctx := testCtx(t)
	for _, host := range []string{"evil.com", "127.0.0.1", "acme.okta.com:1"} {
		if _, err := c.Me(ctx, host, testToken); !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("Me(%q) = %v, want ErrHostNotAllowed", host, err)
		}
		if _, err := c.Metadata(ctx, host, testToken, testAppID); !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("Metadata(%q) = %v, want ErrHostNotAllowed", host, err)
		}
	}
	if got := hits.Load(); got != 0 {
		t.Errorf("server saw %d requests, want 0", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ftp endpoint", Config{DevEndpoint: "ftp://127.0.0.1:21"}, "DevEndpoint"},
		{"no scheme", Config{DevEndpoint: "127.0.0.1:8181"}, "DevEndpoint"},
		{"endpoint path", Config{DevEndpoint: "http://127.0.0.1:1/api"}, "DevEndpoint"},
		{"endpoint query", Config{DevEndpoint: "http://127.0.0.1:1?x=1"}, "DevEndpoint"},
		{"endpoint user", Config{DevEndpoint: "http://u:p@127.0.0.1:1"}, "DevEndpoint"},
		{"endpoint no host", Config{DevEndpoint: "http://"}, "DevEndpoint"},
		{"one-label suffix", Config{AllowedSuffixes: []string{"com"}}, "AllowedSuffixes"},
		{"bad suffix", Config{AllowedSuffixes: []string{"okta..com"}}, "AllowedSuffixes"},
		{"idn suffix", Config{AllowedSuffixes: []string{"xn--kta-9na.com"}}, "AllowedSuffixes"},
		{"negative timeout", Config{RequestTimeout: -1}, "RequestTimeout"},
		{"negative body", Config{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative metadata", Config{MaxMetadataBytes: -1}, "MaxMetadataBytes"},
		{"negative throttle", Config{MaxThrottleWait: -1}, "MaxThrottleWait"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8181", "https://localhost:8443/"} {
		if _, err := New(Config{DevEndpoint: ok}); err != nil {
			t.Errorf("New(DevEndpoint %q): %v", ok, err)
		}
	}
}

func TestEnvironment(t *testing.T) {
	tests := []struct{ host, want string }{
		{"acme.oktapreview.com", "preview"},
		{"ACME.OKTAPREVIEW.COM", "preview"},
		{"acme.okta.com", "production"},
		{"acme.okta-emea.com", "production"},
		{"oktapreview.com.okta.com", "production"},
	}
	for _, tt := range tests {
		if got := Environment(tt.host); got != tt.want {
			t.Errorf("Environment(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
