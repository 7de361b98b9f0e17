package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/provision"
)

// SAML binding URIs of the two SingleSignOnService endpoints.
const (
	bindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// The seed's error texts.
const (
	summaryValidation = "Api validation failed: "
	causeSubdomain    = "subDomain: An object with this field already exists"
	causePassword     = "admin.password: Password requirements were not met. Your password must " +
		"have at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts " +
		"of your username."
	causeWebsite        = "website: The field cannot be left blank"
	causeCustomQuestion = "admin.customSecurityQuestion: The field cannot be left blank"
	causeHalfQuestion   = "admin.securityQuestion: Fields must both be empty, or both non-empty"
)

// TestE2EPreviewISV runs both flows and every seed error through one
// product whose ISV lives in the preview environment. Subtests share the
// runtime and use their own subdomains and orgs.
func TestE2EPreviewISV(t *testing.T) {
	t.Parallel()
	h := startHarness(t, harnessOptions{ISVHost: "acme.oktapreview.com"})

	t.Run("new tenant is provisioned in preview", func(t *testing.T) {
		t.Parallel()
		sub := uniq("mycompany")
		id := h.publish(t, newEvent(uniq("e2e-new")), newTenant(sub, "ACME ServiceNow"))
		got := h.provisioned(t, id)
		checkProvisioned(t, h, got, id, events.TenantNew, sub+".oktapreview.com", "preview", "ACME ServiceNow")
		if !strings.HasPrefix(got.Org.ID, "00o") {
			t.Errorf("org id = %q, want Okta's 00o... id", got.Org.ID)
		}
	})

	t.Run("existing tenants are provisioned", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ prefix, parent, env string }{
			{"globex", "okta.com", "production"},
			{"initech", "okta-emea.com", "production"},
			{"hooli", "oktapreview.com", "preview"},
		} {
			t.Run(tc.parent, func(t *testing.T) {
				t.Parallel()
				host := uniq(tc.prefix) + "." + tc.parent
				token := "00cust" + randHex(18)
				h.emu.AddOrg(host, token)
				id := h.publish(t, newEvent(uniq("e2e-existing")), existingTenant(host, token, "ACME SSO"))
				got := h.provisioned(t, id)
				checkProvisioned(t, h, got, id, events.TenantExisting, host, tc.env, "ACME SSO")
				if got.Org.ID != "" {
					t.Errorf("org id = %q, want none for an existing tenant", got.Org.ID)
				}
			})
		}
	})

	t.Run("E0000088 duplicate subdomain", func(t *testing.T) {
		t.Parallel()
		sub := uniq("dup")
		first := h.publish(t, newEvent(uniq("e2e-dup-first")), newTenant(sub, ""))
		h.provisioned(t, first)
		second := h.publish(t, newEvent(uniq("e2e-dup-second")), newTenant(sub, ""))
		got, _ := h.failed(t, second)
		checkOktaFailure(t, got, oktaFailure{step: events.StepCreateOrg, code: "E0000088",
			status: 400, summary: summaryValidation + "subDomain", causes: []string{causeSubdomain}})
		if got.Replayable {
			t.Errorf("replayable = true, want false for a taken subdomain")
		}
		if n := countOf(h.emu.OrgsCreated(), sub); n != 1 {
			t.Errorf("orgs created for %s = %d, want 1", sub, n)
		}
	})

	t.Run("E0000011 existing tenant's invalid token", func(t *testing.T) {
		t.Parallel()
		host := uniq("initech") + ".oktapreview.com"
		h.emu.AddOrg(host, "00right"+randHex(16))
		id := h.publish(t, newEvent(uniq("e2e-badtoken")), existingTenant(host, "00wrong"+randHex(16), ""))
		got, r := h.failed(t, id)
		checkOktaFailure(t, got, oktaFailure{step: events.StepCheckToken, code: "E0000011",
			status: 401, summary: "Invalid token provided"})
		if !strings.Contains(string(r.Event.Data), `"errorCauses":[]`) {
			t.Errorf("errorCauses not an empty array: %s", r.Event.Data)
		}
		if !h.rt.Worker.ISVHealthy() {
			t.Errorf("a customer's bad token made the ISV unhealthy")
		}
		if apps := h.emu.Apps(host); len(apps) != 0 {
			t.Errorf("apps in %s = %d, want 0", host, len(apps))
		}
	})

	t.Run("E0000007 unknown app name", func(t *testing.T) {
		t.Parallel()
		sub := uniq("unknownapp")
		s := newTenant(sub, "")
		s.App.Name = "badappname"
		id := h.publish(t, newEvent(uniq("e2e-badapp")), s)
		got, _ := h.failed(t, id)
		checkOktaFailure(t, got, oktaFailure{step: events.StepCreateApp, code: "E0000007",
			status: 404, summary: "Not found: Resource not found: badappname (App)"})
		if n := countOf(h.emu.OrgsCreated(), sub); n != 1 {
			t.Errorf("orgs created for %s = %d, want 1 (the org comes first)", sub, n)
		}
	})

	orgPolicy := []struct {
		name   string
		edit   func(*events.Signup)
		field  string
		causes []string
	}{
		{"E0000001 password policy", func(s *events.Signup) {
			s.Org.Admin.Credentials.Password.Value = events.PlainSecret("lowercase1only")
		}, "admin.password", []string{causePassword}},
		{"E0000001 blank website", func(s *events.Signup) {
			s.Org.Website = ""
		}, "website", []string{causeWebsite}},
		{"E0000001 blank custom security question", func(s *events.Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Question = ""
		}, "admin.customSecurityQuestion", []string{causeCustomQuestion}},
		{"E0000001 half-given security question", func(s *events.Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Answer = events.Secret{}
		}, "admin.securityQuestion", []string{causeHalfQuestion}},
	}
	for _, tc := range orgPolicy {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub := uniq("policy")
			s := newTenant(sub, "")
			tc.edit(s)
			id := h.publish(t, newEvent(uniq("e2e-policy")), s)
			got, _ := h.failed(t, id)
			checkOktaFailure(t, got, oktaFailure{step: events.StepCreateOrg, code: "E0000001",
				status: 400, summary: summaryValidation + tc.field, causes: tc.causes})
			if h.emu.HasOrg(sub + ".oktapreview.com") {
				t.Errorf("org %s exists after Okta refused it", sub)
			}
		})
	}

	t.Run("E0000001 duplicate app label", func(t *testing.T) {
		t.Parallel()
		host := uniq("labelco") + ".okta.com"
		token := "00cust" + randHex(18)
		h.emu.AddOrg(host, token)
		first := h.publish(t, newEvent(uniq("e2e-label-1")), existingTenant(host, token, "SLEE Test"))
		h.provisioned(t, first)
		second := h.publish(t, newEvent(uniq("e2e-label-2")), existingTenant(host, token, "SLEE Test"))
		got, _ := h.failed(t, second)
		checkOktaFailure(t, got, oktaFailure{step: events.StepCreateApp, code: "E0000001",
			status: 400, summary: summaryValidation + "label", causes: []string{
				`label: An active ServiceNow - Eureka and later releases instance with the label ` +
					`"SLEE Test" already exists.`}})
		if apps := h.emu.Apps(host); len(apps) != 1 {
			t.Errorf("apps in %s = %d, want 1", host, len(apps))
		}
	})

	t.Run("same event id twice provisions once", func(t *testing.T) {
		t.Parallel()
		sub := uniq("twice")
		ev := newEvent(uniq("e2e-twice"))
		raw, err := events.MarshalSealed(ev, newTenant(sub, ""), h.keys)
		if err != nil {
			t.Fatal(err)
		}
		if ack := h.publishRaw(t, ev.ID, raw); ack.Duplicate {
			t.Fatalf("first publish acked as a duplicate")
		}
		if ack := h.publishRaw(t, ev.ID, raw); !ack.Duplicate {
			t.Errorf("second publish with the same id not acked as a duplicate by JetStream")
		}
		h.provisioned(t, ev.ID)
		// The same event again after JetStream's dedup window: here a new
		// message id stands in for an expired window.
		if ack := h.publishRaw(t, ev.ID+"#again", raw); ack.Duplicate {
			t.Fatalf("copy under a new message id acked as a duplicate")
		}
		deliveries := h.handledN(t, ev.ID, 2)
		last := deliveries[1]
		if last.Err != nil || last.Outcome.Action != provision.Ack ||
			last.Outcome.State != outbox.StateProvisioned {
			t.Errorf("redelivery of a finished signup: %+v, want ack of state provisioned", last)
		}
		if n := countOf(h.emu.OrgsCreated(), sub); n != 1 {
			t.Errorf("orgs created for %s = %d, want 1", sub, n)
		}
		if apps := h.emu.Apps(sub + ".oktapreview.com"); len(apps) != 1 {
			t.Errorf("apps = %d, want 1", len(apps))
		}
		// The redelivery is acked before its (absent) result could be
		// relayed, so count results only; the outbox is shared with the
		// parallel subtests and its backlog says nothing about this one.
		n := 0
		for _, r := range h.results.all() {
			if r.SignupID == ev.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("results of %s = %d, want exactly 1", ev.ID, n)
		}
	})

	t.Run("plain-text secrets accepted in development mode", func(t *testing.T) {
		t.Parallel()
		host := uniq("plainco") + ".okta.com"
		token := "00plain" + randHex(16)
		h.emu.AddOrg(host, token)
		id := uniq("e2e-plain")
		raw := plainExistingSignup(t, id, host, token)
		h.publishRaw(t, id, raw)
		h.provisioned(t, id)
	})
}

// TestE2EProductionISV: an ISV whose token is for okta.com creates new
// orgs in production.
func TestE2EProductionISV(t *testing.T) {
	t.Parallel()
	h := startHarness(t, harnessOptions{ISVHost: "acme.okta.com"})
	sub := uniq("prodco")
	id := h.publish(t, newEvent(uniq("e2e-prod")), newTenant(sub, "ACME Prod"))
	got := h.provisioned(t, id)
	checkProvisioned(t, h, got, id, events.TenantNew, sub+".okta.com", "production", "ACME Prod")
}

// TestE2EIntake: what the worker refuses itself never reaches Okta: the
// emulator sees only the start-up check of the ISV token.
func TestE2EIntake(t *testing.T) {
	t.Parallel()
	h := startHarness(t, harnessOptions{Args: []string{"--max-event-bytes", "4096"}})

	t.Run("group", func(t *testing.T) {
		t.Run("validation lists every problem at once", func(t *testing.T) {
			t.Parallel()
			s := newTenant("Bad_Sub", "")
			s.Org.Website = "ftp://files.example"
			s.Org.Admin.Profile.Email = "not-an-email"
			s.App.Name = ""
			s.App.Settings.App = nil
			id := h.publish(t, newEvent(uniq("e2e-invalid")), s)
			got, _ := h.failed(t, id)
			if got.Step != events.StepValidate || got.Error.Source != events.SourceLocal ||
				got.Error.ErrorCode != events.CodeValidation || got.Error.HTTPStatus != 0 {
				t.Errorf("failure = step %q source %q code %q status %d, want validate local %s 0",
					got.Step, got.Error.Source, got.Error.ErrorCode, got.Error.HTTPStatus, events.CodeValidation)
			}
			want := map[string]string{
				"org.subdomain":           events.RuleDNSLabel,
				"org.website":             events.RuleURL,
				"org.admin.profile.email": events.RuleEmail,
				"app.name":                events.RuleRequired,
				"app.settings.app":        events.RuleRequired,
			}
			checkCauses(t, got.Error.ErrorCauses, want)
			if got.Replayable {
				t.Errorf("replayable = true, want false for invalid input")
			}
		})

		t.Run("data of the wrong shape fails against its id", func(t *testing.T) {
			t.Parallel()
			id := uniq("e2e-shape")
			raw := []byte(`{"specversion":"1.0","id":"` + id + `","source":"https://signup.acme.example/",` +
				`"type":"` + events.TypeSignupRequested + `","time":"2025-01-15T09:30:00Z",` +
				`"datacontenttype":"application/json","data":{"tenant":5,"app":"x"}}`)
			h.publishRaw(t, id, raw)
			got, _ := h.failed(t, id)
			if got.Step != events.StepValidate || got.Error.Source != events.SourceLocal ||
				got.Error.ErrorCode != events.CodeUndecodable || len(got.Error.ErrorCauses) == 0 {
				t.Errorf("failure = %+v, want a local %s at validate with causes", got, events.CodeUndecodable)
			}
		})

		t.Run("broken envelope with a readable id fails against its id", func(t *testing.T) {
			t.Parallel()
			id := uniq("e2e-envelope")
			raw := []byte(`{"specversion":"1.0","id":"` + id + `","time":"yesterday",` +
				`"data":{"tenant":"new"}}`)
			h.publishRaw(t, id, raw)
			got, _ := h.failed(t, id)
			if got.Step != events.StepValidate || got.Error.ErrorCode != events.CodeUndecodable ||
				len(got.Error.ErrorCauses) == 0 || got.Replayable {
				t.Errorf("failure = %+v, want a local %s at validate with causes", got, events.CodeUndecodable)
			}
		})

		t.Run("undecodable message is dead-lettered once", func(t *testing.T) {
			t.Parallel()
			garbage := []byte(`{"specversion":"1.0","id":` + randHex(4))
			sum := sha256.Sum256(garbage)
			h.publishRaw(t, uniq("garbage"), garbage)
			checkUndecodable(t, h, garbage, sum[:])
		})

		t.Run("oversized message is dead-lettered unparsed", func(t *testing.T) {
			t.Parallel()
			big := []byte(`{"specversion":"1.0","pad":"` + strings.Repeat("x", 5000) + `"}`)
			sum := sha256.Sum256(big)
			h.publishRaw(t, uniq("oversize"), big)
			checkUndecodable(t, h, big, sum[:])
		})
	})

	// The worker still works after all of that.
	host := uniq("after") + ".okta.com"
	token := "00cust" + randHex(18)
	h.emu.AddOrg(host, token)
	st := h.emu.Stats()
	if st.Total != 1 || st.ByEndpoint[oktatest.EndpointMe] != 1 {
		t.Errorf("emulator saw %d requests (%v), want only the start-up ISV check", st.Total, st.ByEndpoint)
	}
	id := h.publish(t, newEvent(uniq("e2e-after")), existingTenant(host, token, ""))
	h.provisioned(t, id)
}

// checkUndecodable waits for the dead letter of raw and checks the message
// was settled after one delivery.
func checkUndecodable(t testing.TB, h *harness, raw, sum []byte) {
	t.Helper()
	hexSum := hex.EncodeToString(sum)
	dl, _ := h.deadLetter(t, "dead letter "+hexSum, func(r received) bool {
		var d events.DeadLetter
		json.Unmarshal(r.Event.Data, &d)
		return d.OriginalSHA256 == hexSum
	})
	if dl.Reason != "undecodable" || dl.SignupID != "" || len(dl.Original) != 0 ||
		dl.OriginalSize != len(raw) || dl.LastError == nil ||
		dl.LastError.ErrorCode != events.CodeUndecodable && dl.LastError.ErrorCode != events.CodeTooLarge {
		t.Errorf("dead letter = %+v, want reason undecodable, no original, size %d", dl, len(raw))
	}
	if dl.StreamSeq == 0 {
		t.Errorf("dead letter does not locate the original message")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	// Terminated: the work queue drops it, nothing waits for an ack and
	// it was never redelivered.
	h.handled.waitN(t, "terminate of the undecodable message", 1, func(e consumer.HandledEvent) bool {
		return e.ID == "" && e.Outcome.Action == provision.Terminate
	})
	s, err := h.js.Stream(ctx, h.rt.Streams.Signups)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMsg(ctx, dl.StreamSeq); err == nil {
		t.Errorf("undecodable message %d still in the signup stream", dl.StreamSeq)
	}
	for _, e := range h.handled.all() {
		if e.ID == "" && e.Outcome.Action != provision.Terminate {
			t.Errorf("undecodable message handled with %v, want terminate", e.Outcome.Action)
		}
	}
}

// TestE2EUnknownAppID: the app's metadata answers 404 E0000007 "unknown
// app id". Right after creation Okta may not know a new app yet, so the
// worker treats it as transient; when it lasts past the retry budget the
// signup is dead-lettered and a replayable ProvisioningFailed carries
// Okta's error.
func TestE2EUnknownAppID(t *testing.T) {
	t.Parallel()
	h := startHarness(t, harnessOptions{})
	h.emu.SetFault(oktatest.EndpointMetadata, oktatest.Fault{Status: 404, Code: "E0000007"})
	host := uniq("appgone") + ".okta.com"
	token := "00cust" + randHex(18)
	h.emu.AddOrg(host, token)
	id := h.publish(t, newEvent(uniq("e2e-appid")), existingTenant(host, token, ""))
	got, _ := h.failed(t, id)
	checkOktaFailure(t, got, oktaFailure{step: events.StepFetchMetadata, code: "E0000007",
		status: 404, summary: "Not found: Resource not found"})
	if !got.Replayable || got.Attempts != 3 {
		t.Errorf("replayable %t attempts %d, want true and 3 (the retry budget)", got.Replayable, got.Attempts)
	}
	dl, _ := h.deadLetter(t, "dead letter of "+id, func(r received) bool { return r.SignupID == id })
	if dl.Reason != "retries_exhausted" || dl.Step != events.StepFetchMetadata || len(dl.Original) == 0 ||
		dl.LastError == nil || dl.LastError.ErrorCode != "E0000007" {
		t.Errorf("dead letter = %+v, want retries_exhausted at fetch_metadata with the original", dl)
	}
	if n := h.emu.Stats().ByEndpoint[oktatest.EndpointMetadata]; n != 3 {
		t.Errorf("metadata requests = %d, want 3", n)
	}
}

// TestE2EInvalidSession: E0000005. The emulator answers it for a missing
// or malformed Authorization header, which the client never sends (it
// refuses such tokens before sending), so the product-level case injects
// Okta's answer on app creation; the header case is checked against the
// emulator directly.
func TestE2EInvalidSession(t *testing.T) {
	t.Parallel()
	h := startHarness(t, harnessOptions{})
	host := uniq("session") + ".okta.com"
	token := "00cust" + randHex(18)
	h.emu.AddOrg(host, token)

	for _, auth := range []string{"", "Bearer " + token, "SSWS", "SSWS a b"} {
		req, err := http.NewRequest(http.MethodGet, h.emu.URL()+"/api/v1/users/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ ErrorCode, ErrorSummary string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 403 || body.ErrorCode != "E0000005" || body.ErrorSummary != "Invalid session" {
			t.Errorf("Authorization %q: %d %s %q, want 403 E0000005 Invalid session",
				strings.SplitN(auth, " ", 2)[0], resp.StatusCode, body.ErrorCode, body.ErrorSummary)
		}
	}

	h.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Code: "E0000005", Count: 1})
	id := h.publish(t, newEvent(uniq("e2e-session")), existingTenant(host, token, ""))
	got, _ := h.failed(t, id)
	checkOktaFailure(t, got, oktaFailure{step: events.StepCreateApp, code: "E0000005",
		status: 403, summary: "Invalid session"})
	if got.Replayable {
		t.Errorf("replayable = true, want false")
	}
}

// checkProvisioned checks a TenantProvisioned against the emulator.
func checkProvisioned(t testing.TB, h *harness, got events.TenantProvisioned, id, tenant, host, env,
	label string) {
	t.Helper()
	sub, _, _ := strings.Cut(host, ".")
	if got.SignupID != id || got.Tenant != tenant {
		t.Errorf("signup %q tenant %q, want %q %q", got.SignupID, got.Tenant, id, tenant)
	}
	if got.Org.Subdomain != sub || got.Org.URL != "https://"+host || got.Org.Environment != env {
		t.Errorf("org = %+v, want subdomain %s url https://%s environment %s", got.Org, sub, host, env)
	}
	apps := h.emu.Apps(host)
	if len(apps) != 1 {
		t.Fatalf("apps in %s = %d, want 1", host, len(apps))
	}
	want := events.AppRef{ID: apps[0].ID, Name: "servicenow_app2", Label: label}
	if got.App != want {
		t.Errorf("app = %+v, want %+v", got.App, want)
	}
	if !strings.HasPrefix(got.App.ID, "0oa") {
		t.Errorf("app id %q, want Okta's 0oa... id", got.App.ID)
	}

	md := got.Metadata
	var doc struct {
		EntityID string `xml:"entityID,attr"`
		Cert     string `xml:"IDPSSODescriptor>KeyDescriptor>KeyInfo>X509Data>X509Certificate"`
	}
	if err := xml.Unmarshal([]byte(md.XML), &doc); err != nil {
		t.Fatalf("metadata xml: %v", err)
	}
	if md.EntityID == "" || md.EntityID != doc.EntityID {
		t.Errorf("entityId = %q, want the XML's %q", md.EntityID, doc.EntityID)
	}
	bindings := map[string]bool{}
	for _, s := range md.SSO {
		bindings[s.Binding] = true
		if !strings.HasPrefix(s.Location, "https://"+host+"/app/servicenow_app2/") ||
			!strings.HasSuffix(s.Location, "/sso/saml") {
			t.Errorf("SSO location %q, want https://%s/app/servicenow_app2/.../sso/saml", s.Location, host)
		}
	}
	if !bindings[bindingPOST] || !bindings[bindingRedirect] || len(md.SSO) != 2 {
		t.Errorf("SSO bindings = %v, want POST and Redirect", bindings)
	}
	if len(md.Certificates) != 1 {
		t.Fatalf("certificates = %d, want 1", len(md.Certificates))
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(doc.Cert), ""))
	if err != nil {
		t.Fatal(err)
	}
	c := md.Certificates[0]
	sum := sha256.Sum256(der)
	fp := strings.ReplaceAll(c.SHA256Fingerprint, ":", "")
	if !strings.EqualFold(fp, hex.EncodeToString(sum[:])) {
		t.Errorf("fingerprint %s, want SHA-256 of the XML's certificate", c.SHA256Fingerprint)
	}
	if c.DER != base64.StdEncoding.EncodeToString(der) {
		t.Errorf("certificate DER differs from the XML's")
	}
	if !c.NotAfter.After(time.Now().AddDate(9, 0, 0)) || c.NotBefore.After(time.Now()) {
		t.Errorf("certificate valid %s to %s, want from now for ten years", c.NotBefore, c.NotAfter)
	}
	wantFormats := []string{
		"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
	}
	if strings.Join(md.NameIDFormats, " ") != strings.Join(wantFormats, " ") {
		t.Errorf("NameID formats = %q, want %q", md.NameIDFormats, wantFormats)
	}
}

// checkCauses wants one cause per field with its rule, naming no value.
func checkCauses(t testing.TB, causes []events.Cause, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, c := range causes {
		got[c.Field] = c.Rule
		if !strings.HasPrefix(c.ErrorSummary, c.Field+": ") {
			t.Errorf("cause %q does not name its field %q", c.ErrorSummary, c.Field)
		}
	}
	for field, rule := range want {
		if got[field] != rule {
			t.Errorf("cause for %s: rule %q, want %q (all: %v)", field, got[field], rule, got)
		}
	}
}

// plainExistingSignup is an existing-tenant signup whose token is in plain
// text, as a producer without the sealing key would send it.
func plainExistingSignup(t testing.TB, id, host, token string) []byte {
	t.Helper()
	ev := map[string]any{
		"specversion": "1.0", "id": id, "source": "https://signup.acme.example/",
		"type": events.TypeSignupRequested, "time": time.Now().UTC().Format(time.RFC3339),
		"datacontenttype": "application/json",
		"data": map[string]any{
			"tenant":   "existing",
			"existing": map[string]any{"domain": host, "apiToken": token},
			"app": map[string]any{"name": "servicenow_app2",
				"settings": map[string]any{"app": map[string]any{"loginURL": "https://sleetesting.com/sso/saml"}}},
		},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func countOf(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}
