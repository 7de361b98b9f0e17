package events

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
)

// KeySize is the size of every key: AES-256.
const KeySize = 32

const (
	nonceSize  = 12
	tagSize    = 16
	maxKeyID   = 32
	binVersion = 1
)

// Keyring seals and opens secrets with AES-256-GCM. It holds one or more
// keys by id; the primary key seals, every key opens, so that keys rotate
// by listing the new key first and keeping the old ones after it until
// nothing sealed with them remains.
//
// Every sealed value carries its key id, bound to the ciphertext as
// associated data, and a random 12-byte nonce. A Keyring is safe for
// concurrent use and never prints its keys.
type Keyring struct {
	primary    string
	order      []string
	aeads      map[string]cipher.AEAD
	allowPlain bool
}

// ParseKeyring parses a keyring specification:
//
//	kid1:base64key1,kid2:base64key2
//
// The first entry is the primary. A key id is 1 to 32 of [A-Za-z0-9_.-];
// a key is 32 bytes in standard or URL-safe base64, padded or not. Errors
// wrap ErrBadKeyring and name the entry (by position, and by key id when
// the id is well formed); they never hold key material.
func ParseKeyring(spec string) (*Keyring, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("parse keyring: empty specification: %w", ErrBadKeyring)
	}
	var primary string
	keys := make(map[string][]byte)
	order := []string{}
	for i, entry := range strings.Split(spec, ",") {
		kid, key, err := parseKeyEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("parse keyring: entry %d: %w", i+1, err)
		}
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("parse keyring: entry %d: key id %q listed twice: %w",
				i+1, kid, ErrBadKeyring)
		}
		if primary == "" {
			primary = kid
		}
		keys[kid] = key
		order = append(order, kid)
	}
	k, err := newKeyring(primary, keys, order)
	if err != nil {
		return nil, fmt.Errorf("parse keyring: %w", err)
	}
	return k, nil
}

func parseKeyEntry(entry string) (string, []byte, error) {
	kid, enc, ok := strings.Cut(entry, ":")
	if !ok {
		return "", nil, fmt.Errorf("want key-id:base64-key: %w", ErrBadKeyring)
	}
	if !validKeyID(kid) {
		return "", nil, fmt.Errorf("key id must be 1 to %d of A-Z a-z 0-9 _ . -: %w",
			maxKeyID, ErrBadKeyring)
	}
	key, ok := decodeKey(strings.TrimSpace(enc))
	if !ok {
		return "", nil, fmt.Errorf("key id %q: key is not base64: %w", kid, ErrBadKeyring)
	}
	if len(key) != KeySize {
		return "", nil, fmt.Errorf("key id %q: key must be %d bytes, got %d: %w",
			kid, KeySize, len(key), ErrBadKeyring)
	}
	return kid, key, nil
}

func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// NewKeyring returns a keyring with the given keys, sealing with primary.
// Errors wrap ErrBadKeyring.
func NewKeyring(primary string, keys map[string][]byte) (*Keyring, error) {
	order := []string{primary}
	for kid := range keys {
		if kid != primary {
			order = append(order, kid)
		}
	}
	slices.Sort(order[1:])
	k, err := newKeyring(primary, keys, order)
	if err != nil {
		return nil, fmt.Errorf("new keyring: %w", err)
	}
	return k, nil
}

func newKeyring(primary string, keys map[string][]byte, order []string) (*Keyring, error) {
	if _, ok := keys[primary]; !ok {
		return nil, fmt.Errorf("primary key id %q has no key: %w", primary, ErrBadKeyring)
	}
	k := &Keyring{primary: primary, order: order, aeads: make(map[string]cipher.AEAD)}
	for kid, key := range keys {
		if !validKeyID(kid) {
			return nil, fmt.Errorf("key id must be 1 to %d of A-Z a-z 0-9 _ . -: %w",
				maxKeyID, ErrBadKeyring)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("key id %q: key must be %d bytes, got %d: %w",
				kid, KeySize, len(key), ErrBadKeyring)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("key id %q: %w", kid, ErrBadKeyring)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key id %q: %w", kid, ErrBadKeyring)
		}
		k.aeads[kid] = aead
	}
	return k, nil
}

// GenerateKeyringSpec returns a one-key specification for ParseKeyring
// with a fresh random key, for development and tests.
func GenerateKeyringSpec(kid string) (string, error) {
	if !validKeyID(kid) {
		return "", fmt.Errorf("generate keyring: key id must be 1 to %d of A-Z a-z 0-9 _ . -: %w",
			maxKeyID, ErrBadKeyring)
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return "", fmt.Errorf("generate keyring: %w", err)
	}
	return kid + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// AllowPlain returns a copy of k whose Open returns plain-text secrets as
// they are instead of refusing them with ErrPlainNotAllowed. Use it only
// where producers are trusted to publish unsealed signups (development).
func (k *Keyring) AllowPlain() *Keyring {
	c := *k
	c.allowPlain = true
	return &c
}

// Primary returns the id of the key that seals.
func (k *Keyring) Primary() string { return k.primary }

// KeyIDs returns every key id, the primary first.
func (k *Keyring) KeyIDs() []string { return slices.Clone(k.order) }

// String describes the keyring by its key ids only.
func (k *Keyring) String() string {
	if k == nil {
		return "keyring(nil)"
	}
	return fmt.Sprintf("keyring(primary=%s, keys=%s)", k.primary, strings.Join(k.order, ","))
}

// Format implements fmt.Formatter so that no verb can print key material.
func (k *Keyring) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }

func validKeyID(kid string) bool {
	if kid == "" || len(kid) > maxKeyID {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func randomNonce() ([]byte, error) {
	nonce := make([]byte, nonceSize, nonceSize+64)
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return nonce, nil
}
