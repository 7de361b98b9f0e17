package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := PlainSecret(canaryPassword)
	sealed := testKeyring(t, "k1")
	sealedSecret, err := sealed.Seal(canaryPassword)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := struct {
		P  Secret
		PP *Secret
	}{s, &s}
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%#v", "%x", "%X", "%d", "%10s"} {
		for _, v := range []any{s, &s, sealedSecret, wrapped, []Secret{s}, newSignup().Org.Admin.Credentials.Password} {
			got := fmt.Sprintf(verb, v)
			assertNoCanary(t, verb, got)
			if strings.Contains(got, "enc:v1") {
				t.Errorf("%s prints the sealed form: %q", verb, got)
			}
		}
		if got, want := fmt.Sprintf(verb, s), "[redacted]"; got != want {
			t.Errorf("Sprintf(%q, secret) = %q, want %q", verb, got, want)
		}
	}
	if got := s.String() + s.GoString(); got != "[redacted][redacted]" {
		t.Errorf("String+GoString = %q", got)
	}
}

func TestSecretMarshal(t *testing.T) {
	k := testKeyring(t, "k1")
	sealed, err := k.Seal(canaryPassword)
	if err != nil {
		t.Fatal(err)
	}

	_, err = json.Marshal(PlainSecret(canaryPassword))
	if !errors.Is(err, ErrPlainSecret) {
		t.Fatalf("marshal plain: err = %v, want ErrPlainSecret", err)
	}
	assertNoCanary(t, "marshal error", err.Error())

	_, err = json.Marshal(newSignup())
	if !errors.Is(err, ErrPlainSecret) {
		t.Fatalf("marshal plain signup: err = %v, want ErrPlainSecret", err)
	}
	assertNoCanary(t, "marshal error", err.Error())

	got, err := json.Marshal(Secret{})
	if err != nil || string(got) != `""` {
		t.Errorf("marshal empty = %s, %v; want \"\"", got, err)
	}

	got, err = json.Marshal(sealed)
	if err != nil {
		t.Fatalf("marshal sealed: %v", err)
	}
	var back Secret
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("unmarshal sealed: %v", err)
	}
	if back != sealed || !back.IsSealed() {
		t.Errorf("sealed secret did not round-trip")
	}
	if kid, ok := back.KeyID(); !ok || kid != "k1" {
		t.Errorf("KeyID = %q, %v; want k1, true", kid, ok)
	}
}

func TestSecretUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
		want    string
	}{
		{`"plain"`, false, "plain"},
		{`""`, false, ""},
		{`null`, false, ""},
		{`"enc:v1:k1:AAAA"`, false, "enc:v1:k1:AAAA"},
		{`"caf\u00e9"`, false, "café"},
		{`12345678`, true, ""},
		{`true`, true, ""},
		{`{"value":"x"}`, true, ""},
		{`["x"]`, true, ""},
	}
	for _, tt := range tests {
		var s Secret
		err := json.Unmarshal([]byte(tt.in), &s)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("Unmarshal(%s) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "12345678") {
				t.Errorf("error quotes the value: %v", err)
			}
			continue
		}
		if s.raw != tt.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, s.raw, tt.want)
		}
	}
}

func TestSignupSecretsAndSeal(t *testing.T) {
	k := testKeyring(t, "k1")
	s := newSignup()
	if got := len(s.Secrets()); got != 2 {
		t.Fatalf("Secrets() = %d values, want 2", got)
	}
	if err := s.SealSecrets(k); err != nil {
		t.Fatal(err)
	}
	for _, sec := range s.Secrets() {
		if !sec.IsSealed() {
			t.Errorf("a secret is still plain after SealSecrets")
		}
	}
	first := s.Org.Admin.Credentials.Password.Value
	if err := s.SealSecrets(k); err != nil {
		t.Fatal(err)
	}
	if s.Org.Admin.Credentials.Password.Value != first {
		t.Errorf("SealSecrets resealed an already sealed secret")
	}
	got, err := k.Open(s.Org.Admin.Credentials.Password.Value)
	if err != nil || got != canaryPassword {
		t.Errorf("Open(password) = %v; want the original", err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal sealed signup: %v", err)
	}
	assertNoCanary(t, "sealed JSON", string(out))

	e := existingSignup()
	if err := e.SealSecrets(k); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(e.Existing.APIToken); err != nil || got != canaryToken {
		t.Errorf("Open(apiToken) = %v; want the original", err)
	}
}

func TestMarshalSealedLeavesInputAlone(t *testing.T) {
	k := testKeyring(t, "k1")
	s := newSignup()
	ev := &Event{SpecVersion: SpecVersion, ID: "id-1", Source: "test", Type: TypeSignupRequested}
	out, err := MarshalSealed(ev, s, k)
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "MarshalSealed", string(out))
	if s.Org.Admin.Credentials.Password.Value.IsSealed() {
		t.Errorf("MarshalSealed changed its input")
	}
	if ev.Data != nil || ev.DataContentType != "" {
		t.Errorf("MarshalSealed changed the event")
	}
	if err := ValidateEvent(out); err != nil {
		t.Errorf("sealed event fails its schema: %v", err)
	}
	ev2, s2, err := DecodeSignup(out, 0)
	if err != nil {
		t.Fatalf("decode sealed event: %v", err)
	}
	if ev2.ID != "id-1" || ev2.DataContentType != ContentTypeJSON {
		t.Errorf("decoded envelope = %+v", ev2)
	}
	if got, err := k.Open(s2.Org.Admin.Credentials.RecoveryQuestion.Answer); err != nil ||
		got != canaryAnswer {
		t.Errorf("answer did not survive sealing: %v", err)
	}
}
