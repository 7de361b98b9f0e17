// Package events defines the messages the provisioner consumes and emits:
// the CloudEvents envelope, the signup request, the two result events and
// the dead letter, their validation, their JSON Schemas and the subjects
// they travel on. It does no I/O.
package events

import (
	"bytes"
	"encoding/json"
	"time"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// ContentTypeJSON is the datacontenttype of every event's data.
const ContentTypeJSON = "application/json"

// Event types (the CloudEvents "type" attribute).
const (
	TypeSignupRequested    = "com.embedded-occ.signup.requested.v1"
	TypeTenantProvisioned  = "com.embedded-occ.tenant.provisioned.v1"
	TypeProvisioningFailed = "com.embedded-occ.tenant.provisioning_failed.v1"
	TypeSignupDead         = "com.embedded-occ.signup.dead.v1"
)

// Subjects names the NATS subjects the product uses. The zero value is not
// useful; start from DefaultSubjects.
type Subjects struct {
	// Signup is where signup requests arrive. Default "signup.requested".
	Signup string
	// Provisioned carries TenantProvisioned. Default "tenant.provisioned".
	Provisioned string
	// Failed carries ProvisioningFailed. Default "tenant.provisioning_failed".
	Failed string
	// Dead carries dead letters. Default "signup.dead".
	Dead string
}

// DefaultSubjects returns the documented default subjects.
func DefaultSubjects() Subjects {
	return Subjects{
		Signup:      "signup.requested",
		Provisioned: "tenant.provisioned",
		Failed:      "tenant.provisioning_failed",
		Dead:        "signup.dead",
	}
}

// Event is a CloudEvents 1.0 envelope in structured JSON mode. The ID is
// also sent as the Nats-Msg-Id header so JetStream drops duplicates.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// NewEvent wraps data in an envelope with the given id, source and type,
// stamped with t (UTC, truncated to milliseconds).
func NewEvent(id, source, typ string, t time.Time, data any) (*Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return &Event{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          source,
		Type:            typ,
		Time:            t.UTC().Truncate(time.Millisecond),
		DataContentType: ContentTypeJSON,
		Data:            raw,
	}, nil
}

// EncodeEvent is json.Marshal(NewEvent(id, source, typ, t, data)) done in
// one pass: data is encoded once, straight into the envelope, instead of
// being encoded, then checked and compacted again as a json.RawMessage.
// HTML characters are not escaped, so the XML of SAML metadata stays
// readable and about a third smaller. The result decodes to the same
// Event.
func EncodeEvent(id, source, typ string, t time.Time, data any) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(1024)
	put := func(prefix string, v any) error {
		b.WriteString(prefix)
		return appendJSON(&b, v)
	}
	for _, f := range [...]struct{ prefix, v string }{
		{`{"specversion":`, SpecVersion}, {`,"id":`, id}, {`,"source":`, source}, {`,"type":`, typ},
	} {
		if err := put(f.prefix, f.v); err != nil {
			return nil, err
		}
	}
	b.WriteString(`,"time":"`)
	b.Write(t.UTC().Truncate(time.Millisecond).AppendFormat(nil, time.RFC3339Nano))
	b.WriteString(`","datacontenttype":"` + ContentTypeJSON + `"`)
	if err := put(`,"data":`, data); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
