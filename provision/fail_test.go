package provision

import (
	"errors"
	"fmt"
	"testing"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

func TestFailureClassifiesEveryErrorKind(t *testing.T) {
	taken := &okta.Error{HTTPStatus: 400, Code: okta.CodeSubdomainExists, Summary: "Api validation failed: subDomain",
		ID: "oae1", RequestID: "req-1", Causes: []okta.Cause{{Summary: "subDomain: An object with this field already exists"}}}
	tests := []struct {
		name       string
		err        error
		source     string
		code       string
		status     int
		replayable bool
	}{
		{"okta permanent", fmt.Errorf("create org: %w", taken), events.SourceOkta, "E0000088", 400, false},
		{"okta transient", &okta.Error{HTTPStatus: 503, Code: "E0000010"}, events.SourceOkta, "E0000010", 503, true},
		{"lost org creation", &unconfirmedOrgError{subdomain: "acme", cause: taken},
			events.SourceLocal, events.CodeOrgUnconfirmed, 400, false},
		{"host not allowed", fmt.Errorf("check host: %w", okta.ErrHostNotAllowed),
			events.SourceLocal, events.CodeHostNotAllowed, 0, false},
		{"bad response", fmt.Errorf("create app: %w", okta.ErrBadResponse),
			events.SourceLocal, events.CodeBadOktaResponse, 0, true},
		{"bad metadata", &metadataError{events.ErrNoSigningCertificate},
			events.SourceLocal, events.CodeBadMetadata, 0, true},
		{"unreadable secret", &secretError{field: "existing.apiToken", err: events.ErrUnknownKey},
			events.SourceLocal, events.CodeSecretUnreadable, 0, false},
		{"transport", fmt.Errorf("me: %w", okta.ErrTransport),
			events.SourceLocal, events.CodeRetriesExhausted, 0, true},
		{"recorded", &recorded{&events.FailureError{Source: events.SourceOkta, ErrorCode: "E0000009",
			HTTPStatus: 500}}, events.SourceOkta, "E0000009", 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, replay := failure(tt.err)
			if f.Source != tt.source || f.ErrorCode != tt.code || f.HTTPStatus != tt.status {
				t.Errorf("failure = %s %s %d, want %s %s %d",
					f.Source, f.ErrorCode, f.HTTPStatus, tt.source, tt.code, tt.status)
			}
			if replay != tt.replayable {
				t.Errorf("replayable = %t, want %t", replay, tt.replayable)
			}
			if f.ErrorCauses == nil {
				t.Errorf("errorCauses is nil, want a list")
			}
		})
	}
	f, _ := failure(taken)
	if got, want := f.RequestID, "req-1"; got != want {
		t.Errorf("request id = %q, want %q", got, want)
	}
	if len(f.ErrorCauses) != 1 || f.ErrorCauses[0].ErrorSummary != taken.Causes[0].Summary {
		t.Errorf("causes = %+v, want Okta's", f.ErrorCauses)
	}
}

func TestOnlyDeadLettersReplay(t *testing.T) {
	tests := []struct {
		state  string
		gen    int
		replay int
		want   bool
	}{
		{outbox.StateDead, 0, 5, true},
		{outbox.StateDead, 5, 5, false},
		{outbox.StateDead, 5, 3, false},
		{outbox.StateFailed, 0, 5, false},
		{outbox.StateProvisioned, 0, 5, false},
		{outbox.StateDead, 0, 0, false},
	}
	for _, tt := range tests {
		sg := &outbox.Signup{State: tt.state, Generation: tt.gen}
		if got := replayable(sg, tt.replay); got != tt.want {
			t.Errorf("replayable(%s gen %d, replay %d) = %t, want %t",
				tt.state, tt.gen, tt.replay, got, tt.want)
		}
	}
}

func TestTransientMarksOnlyTheNewOrgsSettlingWindow(t *testing.T) {
	invalid := &okta.Error{HTTPStatus: 401, Code: okta.CodeInvalidToken}
	for _, tenant := range []string{events.TenantNew, events.TenantExisting} {
		r := &run{sg: &outbox.Signup{Tenant: tenant}}
		got := okta.IsTransient(r.settling(invalid, okta.CodeInvalidToken))
		if want := tenant == events.TenantNew; got != want {
			t.Errorf("%s tenant: E0000011 transient = %t, want %t", tenant, got, want)
		}
	}
	r := &run{sg: &outbox.Signup{Tenant: events.TenantNew}}
	other := errors.New("boom")
	if r.settling(other, okta.CodeInvalidToken) != other {
		t.Error("settling changed an unrelated error")
	}
}

func TestParentDomain(t *testing.T) {
	for host, want := range map[string]string{
		"acme.oktapreview.com": "oktapreview.com",
		"acme.okta.com":        "okta.com",
		"acme.okta-emea.com":   "okta-emea.com",
	} {
		if got := parentDomain(host); got != want {
			t.Errorf("parentDomain(%q) = %q, want %q", host, got, want)
		}
	}
}
