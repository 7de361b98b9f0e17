package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestEncodeEventMatchesMarshal: the one-pass encoding decodes to the same
// envelope and data as json.Marshal of NewEvent, for strings that need
// escaping of every kind.
func TestEncodeEventMatchesMarshal(t *testing.T) {
	md := fixtureMetadata(t)
	awkward := "quote\" backslash\\ <tag> & \u2028 tab\t nl\n nul\x00 é 😀 \xff"
	data := TenantProvisioned{
		SignupID: awkward, Tenant: TenantNew,
		Org: OrgRef{ID: "00o1", Subdomain: "acme", URL: "https://acme.okta.com", Environment: "production"},
		App: AppRef{ID: "0oa1", Name: "app", Label: awkward}, Metadata: md,
	}
	at := time.Date(2025, 1, 15, 9, 31, 0, 123456789, time.FixedZone("x", 3600))
	got, err := EncodeEvent("id "+awkward, "urn:src", TypeTenantProvisioned, at, data)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("not valid JSON: %s", got)
	}
	if bytes.Contains(got, []byte(`\u003c`)) {
		t.Errorf("HTML characters were escaped")
	}
	ev, err := NewEvent("id "+awkward, "urn:src", TypeTenantProvisioned, at, data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(raw []byte) (Event, TenantProvisioned) {
		t.Helper()
		var e Event
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		var d TenantProvisioned
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		e.Data = nil
		return e, d
	}
	ge, gd := decode(got)
	we, wd := decode(want)
	if !reflect.DeepEqual(ge, we) {
		t.Errorf("envelope differs:\n got %+v\nwant %+v", ge, we)
	}
	if !reflect.DeepEqual(gd, wd) {
		t.Errorf("data differs")
	}
	if len(got) >= len(want) {
		t.Errorf("one-pass encoding is %d bytes, json.Marshal %d: want it smaller", len(got), len(want))
	}
}

func TestEncodeEventRefusesWhatJSONCannotHold(t *testing.T) {
	if _, err := EncodeEvent("id", "src", TypeTenantProvisioned, time.Now(), map[string]any{"x": func() {}}); err == nil {
		t.Fatal("encoding a func: got nil error")
	}
}

// BenchmarkEncodeProvisioned is the worker's encoding of a
// TenantProvisioned result.
func BenchmarkEncodeProvisioned(b *testing.B) {
	data := TenantProvisioned{SignupID: "signup-0001", Tenant: TenantNew,
		Org: OrgRef{ID: "00o1", Subdomain: "acme", URL: "https://acme.okta.com", Environment: "production"},
		App: AppRef{ID: "0oa1", Name: "app", Label: "ACME"}, Metadata: fixtureMetadata(b)}
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEvent("signup-0001:provisioned", "urn:src", TypeTenantProvisioned, at, data); err != nil {
			b.Fatal(err)
		}
	}
}
