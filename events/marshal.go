package events

import "encoding/json"

// MarshalJSON writes errorCauses as [] rather than null when there are
// none, as Okta does, so consumers always see an array.
func (f FailureError) MarshalJSON() ([]byte, error) {
	type plain FailureError
	if f.ErrorCauses == nil {
		f.ErrorCauses = []Cause{}
	}
	return json.Marshal(plain(f))
}

// MarshalJSON writes empty lists as [] rather than null, so consumers
// always see arrays.
func (m SAMLMetadata) MarshalJSON() ([]byte, error) {
	type plain SAMLMetadata
	if m.SSO == nil {
		m.SSO = []SSOEndpoint{}
	}
	if m.Certificates == nil {
		m.Certificates = []Certificate{}
	}
	if m.NameIDFormats == nil {
		m.NameIDFormats = []string{}
	}
	return json.Marshal(plain(m))
}
