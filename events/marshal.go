package events

import (
	"bytes"
	"encoding/json"
)

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
// always see arrays. The XML's angle brackets are left as they are, not
// escaped as \u003c: the document stays readable and a third smaller.
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
	var b bytes.Buffer
	b.Grow(len(m.XML) + 2048)
	if err := appendJSON(&b, plain(m)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendJSON appends v's JSON to b without escaping HTML characters.
func appendJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // the newline Encode adds
	return nil
}
