package events

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Seal encrypts plain with the primary key and returns it as a sealed
// Secret: "enc:v1:<kid>:<base64url(nonce || ciphertext)>", unpadded. The
// associated data is "enc:v1:<kid>:", so a value moved under another key
// id does not open. An empty plain text stays the empty Secret.
func (k *Keyring) Seal(plain string) (Secret, error) {
	if plain == "" {
		return Secret{}, nil
	}
	nonce, err := randomNonce()
	if err != nil {
		return Secret{}, fmt.Errorf("seal secret: %w", err)
	}
	prefix := SealedPrefix + k.primary + ":"
	out := k.aeads[k.primary].Seal(nonce, nonce, []byte(plain), []byte(prefix))
	return Secret{raw: prefix + base64.RawURLEncoding.EncodeToString(out)}, nil
}

// Open returns the plain text of s. The empty Secret opens to "". A
// plain-text Secret is returned as is only by a keyring made with
// AllowPlain; otherwise Open returns ErrPlainNotAllowed. A sealed Secret
// fails with ErrUnknownKey (naming the key id) or ErrSealBroken.
func (k *Keyring) Open(s Secret) (string, error) {
	if s.raw == "" {
		return "", nil
	}
	if !s.IsSealed() {
		if k.allowPlain {
			return s.raw, nil
		}
		return "", fmt.Errorf("open secret: %w", ErrPlainNotAllowed)
	}
	kid, payload, ok := splitSealed(s.raw)
	if !ok {
		return "", fmt.Errorf("open secret: malformed: %w", ErrSealBroken)
	}
	aead, ok := k.aeads[kid]
	if !ok {
		return "", fmt.Errorf("open secret: key id %q: %w", kid, ErrUnknownKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil || len(raw) < nonceSize+tagSize {
		return "", fmt.Errorf("open secret: malformed: %w", ErrSealBroken)
	}
	prefix := SealedPrefix + kid + ":"
	plain, err := aead.Open(nil, raw[:nonceSize], raw[nonceSize:], []byte(prefix))
	if err != nil {
		return "", fmt.Errorf("open secret: key id %q: %w", kid, ErrSealBroken)
	}
	return string(plain), nil
}

// splitSealed splits a sealed wire value into its key id and payload and
// checks their syntax, without decrypting.
func splitSealed(raw string) (kid, payload string, ok bool) {
	if !strings.HasPrefix(raw, SealedPrefix) {
		return "", "", false
	}
	kid, payload, ok = strings.Cut(raw[len(SealedPrefix):], ":")
	if !ok || !validKeyID(kid) || payload == "" {
		return "", "", false
	}
	body := strings.TrimRight(payload, "=")
	if len(payload)-len(body) > 2 || body == "" {
		return "", "", false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_'
		if !ok {
			return "", "", false
		}
	}
	return kid, payload, true
}

// SealBytes encrypts plain for storage at rest with the primary key. The
// result is binary: a version byte (1), the key id's length and the key
// id, the 12-byte nonce, then the ciphertext and tag. The header and
// associatedData (such as a row's key) are bound as associated data, so
// the value opens only with the same associatedData.
func (k *Keyring) SealBytes(plain, associatedData []byte) ([]byte, error) {
	nonce, err := randomNonce()
	if err != nil {
		return nil, fmt.Errorf("seal bytes: %w", err)
	}
	header := binHeader(k.primary)
	ad := append(header[:len(header):len(header)], associatedData...)
	out := make([]byte, 0, len(header)+nonceSize+len(plain)+tagSize)
	out = append(out, header...)
	out = append(out, nonce...)
	return k.aeads[k.primary].Seal(out, nonce, plain, ad), nil
}

// OpenBytes reverses SealBytes. It fails with ErrUnknownKey (naming the
// key id) or ErrSealBroken, also when associatedData differs.
func (k *Keyring) OpenBytes(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != binVersion {
		return nil, fmt.Errorf("open bytes: malformed: %w", ErrSealBroken)
	}
	n := int(sealed[1])
	if len(sealed) < 2+n+nonceSize+tagSize {
		return nil, fmt.Errorf("open bytes: malformed: %w", ErrSealBroken)
	}
	kid := string(sealed[2 : 2+n])
	if !validKeyID(kid) {
		return nil, fmt.Errorf("open bytes: malformed: %w", ErrSealBroken)
	}
	aead, ok := k.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("open bytes: key id %q: %w", kid, ErrUnknownKey)
	}
	header := sealed[:2+n]
	ad := append(header[:len(header):len(header)], associatedData...)
	rest := sealed[2+n:]
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("open bytes: key id %q: %w", kid, ErrSealBroken)
	}
	return plain, nil
}

func binHeader(kid string) []byte {
	h := make([]byte, 0, 2+len(kid))
	h = append(h, binVersion, byte(len(kid)))
	return append(h, kid...)
}
