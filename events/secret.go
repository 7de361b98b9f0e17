package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SealedPrefix starts every sealed secret's wire form:
// "enc:v1:<key id>:<base64url(nonce || AES-256-GCM ciphertext)>".
const SealedPrefix = "enc:v1:"

// Secret is a secret field of a signup (admin password, recovery answer,
// customer API token). On the wire it is a JSON string, either plain text
// or sealed (see SealedPrefix). It never prints its value: String, GoString
// and Format all show "[redacted]", and MarshalJSON refuses a plain-text
// value so that a secret cannot reach a dead letter or a log by accident.
type Secret struct {
	raw string
}

// PlainSecret returns a Secret holding plain text. Producers should Seal it
// before publishing.
func PlainSecret(s string) Secret { return Secret{raw: s} }

// IsZero reports whether the secret is empty (missing or "").
func (s Secret) IsZero() bool { return s.raw == "" }

// IsSealed reports whether the secret is in sealed form.
func (s Secret) IsSealed() bool {
	return len(s.raw) > len(SealedPrefix) && s.raw[:len(SealedPrefix)] == SealedPrefix
}

// String returns "[redacted]".
func (s Secret) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (s Secret) GoString() string { return "[redacted]" }

// errSecretNotString is what UnmarshalJSON returns for a non-string value.
var errSecretNotString = errors.New("secret must be a JSON string")

// Format implements fmt.Formatter: every verb prints "[redacted]".
func (s Secret) Format(f fmt.State, verb rune) {
	io.WriteString(f, "[redacted]")
}

// MarshalJSON writes a sealed secret in its sealed form and an empty one as
// "". A non-empty plain-text secret is refused with ErrPlainSecret.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.raw != "" && !s.IsSealed() {
		return nil, ErrPlainSecret
	}
	return json.Marshal(s.raw)
}

// UnmarshalJSON accepts a JSON string, plain text or sealed, and null (the
// zero Secret). Any other JSON type is an error that holds no value.
func (s *Secret) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = Secret{}
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		return errSecretNotString
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errSecretNotString
	}
	*s = Secret{raw: v}
	return nil
}

// KeyID returns the key id of a sealed secret, and false for plain text.
// Key ids are not secret.
func (s Secret) KeyID() (string, bool) {
	if !s.IsSealed() {
		return "", false
	}
	kid, _, ok := strings.Cut(s.raw[len(SealedPrefix):], ":")
	return kid, ok
}
