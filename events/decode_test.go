package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const baseEvent = `{
  "specversion": "1.0",
  "id": "signup-0001",
  "source": "https://signup.acme.example/",
  "type": "com.embedded-occ.signup.requested.v1",
  "time": "2025-01-15T09:30:00Z",
  "datacontenttype": "application/json",
  "data": {
    "tenant": "new",
    "org": {
      "subdomain": "mycompany",
      "name": "MyCompany Inc",
      "website": "https://www.mycompany.com",
      "edition": "DIRECTORY",
      "licensing": {"apps": ["boxnet"]},
      "admin": {
        "profile": {
          "firstName": "Joe", "lastName": "Smith",
          "email": "joe@mycompany.com", "login": "joe@mycompany.com",
          "mobilePhone": null
        },
        "credentials": {
          "password": {"value": "` + canaryPassword + `"},
          "recovery_question": {"question": "What is your favorite IDaaS?", "answer": "` + canaryAnswer + `"}
        }
      }
    },
    "app": {
      "name": "servicenow_app2",
      "label": "ACME ServiceNow",
      "signOnMode": "SAML_2_0",
      "settings": {"app": {"loginURL": "https://sleetesting.com/sso/saml", "n": 12345678901234567890}}
    }
  }
}`

// eventJSON returns baseEvent changed by mutate, which edits it as a
// generic JSON tree.
func eventJSON(tb testing.TB, mutate func(m map[string]any)) []byte {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseEvent), &m); err != nil {
		tb.Fatal(err)
	}
	if mutate != nil {
		mutate(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// obj is a JSON object in a generic tree.
type obj = map[string]any

// at walks m along keys and returns the object there.
func at(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func TestDecodeSignupValid(t *testing.T) {
	ev, s, err := DecodeSignup([]byte(baseEvent), 0)
	if err != nil {
		t.Fatalf("DecodeSignup: %v", err)
	}
	if ev.ID != "signup-0001" || ev.Type != TypeSignupRequested || ev.Time.IsZero() {
		t.Errorf("envelope = %+v", ev)
	}
	if ev.Data != nil {
		t.Errorf("event Data kept the raw data")
	}
	if s.Org.Subdomain != "mycompany" || s.Org.Admin.Credentials.Password.Value.raw != canaryPassword {
		t.Errorf("signup = %+v", s)
	}
	if n, ok := s.App.Settings.App["n"].(json.Number); !ok || n.String() != "12345678901234567890" {
		t.Errorf("number setting = %#v, want json.Number kept exactly", s.App.Settings.App["n"])
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestDecodeSignupDistinguishesAbsentAndEmpty(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		check  func(s *Signup) bool
	}{
		{"credentials absent", func(m map[string]any) {
			delete(at(m, "data", "org", "admin"), "credentials")
		}, func(s *Signup) bool { return s.Org.Admin.Credentials == nil }},
		{"credentials empty", func(m map[string]any) {
			at(m, "data", "org", "admin")["credentials"] = map[string]any{}
		}, func(s *Signup) bool {
			c := s.Org.Admin.Credentials
			return c != nil && c.Password == nil && c.RecoveryQuestion == nil
		}},
		{"mobilePhone empty string", func(m map[string]any) {
			at(m, "data", "org", "admin", "profile")["mobilePhone"] = ""
		}, func(s *Signup) bool {
			p := s.Org.Admin.Profile.MobilePhone
			return p != nil && *p == ""
		}},
		{"mobilePhone null", nil, func(s *Signup) bool { return s.Org.Admin.Profile.MobilePhone == nil }},
		{"password null", func(m map[string]any) {
			at(m, "data", "org", "admin", "credentials", "password")["value"] = nil
		}, func(s *Signup) bool { return s.Org.Admin.Credentials.Password.Value.IsZero() }},
		{"unknown fields accepted", func(m map[string]any) {
			m["traceparent"] = "00-abc"
			at(m, "data")["campaign"] = "spring"
			at(m, "data", "org")["futureField"] = []any{1, 2}
		}, func(s *Signup) bool { return s.Org.Subdomain == "mycompany" }},
		{"datacontenttype absent", func(m map[string]any) {
			delete(m, "datacontenttype")
			delete(m, "time")
		}, func(s *Signup) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, s, err := DecodeSignup(eventJSON(t, tt.mutate), 0)
			if err != nil {
				t.Fatalf("DecodeSignup: %v", err)
			}
			if !tt.check(s) {
				t.Errorf("decoded signup does not keep the distinction")
			}
			if ev.DataContentType != ContentTypeJSON {
				t.Errorf("DataContentType = %q, want %q", ev.DataContentType, ContentTypeJSON)
			}
		})
	}
}

func TestDecodeSignupErrors(t *testing.T) {
	ev := func(f func(m obj)) []byte { return eventJSON(t, f) }
	tests := []struct {
		name      string
		raw       []byte
		wantField string
		wantRule  string
		wantEvent bool // the envelope is returned with the error
	}{
		{"not JSON", []byte("hello " + canaryPassword), "", RuleType, false},
		{"array", []byte(`[1,2]`), "", RuleType, false},
		{"syntax", []byte(`{"id": "x", "data": {"a": ` + canaryPassword + `}`), "", RuleSyntax, false},
		{"truncated", []byte(baseEvent[:len(baseEvent)/2]), "", RuleSyntax, false},
		{"trailing garbage", append([]byte(baseEvent), []byte(" {}")...), "", RuleSyntax, false},
		{"id missing", ev(func(m obj) { delete(m, "id") }), "id", RuleRequired, false},
		{"id a number", ev(func(m obj) { m["id"] = 5 }), "id", RuleType, false},
		{"id with space", ev(func(m obj) { m["id"] = "a b" }), "id", RuleIDFormat, false},
		{"id with newline", ev(func(m obj) { m["id"] = "a\r\nX-Evil: 1" }), "id", RuleIDFormat, false},
		{"id too long", ev(func(m obj) { m["id"] = strings.Repeat("x", 129) }), "id", RuleLength, false},
		{"source missing", ev(func(m obj) { m["source"] = "" }), "source", RuleRequired, false},
		{"specversion", ev(func(m obj) { m["specversion"] = "0.3" }), "specversion", RuleEnum, false},
		{"time", ev(func(m obj) { m["time"] = "yesterday" }), "time", RuleTimestamp, false},
		{"content type", ev(func(m obj) { m["datacontenttype"] = "text/xml" }),
			"datacontenttype", RuleEnum, false},
		{"wrong type", ev(func(m obj) { m["type"] = TypeSignupDead }), "type", RuleEnum, true},
		{"data missing", ev(func(m obj) { delete(m, "data") }), "data", RuleRequired, true},
		{"data null", ev(func(m obj) { m["data"] = nil }), "data", RuleRequired, true},
		{"data string", ev(func(m obj) { m["data"] = "{}" }), "data", RuleType, true},
		{"tenant number", ev(func(m obj) { at(m, "data")["tenant"] = 1 }), "tenant", RuleType, true},
		{"email number", ev(func(m obj) {
			at(m, "data", "org", "admin", "profile")["email"] = 12345
		}), "org.admin.profile.email", RuleType, true},
		{"apps not array", ev(func(m obj) {
			at(m, "data", "org", "licensing")["apps"] = "boxnet"
		}), "org.licensing.apps", RuleType, true},
		{"settings.app array", ev(func(m obj) {
			at(m, "data", "app", "settings")["app"] = []any{}
		}), "app.settings.app", RuleType, true},
		{"password number", ev(func(m obj) {
			at(m, "data", "org", "admin", "credentials", "password")["value"] = 12345678
		}), PathAdminPassword, RuleType, true},
		{"answer object", ev(func(m obj) {
			at(m, "data", "org", "admin", "credentials", "recovery_question")["answer"] =
				map[string]any{"v": canaryAnswer}
		}), PathRecoveryAnswer, RuleType, true},
		{"token array, odd key case", ev(func(m obj) {
			d := at(m, "data")
			d["tenant"] = "existing"
			delete(d, "org")
			d["existing"] = map[string]any{"domain": "x.okta.com", "APITOKEN": []any{canaryToken}}
		}), PathAPIToken, RuleType, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, s, err := DecodeSignup(tt.raw, 0)
			if err == nil {
				t.Fatal("DecodeSignup succeeded, want an error")
			}
			assertNoCanary(t, "error", err.Error())
			if s != nil {
				t.Errorf("signup returned with an error")
			}
			if got := ev != nil; got != tt.wantEvent {
				t.Errorf("event returned = %v, want %v", got, tt.wantEvent)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !ve.Undecodable {
				t.Fatalf("err = %v, want an undecodable *ValidationError", err)
			}
			if !hasProblem(ve.Problems, tt.wantField, tt.wantRule) {
				t.Errorf("problems = %+v, want %s/%s", ve.Problems, tt.wantField, tt.wantRule)
			}
			if f, ok := LocalFailure(err); !ok || f.ErrorCode != CodeUndecodable {
				t.Errorf("LocalFailure = %+v, %v", f, ok)
			}
		})
	}
}

func TestDecodeSignupTooLarge(t *testing.T) {
	raw := []byte(baseEvent)
	if _, _, err := DecodeSignup(raw, len(raw)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, _, err := DecodeSignup(raw, len(raw)-1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: err = %v, want ErrTooLarge", err)
	}
	huge := make([]byte, DefaultMaxEventBytes+1) // not even JSON: must not be parsed
	if _, _, err := DecodeSignup(huge, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("default limit: err = %v, want ErrTooLarge", err)
	}
	if f, ok := LocalFailure(err); !ok || f.ErrorCode != CodeTooLarge || f.Source != SourceLocal {
		t.Errorf("LocalFailure = %+v, %v", f, ok)
	}
}

func TestEventValidateListsEverything(t *testing.T) {
	ev := &Event{SpecVersion: "2", ID: "has space", DataContentType: "text/plain"}
	ps := problemsOf(t, ev.Validate())
	for _, want := range [][2]string{
		{"specversion", RuleEnum}, {"id", RuleIDFormat}, {"source", RuleRequired},
		{"type", RuleRequired}, {"datacontenttype", RuleEnum},
	} {
		if !hasProblem(ps, want[0], want[1]) {
			t.Errorf("missing problem %s/%s in %+v", want[0], want[1], ps)
		}
	}
	ok := &Event{SpecVersion: SpecVersion, ID: "x", Source: "s", Type: TypeSignupDead,
		DataContentType: "application/json; charset=utf-8"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid envelope: %v", err)
	}
}
