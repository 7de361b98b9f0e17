package events

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Field limits checked by Validate. They are Okta's own documented limits
// (OrgCreationAdmin, ChildOrg, the 72-character password store).
const (
	MaxSubdomainLen   = 57
	MaxOrgNameLen     = 100
	MaxPersonNameLen  = 50
	MinEmailLen       = 5
	MaxEmailLen       = 100
	MaxLoginLen       = 100
	MaxPasswordLen    = 72
	MaxRecoveryLen    = 100
	MaxAppLabelLen    = 100
	MaxHostnameLen    = 253
	maxDNSLabelLength = 63
)

// SignOnModeSAML2 is the only sign-on mode a signup's app may ask for.
const SignOnModeSAML2 = "SAML_2_0"

// Validate checks the signup and returns a *ValidationError listing every
// problem at once, or nil.
//
// Local validation is never stricter than Okta, and it does not repeat
// the checks Okta makes under its org policy: a blank website, the
// password policy (length, character classes, username parts), the
// recovery question and answer pairing and the answer's minimum length
// are left to Okta, whose E0000001 answer then reaches the customer word
// for word. Local rules cover only what is certainly invalid and would
// otherwise fail in a less useful way:
//
//   - tenant is "new" with org (and no existing), or "existing" with
//     existing (and no org);
//   - org: subdomain a lowercase DNS label of 1 to 57 characters; name 1
//     to 100 characters without 4-byte UTF-8; website, when not empty, an
//     absolute http or https URL with a host; licensing.apps entries not
//     empty; admin.profile firstName and lastName 1 to 50 characters,
//     email a bare address of 5 to 100 characters, login 1 to 100;
//     credentials optional, but a password present must be non-empty and
//     at most 72 characters, and a recovery question or answer at most 100
//     characters;
//   - existing: domain a host name (the allowlist of Okta domains is the
//     okta package's check), apiToken present and printable ASCII;
//   - app: name of [a-z0-9_], label at most 100 characters, signOnMode
//     empty or SAML_2_0, settings.app present as an object.
//
// Lengths count characters (runes). A sealed secret's length cannot be
// known before it is opened; it is checked for the sealed syntax only.
// No problem ever quotes a value.
func (s *Signup) Validate() error {
	var ps problems
	switch s.Tenant {
	case "":
		ps.add("tenant", RuleRequired, "is required")
	case TenantNew:
		if s.Org == nil {
			ps.add("org", RuleRequired, `is required when tenant is "new"`)
		}
		if s.Existing != nil {
			ps.add("existing", RuleForbidden, `must be absent when tenant is "new"`)
		}
	case TenantExisting:
		if s.Existing == nil {
			ps.add("existing", RuleRequired, `is required when tenant is "existing"`)
		}
		if s.Org != nil {
			ps.add("org", RuleForbidden, `must be absent when tenant is "existing"`)
		}
	default:
		ps.add("tenant", RuleEnum, `must be "new" or "existing"`)
	}
	if s.Org != nil {
		s.Org.validate(&ps)
	}
	if s.Existing != nil {
		s.Existing.validate(&ps)
	}
	s.App.validate(&ps)
	return ps.err(false)
}

func (o *NewOrg) validate(ps *problems) {
	switch {
	case o.Subdomain == "":
		ps.add("org.subdomain", RuleRequired, "is required")
	case len(o.Subdomain) > MaxSubdomainLen:
		ps.add("org.subdomain", RuleLength, lengthMsg(1, MaxSubdomainLen))
	case !isDNSLabel(o.Subdomain):
		ps.add("org.subdomain", RuleDNSLabel,
			"must be lowercase a-z, 0-9 and hyphens, not starting or ending with a hyphen")
	}

	checkText(ps, "org.name", o.Name, 1, MaxOrgNameLen)
	if o.Name != "" && !isBMP(o.Name) {
		ps.add("org.name", RuleNo4ByteUTF8, "must be UTF-8 without 4-byte characters such as emoji")
	}

	if o.Website != "" && !isWebURL(o.Website) {
		ps.add("org.website", RuleURL, "must be an absolute http or https URL with a host")
	}
	if o.Licensing != nil {
		for i, app := range o.Licensing.Apps {
			if app == "" {
				ps.add(fmt.Sprintf("org.licensing.apps[%d]", i), RuleRequired, "must not be empty")
			}
		}
	}
	o.Admin.validate(ps)
}

func (a *Admin) validate(ps *problems) {
	p := &a.Profile
	checkText(ps, "org.admin.profile.firstName", p.FirstName, 1, MaxPersonNameLen)
	checkText(ps, "org.admin.profile.lastName", p.LastName, 1, MaxPersonNameLen)
	if checkText(ps, "org.admin.profile.email", p.Email, MinEmailLen, MaxEmailLen) &&
		!isBareEmail(p.Email) {
		ps.add("org.admin.profile.email", RuleEmail, "must be a bare e-mail address")
	}
	checkText(ps, "org.admin.profile.login", p.Login, 1, MaxLoginLen)

	cr := a.Credentials
	if cr == nil {
		return
	}
	if cr.Password != nil {
		v := cr.Password.Value
		if v.IsZero() {
			ps.add(PathAdminPassword, RuleRequired, "must not be empty when password is given")
		}
		checkSecret(ps, PathAdminPassword, v, MaxPasswordLen)
	}
	if q := cr.RecoveryQuestion; q != nil {
		if utf8.RuneCountInString(q.Question) > MaxRecoveryLen {
			ps.add("org.admin.credentials.recovery_question.question", RuleLength,
				lengthMsg(0, MaxRecoveryLen))
		}
		checkSecret(ps, PathRecoveryAnswer, q.Answer, MaxRecoveryLen)
	}
}

func (e *ExistingOrg) validate(ps *problems) {
	switch {
	case e.Domain == "":
		ps.add("existing.domain", RuleRequired, "is required")
	case !isHostname(e.Domain):
		ps.add("existing.domain", RuleHostname,
			"must be a host name such as mycompany.okta.com, without scheme, port or path")
	}
	switch {
	case e.APIToken.IsZero():
		ps.add(PathAPIToken, RuleRequired, "is required")
	case !e.APIToken.IsSealed() && !isVisibleASCII(e.APIToken.raw):
		ps.add(PathAPIToken, RulePattern, "must be printable ASCII without spaces")
	default:
		checkSecret(ps, PathAPIToken, e.APIToken, 0)
	}
}

func (a *App) validate(ps *problems) {
	switch {
	case a.Name == "":
		ps.add("app.name", RuleRequired, "is required")
	case !isAppName(a.Name):
		ps.add("app.name", RulePattern, "must be lowercase a-z, 0-9 and underscores")
	}
	if utf8.RuneCountInString(a.Label) > MaxAppLabelLen {
		ps.add("app.label", RuleLength, lengthMsg(0, MaxAppLabelLen))
	}
	if a.SignOnMode != "" && a.SignOnMode != SignOnModeSAML2 {
		ps.add("app.signOnMode", RuleEnum, "must be "+SignOnModeSAML2+" when set")
	}
	if a.Settings.App == nil {
		ps.add("app.settings.app", RuleRequired, "is required (an object of the app's settings)")
	}
	for _, path := range unusableNumbers("app.settings.app", a.Settings.App) {
		ps.add(path, RuleType, "must be a number Okta can read (a finite double)")
	}
}

// unusableNumbers lists the paths of numbers under v that no JSON parser
// Okta might use can hold, such as 1e999999: they would fail at Okta only
// after the org was created.
func unusableNumbers(prefix string, v any) []string {
	var out []string
	switch x := v.(type) {
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err != nil || math.IsInf(f, 0) {
			out = append(out, prefix)
		}
	case map[string]any:
		for k, e := range x {
			out = append(out, unusableNumbers(prefix+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, unusableNumbers(fmt.Sprintf("%s[%d]", prefix, i), e)...)
		}
	}
	return out
}

// checkText reports a missing or wrongly sized text and returns true when
// it is fine.
func checkText(ps *problems, field, v string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0 && minLen > 0:
		ps.add(field, RuleRequired, "is required")
	case n < minLen || n > maxLen:
		ps.add(field, RuleLength, lengthMsg(minLen, maxLen))
	default:
		return true
	}
	return false
}

// checkSecret checks a sealed secret's syntax, or a plain one's length
// (maxLen 0: no limit).
func checkSecret(ps *problems, field string, v Secret, maxLen int) {
	if v.IsSealed() {
		if _, _, ok := splitSealed(v.raw); !ok {
			ps.add(field, RuleSealedFormat, "starts like a sealed secret but is malformed")
		}
		return
	}
	if maxLen > 0 && utf8.RuneCountInString(v.raw) > maxLen {
		ps.add(field, RuleLength, lengthMsg(0, maxLen))
	}
}

func lengthMsg(minLen, maxLen int) string {
	if minLen == 0 {
		return fmt.Sprintf("must be at most %d characters", maxLen)
	}
	return fmt.Sprintf("must be %d to %d characters", minLen, maxLen)
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > maxDNSLabelLength || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isHostname accepts a DNS name of two or more labels, letters of either
// case, whose last label is not all digits (so no IP address).
func isHostname(s string) bool {
	if len(s) > MaxHostnameLen {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !isDNSLabel(strings.ToLower(l)) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

func isAppName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// isBMP reports whether s is valid UTF-8 with no rune of 4 bytes.
func isBMP(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if utf8.RuneLen(r) > 3 {
			return false
		}
	}
	return true
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

func isBareEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}
