package events

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeSignup checks that decoding and validating never panic, that
// no error quotes a secret, and that a signup that validates can be
// sealed, re-encoded, decoded again, still validates, keeps its secrets
// and matches the signup schema.
func FuzzDecodeSignup(f *testing.F) {
	f.Add([]byte(baseEvent))
	k := testKeyring(f, "fuzz")
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, s, err := DecodeSignup(raw, 0)
		if err != nil {
			checkErrorHidesSecrets(t, err, raw, s)
			return
		}
		err = s.Validate()
		if err != nil {
			checkErrorHidesSecrets(t, err, raw, s)
			return
		}

		before := s.Secrets()
		out, err := MarshalSealed(ev, s, k.AllowPlain())
		if err != nil {
			t.Fatalf("MarshalSealed of a valid signup: %v", err)
		}
		if err := ValidateEvent(out); err != nil {
			t.Fatalf("valid signup fails its schema: %v\n%s", err, out)
		}
		_, s2, err := DecodeSignup(out, len(out))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if err := s2.Validate(); err != nil {
			t.Fatalf("re-validate: %v", err)
		}
		after := s2.Secrets()
		if len(after) != len(before) {
			t.Fatalf("%d secrets before the round trip, %d after", len(before), len(after))
		}
		for i, sec := range after {
			if before[i].IsSealed() {
				if sec != before[i] {
					t.Fatalf("a sealed secret changed in the round trip")
				}
				continue
			}
			p, err := k.Open(sec)
			if err != nil || p != before[i].raw {
				t.Fatalf("secret %d did not survive sealing: %v", i, err)
			}
		}
	})
}

// checkErrorHidesSecrets fails if err's text holds a canary, or (when a
// signup was decoded) any of its secrets of 6 or more characters.
func checkErrorHidesSecrets(t *testing.T, err error, raw []byte, s *Signup) {
	t.Helper()
	msg := err.Error()
	for _, c := range canaries {
		if strings.Contains(string(raw), c) && strings.Contains(msg, c) {
			t.Fatalf("error quotes a canary secret: %s", msg)
		}
	}
	if s == nil {
		return
	}
	for _, sec := range s.Secrets() {
		if len(sec.raw) >= 6 && strings.Contains(msg, sec.raw) {
			t.Fatalf("error quotes a secret: %s", msg)
		}
	}
}

// FuzzParseSAMLMetadata checks that parsing never panics, fails only with
// the documented errors, and that what it accepts is complete and fits
// the tenant.provisioned schema.
func FuzzParseSAMLMetadata(f *testing.F) {
	f.Add([]byte(oktaMetadataTemplate))
	known := []error{ErrTooLarge, ErrNotMetadata, ErrNoSigningCertificate,
		ErrNoSSOEndpoint, ErrBadCertificate}
	f.Fuzz(func(t *testing.T, raw []byte) {
		md, err := ParseSAMLMetadata(raw)
		if err != nil {
			for _, k := range known {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("undocumented error: %v", err)
		}
		if md.EntityID == "" || len(md.SSO) == 0 || len(md.Certificates) == 0 || md.XML != string(raw) {
			t.Fatalf("accepted incomplete metadata: %+v", md)
		}
		for _, c := range md.Certificates {
			if len(c.SHA256Fingerprint) != 95 || c.DER == "" {
				t.Fatalf("certificate = %+v", c)
			}
		}
		out := provisionedEvent(t, md)
		if err := ValidateEvent(out); err != nil {
			t.Fatalf("accepted metadata fails the schema: %v", err)
		}
	})
}

// provisionedEvent wraps md in a realistic TenantProvisioned event.
func provisionedEvent(tb testing.TB, md SAMLMetadata) []byte {
	tb.Helper()
	data := TenantProvisioned{
		SignupID: "signup-0001",
		Tenant:   TenantNew,
		Org: OrgRef{ID: "00o8abcd3myfI6FM1234", Subdomain: "mycompany",
			URL: "https://mycompany.okta.com", Environment: "production"},
		App:      AppRef{ID: "0oa19jdq4ytHHtfgk1d8", Name: "servicenow_app2", Label: "ACME ServiceNow"},
		Metadata: md,
	}
	out, err := EncodeEvent("result-signup-0001", "urn:embedded-occ:provisioner", TypeTenantProvisioned,
		time.Date(2025, 1, 15, 9, 31, 0, 123456789, time.UTC), data)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
