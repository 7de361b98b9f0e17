package events

import (
	"encoding/json"
	"time"
)

// Steps of the provisioning flow, as named in journals and failures.
const (
	StepValidate      = "validate"
	StepCheckToken    = "check_token"
	StepCreateOrg     = "create_org"
	StepCreateApp     = "create_app"
	StepFetchMetadata = "fetch_metadata"
	StepPublish       = "publish"
)

// Error sources: who rejected the signup.
const (
	SourceOkta  = "okta"
	SourceLocal = "local"
)

// Local error codes, used when the worker itself decided a failure.
const (
	CodeValidation        = "LOCAL_VALIDATION"
	CodeUndecodable       = "LOCAL_UNDECODABLE"
	CodeTooLarge          = "LOCAL_TOO_LARGE"
	CodeHostNotAllowed    = "LOCAL_HOST_NOT_ALLOWED"
	CodeSecretUnreadable  = "LOCAL_SECRET_UNREADABLE"
	CodeBadOktaResponse   = "LOCAL_BAD_OKTA_RESPONSE"
	CodeBadMetadata       = "LOCAL_BAD_METADATA"
	CodeOrgUnconfirmed    = "LOCAL_ORG_CREATE_UNCONFIRMED"
	CodeRetriesExhausted  = "LOCAL_RETRIES_EXHAUSTED"
	CodeDeliveriesExhaust = "LOCAL_DELIVERIES_EXHAUSTED"
)

// TenantProvisioned is the data of a successful result.
type TenantProvisioned struct {
	SignupID string       `json:"signupId"`
	Tenant   string       `json:"tenant"`
	Org      OrgRef       `json:"org"`
	App      AppRef       `json:"app"`
	Metadata SAMLMetadata `json:"metadata"`
}

// OrgRef identifies the customer's Okta org.
type OrgRef struct {
	// ID is Okta's org id; empty for an existing tenant (Okta does not
	// return it to a customer token).
	ID        string `json:"id,omitempty"`
	Subdomain string `json:"subdomain"`
	// URL is the org's base URL, such as "https://mycompany.okta.com".
	URL string `json:"url"`
	// Environment is "production" or "preview".
	Environment string `json:"environment"`
}

// AppRef identifies the SAML app instance.
type AppRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

// SAMLMetadata is the app's IdP metadata, raw and parsed.
type SAMLMetadata struct {
	XML                     string        `json:"xml"`
	EntityID                string        `json:"entityId"`
	WantAuthnRequestsSigned bool          `json:"wantAuthnRequestsSigned"`
	SSO                     []SSOEndpoint `json:"sso"`
	Certificates            []Certificate `json:"certificates"`
	NameIDFormats           []string      `json:"nameIdFormats"`
}

// SSOEndpoint is one SingleSignOnService.
type SSOEndpoint struct {
	Binding  string `json:"binding"`
	Location string `json:"location"`
}

// Certificate is one signing certificate from the metadata.
type Certificate struct {
	// DER is the certificate, base64 (standard encoding, no line breaks).
	DER               string    `json:"der"`
	SHA256Fingerprint string    `json:"sha256Fingerprint"`
	Subject           string    `json:"subject"`
	NotBefore         time.Time `json:"notBefore"`
	NotAfter          time.Time `json:"notAfter"`
}

// ProvisioningFailed is the data of a failed result.
type ProvisioningFailed struct {
	SignupID string `json:"signupId"`
	Tenant   string `json:"tenant,omitempty"`
	// Step is the step that failed (see the Step constants).
	Step  string       `json:"step"`
	Error FailureError `json:"error"`
	// Attempts is how many times the failing step was tried.
	Attempts int `json:"attempts"`
	// Replayable says whether replaying the signup could succeed (the
	// failure was transient, or an operator can fix its cause).
	Replayable bool `json:"replayable"`
}

// FailureError says why a signup failed. For Source "okta" the fields carry
// Okta's own error body and HTTP status; for Source "local" ErrorCode is one
// of the LOCAL_ codes and HTTPStatus is zero.
type FailureError struct {
	Source       string  `json:"source"`
	ErrorCode    string  `json:"errorCode"`
	ErrorSummary string  `json:"errorSummary"`
	ErrorCauses  []Cause `json:"errorCauses"`
	ErrorID      string  `json:"errorId,omitempty"`
	HTTPStatus   int     `json:"httpStatus,omitempty"`
	// RequestID is Okta's X-Okta-Request-Id, for Okta support.
	RequestID string `json:"requestId,omitempty"`
}

// Cause is one entry of errorCauses. Field is set for local validation
// problems and names the offending field.
type Cause struct {
	ErrorSummary string `json:"errorSummary"`
	Field        string `json:"field,omitempty"`
	Rule         string `json:"rule,omitempty"`
}

// DeadLetter is the data of a signup.dead event: a signup the worker gave up
// on, with why, and the original event (secrets sealed) for replay.
type DeadLetter struct {
	SignupID string `json:"signupId"`
	// Reason is a short machine-readable reason, e.g. "retries_exhausted",
	// "max_deliveries", "undecodable".
	Reason    string        `json:"reason"`
	Step      string        `json:"step,omitempty"`
	Attempts  int           `json:"attempts"`
	LastError *FailureError `json:"lastError,omitempty"`
	// OriginalSubject and StreamSeq locate the original message.
	OriginalSubject string `json:"originalSubject"`
	StreamSeq       uint64 `json:"streamSeq,omitempty"`
	// Original is the original CloudEvent with every secret sealed; empty
	// when the original could not be decoded (then only its size and
	// SHA-256 are kept, since its bytes may hold plain-text secrets).
	Original       json.RawMessage `json:"original,omitempty"`
	OriginalSize   int             `json:"originalSize"`
	OriginalSHA256 string          `json:"originalSha256"`
	DeadAt         time.Time       `json:"deadAt"`
}
