package events

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateRules(t *testing.T) {
	type want struct{ field, rule string }
	str := func(s string) *string { return &s }
	tests := []struct {
		name     string
		existing bool
		mutate   func(s *Signup)
		want     []want // nil: valid
	}{
		{"valid new", false, func(s *Signup) {}, nil},
		{"valid existing", true, func(s *Signup) {}, nil},

		// Okta's to judge: these must pass so that Okta's answer is seen.
		{"blank website reaches Okta", false, func(s *Signup) { s.Org.Website = "" }, nil},
		{"weak password reaches Okta", false, func(s *Signup) {
			s.Org.Admin.Credentials.Password.Value = PlainSecret("tooweak42")
		}, nil},
		{"short password reaches Okta", false, func(s *Signup) {
			s.Org.Admin.Credentials.Password.Value = PlainSecret("a")
		}, nil},
		{"answer without question reaches Okta", false, func(s *Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Question = ""
		}, nil},
		{"question without answer reaches Okta", false, func(s *Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Answer = Secret{}
		}, nil},
		{"short answer reaches Okta", false, func(s *Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Answer = PlainSecret("ab")
		}, nil},
		{"no credentials", false, func(s *Signup) { s.Org.Admin.Credentials = nil }, nil},
		{"empty credentials", false, func(s *Signup) {
			s.Org.Admin.Credentials = &AdminCredentials{}
		}, nil},
		{"optional fields empty", false, func(s *Signup) {
			s.Org.Edition = ""
			s.Org.Licensing = nil
			s.App.Label = ""
			s.App.SignOnMode = ""
			s.Org.Admin.Profile.MobilePhone = str("+1 555 0100")
		}, nil},
		{"edge lengths", false, func(s *Signup) {
			s.Org.Subdomain = strings.Repeat("a", 57)
			s.Org.Name = strings.Repeat("é", 100)
			s.Org.Admin.Profile.FirstName = strings.Repeat("ß", 50)
			s.Org.Admin.Credentials.Password.Value = PlainSecret(strings.Repeat("x", 72))
			s.App.Label = strings.Repeat("l", 100)
		}, nil},
		{"subdomain with digits and hyphen", false, func(s *Signup) { s.Org.Subdomain = "my-co-2" }, nil},
		{"http website", false, func(s *Signup) { s.Org.Website = "http://mycompany.com/about" }, nil},
		{"empty settings object", false, func(s *Signup) { s.App.Settings.App = map[string]any{} }, nil},

		{"tenant missing", false, func(s *Signup) { s.Tenant = "" }, []want{{"tenant", RuleRequired}}},
		{"tenant unknown", false, func(s *Signup) { s.Tenant = "old" }, []want{{"tenant", RuleEnum}}},
		{"new without org", false, func(s *Signup) { s.Org = nil }, []want{{"org", RuleRequired}}},
		{"new with existing", false, func(s *Signup) {
			s.Existing = existingSignup().Existing
		}, []want{{"existing", RuleForbidden}}},
		{"existing without existing", true, func(s *Signup) { s.Existing = nil },
			[]want{{"existing", RuleRequired}}},
		{"existing with org", true, func(s *Signup) { s.Org = newSignup().Org },
			[]want{{"org", RuleForbidden}}},

		{"subdomain missing", false, func(s *Signup) { s.Org.Subdomain = "" },
			[]want{{"org.subdomain", RuleRequired}}},
		{"subdomain too long", false, func(s *Signup) { s.Org.Subdomain = strings.Repeat("a", 58) },
			[]want{{"org.subdomain", RuleLength}}},
		{"subdomain upper case", false, func(s *Signup) { s.Org.Subdomain = "MyCompany" },
			[]want{{"org.subdomain", RuleDNSLabel}}},
		{"subdomain leading hyphen", false, func(s *Signup) { s.Org.Subdomain = "-my" },
			[]want{{"org.subdomain", RuleDNSLabel}}},
		{"subdomain trailing hyphen", false, func(s *Signup) { s.Org.Subdomain = "my-" },
			[]want{{"org.subdomain", RuleDNSLabel}}},
		{"subdomain dot", false, func(s *Signup) { s.Org.Subdomain = "my.co" },
			[]want{{"org.subdomain", RuleDNSLabel}}},
		{"subdomain space", false, func(s *Signup) { s.Org.Subdomain = "my co" },
			[]want{{"org.subdomain", RuleDNSLabel}}},

		{"name missing", false, func(s *Signup) { s.Org.Name = "" }, []want{{"org.name", RuleRequired}}},
		{"name too long", false, func(s *Signup) { s.Org.Name = strings.Repeat("n", 101) },
			[]want{{"org.name", RuleLength}}},
		{"name emoji", false, func(s *Signup) { s.Org.Name = "Acme 🚀" },
			[]want{{"org.name", RuleNo4ByteUTF8}}},

		{"website relative", false, func(s *Signup) { s.Org.Website = "www.mycompany.com" },
			[]want{{"org.website", RuleURL}}},
		{"website ftp", false, func(s *Signup) { s.Org.Website = "ftp://mycompany.com" },
			[]want{{"org.website", RuleURL}}},
		{"website no host", false, func(s *Signup) { s.Org.Website = "https:///path" },
			[]want{{"org.website", RuleURL}}},
		{"licensing empty entry", false, func(s *Signup) { s.Org.Licensing.Apps = []string{"boxnet", ""} },
			[]want{{"org.licensing.apps[1]", RuleRequired}}},

		{"first name missing", false, func(s *Signup) { s.Org.Admin.Profile.FirstName = "" },
			[]want{{"org.admin.profile.firstName", RuleRequired}}},
		{"last name too long", false, func(s *Signup) { s.Org.Admin.Profile.LastName = strings.Repeat("s", 51) },
			[]want{{"org.admin.profile.lastName", RuleLength}}},
		{"email missing", false, func(s *Signup) { s.Org.Admin.Profile.Email = "" },
			[]want{{"org.admin.profile.email", RuleRequired}}},
		{"email too short", false, func(s *Signup) { s.Org.Admin.Profile.Email = "a@b" },
			[]want{{"org.admin.profile.email", RuleLength}}},
		{"email too long", false, func(s *Signup) {
			s.Org.Admin.Profile.Email = strings.Repeat("j", 90) + "@mycompany.com"
		}, []want{{"org.admin.profile.email", RuleLength}}},
		{"email no at", false, func(s *Signup) { s.Org.Admin.Profile.Email = "joe.mycompany.com" },
			[]want{{"org.admin.profile.email", RuleEmail}}},
		{"email with display name", false, func(s *Signup) {
			s.Org.Admin.Profile.Email = "Joe <joe@mycompany.com>"
		}, []want{{"org.admin.profile.email", RuleEmail}}},
		{"login missing", false, func(s *Signup) { s.Org.Admin.Profile.Login = "" },
			[]want{{"org.admin.profile.login", RuleRequired}}},
		{"login too long", false, func(s *Signup) { s.Org.Admin.Profile.Login = strings.Repeat("l", 101) },
			[]want{{"org.admin.profile.login", RuleLength}}},

		{"password empty", false, func(s *Signup) { s.Org.Admin.Credentials.Password.Value = Secret{} },
			[]want{{PathAdminPassword, RuleRequired}}},
		{"password over 72", false, func(s *Signup) {
			s.Org.Admin.Credentials.Password.Value = PlainSecret(canaryPassword + strings.Repeat("x", 72))
		}, []want{{PathAdminPassword, RuleLength}}},
		{"password broken seal", false, func(s *Signup) {
			s.Org.Admin.Credentials.Password.Value = Secret{raw: "enc:v1:k 1:!!"}
		}, []want{{PathAdminPassword, RuleSealedFormat}}},
		{"question too long", false, func(s *Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Question = strings.Repeat("q", 101)
		}, []want{{"org.admin.credentials.recovery_question.question", RuleLength}}},
		{"answer too long", false, func(s *Signup) {
			s.Org.Admin.Credentials.RecoveryQuestion.Answer = PlainSecret(canaryAnswer + strings.Repeat("a", 100))
		}, []want{{PathRecoveryAnswer, RuleLength}}},

		{"domain missing", true, func(s *Signup) { s.Existing.Domain = "" },
			[]want{{"existing.domain", RuleRequired}}},
		{"domain with scheme", true, func(s *Signup) { s.Existing.Domain = "https://globex.okta.com" },
			[]want{{"existing.domain", RuleHostname}}},
		{"domain with port", true, func(s *Signup) { s.Existing.Domain = "globex.okta.com:443" },
			[]want{{"existing.domain", RuleHostname}}},
		{"domain single label", true, func(s *Signup) { s.Existing.Domain = "localhost" },
			[]want{{"existing.domain", RuleHostname}}},
		{"domain ip", true, func(s *Signup) { s.Existing.Domain = "127.0.0.1" },
			[]want{{"existing.domain", RuleHostname}}},
		{"domain path", true, func(s *Signup) { s.Existing.Domain = "globex.okta.com/api" },
			[]want{{"existing.domain", RuleHostname}}},
		{"domain upper case ok", true, func(s *Signup) { s.Existing.Domain = "Globex.Okta.com" }, nil},
		{"token missing", true, func(s *Signup) { s.Existing.APIToken = Secret{} },
			[]want{{PathAPIToken, RuleRequired}}},
		{"token with space", true, func(s *Signup) { s.Existing.APIToken = PlainSecret(canaryToken + " x") },
			[]want{{PathAPIToken, RulePattern}}},
		{"token broken seal", true, func(s *Signup) { s.Existing.APIToken = Secret{raw: "enc:v1:k1:"} },
			[]want{{PathAPIToken, RuleSealedFormat}}},

		{"app name missing", false, func(s *Signup) { s.App.Name = "" }, []want{{"app.name", RuleRequired}}},
		{"app name upper", false, func(s *Signup) { s.App.Name = "ServiceNow" }, []want{{"app.name", RulePattern}}},
		{"app name path", false, func(s *Signup) { s.App.Name = "../users" }, []want{{"app.name", RulePattern}}},
		{"app label too long", false, func(s *Signup) { s.App.Label = strings.Repeat("l", 101) },
			[]want{{"app.label", RuleLength}}},
		{"sign-on mode", false, func(s *Signup) { s.App.SignOnMode = "OPENID_CONNECT" },
			[]want{{"app.signOnMode", RuleEnum}}},
		{"settings.app missing", false, func(s *Signup) { s.App.Settings.App = nil },
			[]want{{"app.settings.app", RuleRequired}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignup()
			if tt.existing {
				s = existingSignup()
			}
			tt.mutate(s)
			err := s.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded, want problems")
			}
			assertNoCanary(t, "error", err.Error())
			ps := problemsOf(t, err)
			if got, want := len(ps), len(tt.want); got != want {
				t.Errorf("got %d problems %+v, want %d", got, ps, want)
			}
			for _, w := range tt.want {
				if !hasProblem(ps, w.field, w.rule) {
					t.Errorf("missing problem %s/%s in %+v", w.field, w.rule, ps)
				}
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	s := newSignup()
	s.Org.Subdomain = "Bad_Sub"
	s.Org.Admin.Profile.Email = "nope"
	s.Org.Admin.Credentials.Password.Value = PlainSecret(strings.Repeat(canaryPassword, 5))
	s.App.Name = ""
	s.App.Settings.App = nil
	err := s.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	if got, want := len(ve.Problems), 5; got != want {
		t.Errorf("got %d problems, want %d: %v", got, want, err)
	}
	msg := err.Error()
	assertNoCanary(t, "error", msg)
	for _, field := range []string{"org.subdomain", "org.admin.profile.email", PathAdminPassword,
		"app.name", "app.settings.app"} {
		if !strings.Contains(msg, field) {
			t.Errorf("error %q does not name %s", msg, field)
		}
	}
	f, ok := LocalFailure(err)
	if !ok || f.ErrorCode != CodeValidation || len(f.ErrorCauses) != 5 {
		t.Fatalf("LocalFailure = %+v, %v", f, ok)
	}
	if c := f.ErrorCauses[0]; c.Field == "" || c.Rule == "" || !strings.HasPrefix(c.ErrorSummary, c.Field+": ") {
		t.Errorf("cause = %+v", c)
	}
	if _, ok := LocalFailure(errors.New("other")); ok {
		t.Errorf("LocalFailure claims a foreign error")
	}
}
