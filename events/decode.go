package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"
	"time"
)

// DefaultMaxEventBytes is the size limit DecodeSignup applies when given
// no limit.
const DefaultMaxEventBytes = 64 << 10

// MaxIDLength bounds an event id, which doubles as the Nats-Msg-Id.
const MaxIDLength = 128

// RuleTimestamp marks a "time" that is not an RFC 3339 timestamp.
const RuleTimestamp = "timestamp"

// wireEnvelope decodes an envelope keeping absent and wrongly typed
// attributes apart.
type wireEnvelope struct {
	SpecVersion     *string         `json:"specversion"`
	ID              *string         `json:"id"`
	Source          *string         `json:"source"`
	Type            *string         `json:"type"`
	Subject         *string         `json:"subject"`
	Time            *string         `json:"time"`
	DataContentType *string         `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// DecodeSignup decodes a signup.requested CloudEvent.
//
// Input over maxBytes (DefaultMaxEventBytes when maxBytes <= 0) is refused
// unparsed with an error wrapping ErrTooLarge. Otherwise every failure is
// a *ValidationError with Undecodable set:
//
//   - the envelope is not a JSON object, an attribute has the wrong JSON
//     type, or Event.Validate fails: (nil, nil, err);
//   - "type" is not TypeSignupRequested, "data" is missing, is not an
//     object, or does not decode into Signup: (ev, nil, err), so that the
//     caller can still report the failure against ev.ID.
//
// Unknown fields are accepted, so producers can evolve. The returned
// event's DataContentType is always ContentTypeJSON (an absent one, or one
// with parameters or in another case, is normalized). The returned event's Data is
// nil: the raw data may hold plain-text secrets, and it lives on only as
// the returned Signup, whose Secrets never print. Use MarshalSealed to
// turn the pair back into JSON.
//
// DecodeSignup checks form only; call (*Signup).Validate for the rules.
func DecodeSignup(raw []byte, maxBytes int) (*Event, *Signup, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxEventBytes
	}
	if len(raw) > maxBytes {
		return nil, nil, fmt.Errorf("decode signup: %d bytes, limit %d: %w",
			len(raw), maxBytes, ErrTooLarge)
	}
	ev, data, err := decodeEnvelope(raw)
	if err != nil {
		return nil, nil, err
	}

	var ps problems
	if ev.Type != TypeSignupRequested {
		ps.add("type", RuleEnum, "must be "+TypeSignupRequested)
	}
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		ps.add("data", RuleRequired, "is required")
	} else if data[0] != '{' {
		ps.add("data", RuleType, "must be a JSON object")
	}
	if len(ps) > 0 {
		return ev, nil, ps.err(true)
	}

	s, err := decodeSignupData(data)
	if err != nil {
		return ev, nil, err
	}
	return ev, s, nil
}

// decodeEnvelope decodes and checks the envelope, returning the event
// (with nil Data) and the trimmed raw data.
func decodeEnvelope(raw []byte) (*Event, []byte, error) {
	var ps problems
	var w wireEnvelope
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		ps.add("", RuleType, "event must be a JSON object")
		return nil, nil, ps.err(true)
	}
	if err := json.Unmarshal(trimmed, &w); err != nil {
		ps = append(ps, decodeProblem(err, ""))
		return nil, nil, ps.err(true)
	}

	ev := &Event{
		SpecVersion:     deref(w.SpecVersion),
		ID:              deref(w.ID),
		Source:          deref(w.Source),
		Type:            deref(w.Type),
		Subject:         deref(w.Subject),
		DataContentType: deref(w.DataContentType),
	}
	if w.Time != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.Time)
		if err != nil {
			ps.add("time", RuleTimestamp, "must be an RFC 3339 timestamp")
		}
		ev.Time = t
	}
	ev.validateAttributes(&ps)
	if len(ps) > 0 {
		return nil, nil, ps.err(true)
	}
	ev.DataContentType = ContentTypeJSON // normalized: absent, or parameters
	return ev, bytes.TrimSpace(w.Data), nil
}

// Validate checks the envelope's context attributes: specversion "1.0";
// id present, at most MaxIDLength bytes of printable ASCII without spaces
// (it is sent as the Nats-Msg-Id header); source and type present;
// datacontenttype absent or application/json. It does not look at Data.
// Failures are a *ValidationError.
func (e *Event) Validate() error {
	var ps problems
	e.validateAttributes(&ps)
	return ps.err(false)
}

func (e *Event) validateAttributes(ps *problems) {
	switch e.SpecVersion {
	case "":
		ps.add("specversion", RuleRequired, "is required")
	case SpecVersion:
	default:
		ps.add("specversion", RuleEnum, `must be "1.0"`)
	}

	switch {
	case e.ID == "":
		ps.add("id", RuleRequired, "is required")
	case len(e.ID) > MaxIDLength:
		ps.add("id", RuleLength, fmt.Sprintf("must be at most %d bytes", MaxIDLength))
	case !isVisibleASCII(e.ID):
		ps.add("id", RuleIDFormat, "must be printable ASCII without spaces")
	}

	if e.Source == "" {
		ps.add("source", RuleRequired, "is required")
	}
	if e.Type == "" {
		ps.add("type", RuleRequired, "is required")
	}
	if e.DataContentType != "" {
		mt, _, err := mime.ParseMediaType(e.DataContentType)
		if err != nil || mt != ContentTypeJSON {
			ps.add("datacontenttype", RuleEnum, "must be "+ContentTypeJSON)
		}
	}
}

func isVisibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// decodeSignupData decodes the data object, numbers kept as json.Number.
func decodeSignupData(data []byte) (*Signup, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Signup
	err := dec.Decode(&s)
	if err == nil && dec.More() {
		err = &json.SyntaxError{Offset: dec.InputOffset()}
	}
	if err == nil {
		return &s, nil
	}

	var ps problems
	if errors.Is(err, errSecretNotString) {
		ps = secretTypeProblems(data)
	}
	if len(ps) == 0 {
		ps = append(ps, decodeProblem(err, ""))
	}
	return nil, ps.err(true)
}

// decodeProblem describes a JSON decoding error without quoting input.
func decodeProblem(err error, prefix string) Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return Problem{
			Field:   joinPath(prefix, te.Field),
			Rule:    RuleType,
			Message: "must be a JSON " + jsonKind(te.Type),
		}
	case errors.As(err, &se):
		return Problem{Rule: RuleSyntax,
			Message: fmt.Sprintf("not well-formed JSON near byte %d", se.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Problem{Rule: RuleSyntax, Message: "JSON ends too early"}
	case errors.Is(err, errSecretNotString):
		return Problem{Field: prefix, Rule: RuleType, Message: "a secret must be a JSON string"}
	}
	return Problem{Field: prefix, Rule: RuleSyntax, Message: "not decodable JSON"}
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	if t == reflect.TypeFor[Secret]() {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "value"
}

// secretTypeProblems finds which secret fields of data hold something
// other than a string or null. The decoder's own error cannot say, since
// Secret.UnmarshalJSON does not know its path. Keys match the way
// encoding/json matches them: exactly, else case-insensitively.
func secretTypeProblems(data []byte) problems {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if dec.Decode(&root) != nil {
		return nil
	}
	var ps problems
	for _, path := range []string{PathAdminPassword, PathRecoveryAnswer, PathAPIToken} {
		v, ok := lookupPath(root, strings.Split(path, "."))
		if !ok || v == nil {
			continue
		}
		if _, isString := v.(string); !isString {
			ps.add(path, RuleType, "must be a JSON string")
		}
	}
	return ps
}

func lookupPath(v any, keys []string) (any, bool) {
	for _, key := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = lookupFold(m, key)
		if !ok {
			return nil, false
		}
	}
	return v, true
}

func lookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
