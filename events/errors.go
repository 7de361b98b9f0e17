package events

import (
	"errors"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is; the returned
// errors wrap them with the operation and, where useful, a key id or a
// limit. No error of this package ever holds a secret value.
var (
	// ErrTooLarge means an input was refused, unparsed, for its size.
	ErrTooLarge = errors.New("input too large")

	// ErrPlainSecret is returned (wrapped in *json.MarshalerError) when a
	// plain-text Secret is marshaled: seal it first.
	ErrPlainSecret = errors.New("refusing to marshal a plain-text secret; seal it first")
	// ErrPlainNotAllowed means a Keyring that does not accept plain text
	// was asked to open a plain-text Secret.
	ErrPlainNotAllowed = errors.New("plain-text secret not allowed")
	// ErrUnknownKey means a sealed value names a key id the keyring lacks.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrSealBroken means a sealed value is malformed or fails
	// authentication (tampered, truncated, or sealed with another key
	// under the same id).
	ErrSealBroken = errors.New("sealed value broken")
	// ErrBadKeyring means a keyring specification or key is unusable.
	ErrBadKeyring = errors.New("bad keyring")

	// ErrUnknownEventType means ValidateEvent found no schema for the
	// event's "type".
	ErrUnknownEventType = errors.New("unknown event type")

	// ErrNotMetadata means the XML is not SAML metadata with an IdP
	// descriptor.
	ErrNotMetadata = errors.New("not SAML IdP metadata")
	// ErrNoSigningCertificate means the IdP descriptor lists no signing
	// certificate.
	ErrNoSigningCertificate = errors.New("no signing certificate in metadata")
	// ErrNoSSOEndpoint means the IdP descriptor lists no usable
	// SingleSignOnService.
	ErrNoSSOEndpoint = errors.New("no single sign-on endpoint in metadata")
	// ErrBadCertificate means a signing certificate is not base64 DER
	// X.509.
	ErrBadCertificate = errors.New("bad certificate in metadata")
)

// Validation rules, the Problem.Rule vocabulary.
const (
	RuleRequired     = "required"      // missing or empty
	RuleForbidden    = "forbidden"     // must be absent in this case
	RuleEnum         = "enum"          // not one of the allowed values
	RuleLength       = "length"        // too short or too long
	RuleDNSLabel     = "dns_label"     // not a lowercase DNS label
	RuleNo4ByteUTF8  = "no_4byte_utf8" // holds emoji or other 4-byte runes
	RuleURL          = "url"           // not an absolute http(s) URL
	RuleEmail        = "email"         // not a bare e-mail address
	RuleHostname     = "hostname"      // not a host name
	RulePattern      = "pattern"       // characters outside the allowed set
	RuleIDFormat     = "id_format"     // event id unusable as Nats-Msg-Id
	RuleSealedFormat = "sealed_format" // starts like a sealed secret but is not one
	RuleType         = "type"          // wrong JSON type
	RuleSyntax       = "syntax"        // not well-formed JSON
	RuleSchema       = "schema"        // a JSON Schema keyword failed
)

// Problem is one broken rule. It never holds the offending value.
type Problem struct {
	// Field is a dotted JSON path. From DecodeSignup and Validate, signup
	// fields are relative to the event's data ("org.admin.profile.email")
	// and envelope attributes are bare ("id", "source"); from
	// ValidateEvent, paths start at the envelope ("data.org.subdomain").
	// Empty when the whole input is at fault.
	Field string
	// Rule is one of the Rule constants.
	Rule string
	// Message says what is expected, in words.
	Message string
}

// ValidationError lists every problem found in one input. Use errors.As to
// reach it.
type ValidationError struct {
	// Undecodable is true when the input could not be decoded into the
	// event types at all (report CodeUndecodable), false when it decoded
	// but breaks rules (report CodeValidation).
	Undecodable bool
	Problems    []Problem
}

// Error lists every problem. It holds field names and rules, no values.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Undecodable {
		b.WriteString("undecodable event: ")
	} else {
		b.WriteString("invalid event: ")
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
		b.WriteString(" (")
		b.WriteString(p.Rule)
		b.WriteString(")")
	}
	return b.String()
}

// Code returns the local error code to report: CodeUndecodable or
// CodeValidation.
func (e *ValidationError) Code() string {
	if e.Undecodable {
		return CodeUndecodable
	}
	return CodeValidation
}

// Causes turns the problems into errorCauses for a FailureError.
func (e *ValidationError) Causes() []Cause {
	causes := make([]Cause, 0, len(e.Problems))
	for _, p := range e.Problems {
		summary := p.Message
		if p.Field != "" {
			summary = p.Field + ": " + p.Message
		}
		causes = append(causes, Cause{ErrorSummary: summary, Field: p.Field, Rule: p.Rule})
	}
	return causes
}

// LocalFailure maps an error from DecodeSignup or Validate to the
// FailureError a ProvisioningFailed event carries. It returns false for
// errors this package did not produce.
func LocalFailure(err error) (FailureError, bool) {
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		return FailureError{
			Source:       SourceLocal,
			ErrorCode:    ve.Code(),
			ErrorSummary: summaryFor(ve),
			ErrorCauses:  ve.Causes(),
		}, true
	case errors.Is(err, ErrTooLarge):
		return FailureError{
			Source:       SourceLocal,
			ErrorCode:    CodeTooLarge,
			ErrorSummary: "Event too large",
			ErrorCauses:  []Cause{},
		}, true
	}
	return FailureError{}, false
}

func summaryFor(ve *ValidationError) string {
	if ve.Undecodable {
		return "Event could not be decoded"
	}
	return "Signup validation failed"
}

// problems collects Problems during validation.
type problems []Problem

func (ps *problems) add(field, rule, msg string) {
	*ps = append(*ps, Problem{Field: field, Rule: rule, Message: msg})
}

// err returns nil for no problems, or a *ValidationError.
func (ps problems) err(undecodable bool) error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Undecodable: undecodable, Problems: ps}
}
