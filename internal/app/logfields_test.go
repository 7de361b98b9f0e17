package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestLogFields runs signups that succeed, fail at Okta, retry and get
// dead-lettered, with the logs captured as JSON, and checks the fields an
// operator searches by.
func TestLogFields(t *testing.T) {
	h := startOps(t, opsSetup{emuToken: opsCanaryISVToken,
		configure: func(c *app.Config) { c.RetryAttempts = 2 }})

	// A retry after a rate-limited answer, then success.
	h.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 429, Count: 1,
		Headers: map[string][]string{"X-Rate-Limit-Reset": nil}})
	okID := h.publish("new-tenant-mycompany.json", opsCanaries...)
	h.waitDone(okID)
	h.emu.ClearFaults()
	// Okta refuses the admin's password.
	weakID := h.publish("weak-admin-password.json")
	h.waitDone(weakID)
	// Okta rejects the customer's token.
	badTokenID := h.publish("existing-tenant-bad-token.json")
	h.waitDone(badTokenID)
	// Server errors until the attempts run out: a dead letter.
	h.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 503, Count: 2})
	deadID := h.publish("existing-tenant.json")
	h.waitDone(deadID)
	h.emu.ClearFaults()
	h.stop()

	ids := []string{okID, weakID, badTokenID, deadID}
	raw := h.logs.String()
	opsNoCanary(t, "the logs", raw)
	for _, bad := range []string{"Authorization", "SSWS "} {
		if strings.Contains(raw, bad) {
			t.Errorf("the logs mention %q", bad)
		}
	}

	lines := h.logs.logLines(t)
	oktaErrors := map[string]int{} // message -> lines with Okta's fields
	for _, l := range lines {
		text, _ := json.Marshal(l)
		id, _ := l["signup_id"].(string)
		for _, want := range ids {
			if strings.Contains(string(text), want) && id != want {
				t.Errorf("line mentions signup %s but signup_id = %q: %s", want, id, text)
			}
		}
		_, hasStep := l["step"]
		_, hasState := l["state"]
		if (hasStep || hasState) && id == "" {
			t.Errorf("line about a signup's step or state has no signup_id: %s", text)
		}
		code, _ := l["okta_error_code"].(string)
		if l["error_source"] == "okta" && code == "" {
			t.Errorf("Okta failure without okta_error_code: %s", text)
		}
		if code != "" {
			if reqID, _ := l["okta_request_id"].(string); reqID == "" {
				t.Errorf("Okta error %s without okta_request_id: %s", code, text)
			}
			if id != "" {
				oktaErrors[code+" "+l["message"].(string)]++
			}
		}
	}
	for _, want := range []string{
		"E0000047 okta call failed; retrying",
		"E0000010 okta call failed; retrying",
		"E0000001 signup failed",
		"E0000011 signup failed",
		"E0000010 signup dead-lettered",
	} {
		if oktaErrors[want] == 0 {
			t.Errorf("no log line %q with Okta's fields; have %v", want, oktaErrors)
		}
	}
}
