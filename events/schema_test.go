package events

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

var testTime = time.Date(2025, 1, 15, 9, 31, 0, 0, time.UTC)

// fixtureMetadata parses testdata/okta-metadata.xml.
func fixtureMetadata(tb testing.TB) SAMLMetadata {
	tb.Helper()
	raw, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		tb.Fatal(err)
	}
	md, err := ParseSAMLMetadata(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return md
}

// marshalEvent wraps data in an envelope as the worker does and returns
// its JSON.
func marshalEvent(tb testing.TB, typ string, data any) []byte {
	tb.Helper()
	out, err := EncodeEvent("evt-0001", "urn:embedded-occ:provisioner", typ, testTime, data)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestSchemasAcceptWhatGoMarshals(t *testing.T) {
	k := testKeyring(t, "k1")
	sealedSignup := newSignup()
	if err := sealedSignup.SealSecrets(k); err != nil {
		t.Fatal(err)
	}
	oktaErr := FailureError{
		Source: SourceOkta, ErrorCode: "E0000001",
		ErrorSummary: "Api validation failed: admin.password",
		ErrorCauses: []Cause{{ErrorSummary: "admin.password: Password requirements were not met. " +
			"Your password must have at least 8 characters, a lowercase letter, an uppercase " +
			"letter, a number, no parts of your username."}},
		ErrorID: "oaeE4lry9XFR_aZq6yJ-3uGsw", HTTPStatus: 400, RequestID: "XmZr1AbCdEf",
	}
	localErr, _ := LocalFailure(newSignupWithProblems().Validate())
	sealedOriginal, err := MarshalSealed(&Event{SpecVersion: SpecVersion, ID: "signup-0001",
		Source: "https://signup.acme.example/", Type: TypeSignupRequested, Time: testTime},
		newSignup(), k)
	if err != nil {
		t.Fatal(err)
	}
	md := fixtureMetadata(t)

	tests := []struct {
		name string
		typ  string
		data any
	}{
		{"signup new, sealed", TypeSignupRequested, sealedSignup},
		{"signup existing, no secrets", TypeSignupRequested, func() *Signup {
			s := existingSignup()
			s.Existing.APIToken, _ = k.Seal(canaryToken)
			return s
		}()},
		{"provisioned new", TypeTenantProvisioned, TenantProvisioned{
			SignupID: "signup-0001", Tenant: TenantNew,
			Org: OrgRef{ID: "00o8abcd3myfI6FM1234", Subdomain: "mycompany",
				URL: "https://mycompany.okta.com", Environment: "production"},
			App:      AppRef{ID: "0oa19jdq4ytHHtfgk1d8", Name: "servicenow_app2", Label: "ACME ServiceNow"},
			Metadata: md,
		}},
		{"provisioned existing, no name id formats", TypeTenantProvisioned, TenantProvisioned{
			SignupID: "signup-0002", Tenant: TenantExisting,
			Org: OrgRef{Subdomain: "initech", URL: "https://initech.oktapreview.com",
				Environment: "preview"},
			App: AppRef{ID: "0oa2", Name: "servicenow_app2", Label: "ACME ServiceNow"},
			Metadata: SAMLMetadata{XML: md.XML, EntityID: md.EntityID, SSO: md.SSO,
				Certificates: md.Certificates},
		}},
		{"failed at Okta", TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "signup-0003", Tenant: TenantNew, Step: StepCreateOrg,
			Error: oktaErr, Attempts: 1,
		}},
		{"failed at Okta, no causes", TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "signup-0004", Step: StepCheckToken, Attempts: 1,
			Error: FailureError{Source: SourceOkta, ErrorCode: "E0000011",
				ErrorSummary: "Invalid token provided", HTTPStatus: 401},
		}},
		{"failed locally", TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "signup-0005", Tenant: "weird", Step: StepValidate, Error: localErr,
		}},
		{"failed, retries exhausted", TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "signup-0006", Step: StepFetchMetadata, Attempts: 8, Replayable: true,
			Error: FailureError{Source: SourceLocal, ErrorCode: CodeRetriesExhausted,
				ErrorSummary: "Okta kept answering 503"},
		}},
		{"dead letter with original", TypeSignupDead, DeadLetter{
			SignupID: "signup-0001", Reason: "retries_exhausted", Step: StepCreateApp,
			Attempts: 8, LastError: &oktaErr, OriginalSubject: "signup.requested",
			StreamSeq: 42, Original: sealedOriginal, OriginalSize: 1234,
			OriginalSHA256: strings.Repeat("ab", 32), DeadAt: testTime,
		}},
		{"dead letter, undecodable", TypeSignupDead, DeadLetter{
			Reason: "undecodable", OriginalSubject: "signup.requested",
			OriginalSize: 99999, OriginalSHA256: strings.Repeat("0f", 32), DeadAt: testTime,
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := marshalEvent(t, tt.typ, tt.data)
			assertNoCanary(t, "event", string(out))
			if err := ValidateEvent(out); err != nil {
				t.Errorf("ValidateEvent: %v\n%s", err, out)
			}
			seen[tt.typ] = true
		})
	}
	for _, typ := range SchemaTypes() {
		if !seen[typ] {
			t.Errorf("no test marshals a %s", typ)
		}
	}
}

// newSignupWithProblems returns a signup that breaks two rules.
func newSignupWithProblems() *Signup {
	s := newSignup()
	s.Org.Subdomain = "Bad Sub"
	s.App.Name = ""
	return s
}

func TestSchemasRefuse(t *testing.T) {
	k := testKeyring(t, "k1")
	md := fixtureMetadata(t)
	good := TenantProvisioned{SignupID: "s", Tenant: TenantNew,
		Org: OrgRef{ID: "00o1", Subdomain: "a", URL: "https://a.okta.com", Environment: "production"},
		App: AppRef{ID: "0oa1", Name: "n", Label: "l"}, Metadata: md}
	plainOriginal := []byte(`{"specversion":"1.0","id":"x","type":"t","data":{"org":{"admin":` +
		`{"credentials":{"password":{"value":"` + canaryPassword + `"}}}}}}`)
	sealed, _ := k.Seal(canaryToken)

	tests := []struct {
		name      string
		raw       []byte
		wantField string
	}{
		{"no certificates", marshalEvent(t, TypeTenantProvisioned, func() TenantProvisioned {
			g := good
			g.Metadata.Certificates = nil
			return g
		}()), "data.metadata.certificates"},
		{"bad environment", marshalEvent(t, TypeTenantProvisioned, func() TenantProvisioned {
			g := good
			g.Org.Environment = "staging"
			return g
		}()), "data.org.environment"},
		{"local error with Okta status", marshalEvent(t, TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "s", Step: StepValidate,
			Error: FailureError{Source: SourceLocal, ErrorCode: "E0000001", HTTPStatus: 400},
		}), "data.error.errorCode"},
		{"unknown step", marshalEvent(t, TypeProvisioningFailed, ProvisioningFailed{
			SignupID: "s", Step: "dance", Error: FailureError{Source: SourceOkta, ErrorCode: "E1"},
		}), "data.step"},
		{"plain secret in dead letter", marshalEvent(t, TypeSignupDead, DeadLetter{
			Reason: "x", OriginalSHA256: strings.Repeat("a", 64), Original: plainOriginal,
		}), "data.original.data.org.admin.credentials.password.value"},
		{"signup: tenant new with existing", func() []byte {
			s := newSignup()
			s.Org.Admin.Credentials = nil
			s.Existing = &ExistingOrg{Domain: "a.okta.com", APIToken: sealed}
			return marshalEvent(t, TypeSignupRequested, s)
		}(), "data"},
		{"envelope id with space", []byte(`{"specversion":"1.0","id":"a b","source":"s",` +
			`"type":"com.embedded-occ.signup.dead.v1"}`), "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateEvent(tt.raw)
			if err == nil {
				t.Fatal("ValidateEvent accepted it")
			}
			assertNoCanary(t, "schema error", err.Error())
			if !hasField(problemsOf(t, err), tt.wantField) {
				t.Errorf("problems %v do not name %s", err, tt.wantField)
			}
		})
	}

	if err := ValidateEvent([]byte(`{"type":"com.example.other"}`)); !errors.Is(err, ErrUnknownEventType) {
		t.Errorf("unknown type: err = %v, want ErrUnknownEventType", err)
	}
	for _, raw := range []string{`[]`, `nope`} {
		var ve *ValidationError
		if err := ValidateEvent([]byte(raw)); !errors.As(err, &ve) || !ve.Undecodable {
			t.Errorf("ValidateEvent(%s) = %v, want undecodable", raw, err)
		}
	}
}

func hasField(ps []Problem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

func TestSchemasMap(t *testing.T) {
	m := Schemas()
	if got, want := len(m), 4; got != want {
		t.Fatalf("%d schemas, want %d", got, want)
	}
	for typ, b := range m {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %v", typ, doc["$schema"])
		}
		if !strings.Contains(string(b), `"`+typ+`"`) {
			t.Errorf("schema for %s does not pin its type", typ)
		}
	}
	m[TypeSignupDead][0] = 'X'
	if Schemas()[TypeSignupDead][0] == 'X' {
		t.Errorf("Schemas returns shared slices")
	}
}

func TestFailureErrorCausesNeverNull(t *testing.T) {
	b, err := json.Marshal(FailureError{Source: SourceLocal, ErrorCode: CodeTooLarge})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"errorCauses":[]`) {
		t.Errorf("marshaled = %s, want errorCauses []", b)
	}
	b, _ = json.Marshal(SAMLMetadata{})
	if !strings.Contains(string(b), `"nameIdFormats":[]`) || !strings.Contains(string(b), `"sso":[]`) {
		t.Errorf("marshaled = %s, want empty arrays", b)
	}
}
