package oktatest

import (
	"strings"
	"unicode"
)

// Seed messages of the org-creation validation.
const (
	msgBlank        = "The field cannot be left blank"
	msgPasswordBase = "Password requirements were not met. Your password must have " +
		"at least 8 characters, a lowercase letter, an uppercase letter, a number, "
	msgBothOrNone = "Fields must both be empty, or both non-empty"
)

// passwordMessage is the policy text of the admin.password cause.
func passwordMessage(requireSymbol bool) string {
	if requireSymbol {
		return msgPasswordBase + "a symbol, no parts of your username."
	}
	return msgPasswordBase + "no parts of your username."
}

// passwordOK checks pw against the seed's policy: at least 8 characters,
// a lower-case letter, an upper-case letter, a digit, optionally a symbol,
// and no part of the username (see usernameParts).
func passwordOK(pw string, requireSymbol bool, login, email string) bool {
	var lower, upper, digit, symbol bool
	n := 0
	for _, r := range pw {
		n++
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsSpace(r):
			symbol = true
		}
	}
	if n < 8 || !lower || !upper || !digit || (requireSymbol && !symbol) {
		return false
	}
	lpw := strings.ToLower(pw)
	for _, part := range usernameParts(login, email) {
		if strings.Contains(lpw, part) {
			return false
		}
	}
	return true
}

// usernameParts are the lower-cased pieces of the username a password may
// not contain: the local part (before "@") of the login and of the email,
// and the pieces of each split on ". _ - +", each only when it has at
// least 3 characters.
func usernameParts(login, email string) []string {
	var parts []string
	add := func(p string) {
		if len([]rune(p)) >= 3 {
			parts = append(parts, p)
		}
	}
	for _, name := range []string{login, email} {
		local, _, _ := strings.Cut(strings.ToLower(name), "@")
		add(local)
		for _, p := range strings.FieldsFunc(local, func(r rune) bool {
			return strings.ContainsRune("._-+", r)
		}) {
			add(p)
		}
	}
	return parts
}

// recoveryQuestionError checks a recovery question pair. Both blank (or
// absent) is fine and so are both set. A blank question with an answer
// fails as admin.customSecurityQuestion "cannot be left blank"; a question
// with a blank answer fails as admin.securityQuestion "both empty or both
// non-empty". Whitespace-only counts as blank.
func recoveryQuestionError(question, answer string) *fieldError {
	q, a := strings.TrimSpace(question) != "", strings.TrimSpace(answer) != ""
	switch {
	case !q && a:
		return &fieldError{field: "admin.customSecurityQuestion", msg: msgBlank}
	case q && !a:
		return &fieldError{field: "admin.securityQuestion", msg: msgBothOrNone}
	}
	return nil
}
