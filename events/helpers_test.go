package events

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Canary secret values. No error string, printout or marshaled output may
// ever contain them.
const (
	canaryPassword = "Zq9Canary-Passw0rd"
	canaryAnswer   = "Zq9Canary-Answer"
	canaryToken    = "00Zq9CanaryTokenXXXXXXXXXXXXXXXXXXXXXXXXXX"
)

var canaries = []string{canaryPassword, canaryAnswer, canaryToken}

// newSignup returns a valid new-tenant signup holding the canary secrets.
func newSignup() *Signup {
	return &Signup{
		Tenant: TenantNew,
		Org: &NewOrg{
			Subdomain: "mycompany",
			Name:      "MyCompany Inc",
			Website:   "https://www.mycompany.com",
			Edition:   "DIRECTORY",
			Licensing: &Licensing{Apps: []string{"boxnet"}},
			Admin: Admin{
				Profile: AdminProfile{
					FirstName: "Joe",
					LastName:  "Smith",
					Email:     "joe@mycompany.com",
					Login:     "joe@mycompany.com",
				},
				Credentials: &AdminCredentials{
					Password: &Password{Value: PlainSecret(canaryPassword)},
					RecoveryQuestion: &RecoveryQuestion{
						Question: "What is your favorite IDaaS?",
						Answer:   PlainSecret(canaryAnswer),
					},
				},
			},
		},
		App: App{
			Name:       "servicenow_app2",
			Label:      "ACME ServiceNow",
			SignOnMode: SignOnModeSAML2,
			Settings: AppSettings{App: map[string]any{
				"loginURL": "https://sleetesting.com/sso/saml",
			}},
		},
	}
}

// existingSignup returns a valid existing-tenant signup.
func existingSignup() *Signup {
	s := newSignup()
	s.Tenant = TenantExisting
	s.Org = nil
	s.Existing = &ExistingOrg{Domain: "globex.okta.com", APIToken: PlainSecret(canaryToken)}
	return s
}

// testKeyring returns a keyring with a fresh random key under kid.
func testKeyring(tb testing.TB, kid string) *Keyring {
	tb.Helper()
	spec, err := GenerateKeyringSpec(kid)
	if err != nil {
		tb.Fatalf("GenerateKeyringSpec: %v", err)
	}
	k, err := ParseKeyring(spec)
	if err != nil {
		tb.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

// assertNoCanary fails if s holds any canary secret.
func assertNoCanary(tb testing.TB, what, s string) {
	tb.Helper()
	for _, c := range canaries {
		if strings.Contains(s, c) {
			tb.Errorf("%s leaks a secret: %q", what, s)
		}
	}
}

// problemsOf returns the problems of a *ValidationError, failing if err is
// not one.
func problemsOf(tb testing.TB, err error) []Problem {
	tb.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	return ve.Problems
}

// hasProblem reports whether ps holds field with rule.
func hasProblem(ps []Problem, field, rule string) bool {
	for _, p := range ps {
		if p.Field == field && p.Rule == rule {
			return true
		}
	}
	return false
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
