package events

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
