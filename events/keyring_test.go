package events

import (
	"bytes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestParseKeyring(t *testing.T) {
	k32 := key(7)
	std := base64.StdEncoding.EncodeToString(k32)
	url := base64.RawURLEncoding.EncodeToString(key(0xfb))
	short := base64.StdEncoding.EncodeToString(k32[:16])
	tests := []struct {
		name    string
		spec    string
		wantErr string // substring of the error; "" for success
		primary string
	}{
		{"one key", "k1:" + std, "", "k1"},
		{"two keys, first is primary", "new:" + url + ", old:" + std, "", "new"},
		{"url base64 unpadded", "k1:" + url, "", "k1"},
		{"empty", "  ", "empty specification", ""},
		{"no colon", std, "entry 1: want key-id:base64-key", ""},
		{"bad kid", "k 1:" + std, "entry 1: key id must be", ""},
		{"not base64", "k1:" + std + ",k2:***", `entry 2: key id "k2": key is not base64`, ""},
		{"short key", "k1:" + short, `key id "k1": key must be 32 bytes, got 16`, ""},
		{"duplicate", "k1:" + std + ",k1:" + url, `entry 2: key id "k1" listed twice`, ""},
		{"empty entry", "k1:" + std + ",", "entry 2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeyring(tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseKeyring: %v", err)
				}
				if got := k.Primary(); got != tt.primary {
					t.Errorf("Primary() = %q, want %q", got, tt.primary)
				}
				return
			}
			if !errors.Is(err, ErrBadKeyring) {
				t.Fatalf("err = %v, want ErrBadKeyring", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			for _, material := range []string{std, url, short, std[:20]} {
				if strings.Contains(err.Error(), material) {
					t.Errorf("error echoes key material: %q", err)
				}
			}
		})
	}
}

func TestNewKeyring(t *testing.T) {
	k, err := NewKeyring("b", map[string][]byte{"a": key(1), "b": key(2), "c": key(3)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(k.KeyIDs(), ","), "b,a,c"; got != want {
		t.Errorf("KeyIDs = %q, want %q", got, want)
	}
	if _, err := NewKeyring("x", map[string][]byte{"a": key(1)}); !errors.Is(err, ErrBadKeyring) {
		t.Errorf("missing primary: err = %v, want ErrBadKeyring", err)
	}
	if _, err := NewKeyring("a", map[string][]byte{"a": key(1)[:31]}); !errors.Is(err, ErrBadKeyring) {
		t.Errorf("short key: err = %v, want ErrBadKeyring", err)
	}
	if _, err := GenerateKeyringSpec("bad:kid"); !errors.Is(err, ErrBadKeyring) {
		t.Errorf("GenerateKeyringSpec(bad): err = %v, want ErrBadKeyring", err)
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	spec, err := GenerateKeyringSpec("dev")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	material := strings.TrimPrefix(spec, "dev:")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		got := sprintf(verb, k)
		if strings.Contains(got, material) || !strings.Contains(got, "dev") {
			t.Errorf("%s of keyring = %q", verb, got)
		}
	}
}

func TestSealOpen(t *testing.T) {
	k := testKeyring(t, "k1")
	s1, err := k.Seal(canaryPassword)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := k.Seal(canaryPassword)
	if s1 == s2 {
		t.Errorf("two seals of one value are equal; the nonce is not random")
	}
	if !strings.HasPrefix(s1.raw, "enc:v1:k1:") {
		t.Errorf("sealed form = %q", s1.raw[:10])
	}
	got, err := k.Open(s1)
	if err != nil || got != canaryPassword {
		t.Errorf("Open = %v, want the plain text", err)
	}
	if empty, err := k.Seal(""); err != nil || !empty.IsZero() {
		t.Errorf("Seal(\"\") = non-empty or %v", err)
	}
	if got, err := k.Open(Secret{}); err != nil || got != "" {
		t.Errorf("Open(zero) = %q, %v", got, err)
	}
}

func TestOpenPlain(t *testing.T) {
	k := testKeyring(t, "k1")
	_, err := k.Open(PlainSecret(canaryToken))
	if !errors.Is(err, ErrPlainNotAllowed) {
		t.Fatalf("Open(plain) err = %v, want ErrPlainNotAllowed", err)
	}
	assertNoCanary(t, "Open error", err.Error())
	got, err := k.AllowPlain().Open(PlainSecret(canaryToken))
	if err != nil || got != canaryToken {
		t.Errorf("AllowPlain().Open = %v", err)
	}
	if _, err := k.Open(PlainSecret("x")); !errors.Is(err, ErrPlainNotAllowed) {
		t.Errorf("AllowPlain changed the original keyring")
	}
}

func TestKeyRotation(t *testing.T) {
	oldSpec, _ := GenerateKeyringSpec("2024")
	newSpec, _ := GenerateKeyringSpec("2025")
	before, err := ParseKeyring(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	sealedOld, _ := before.Seal(canaryToken)
	blobOld, _ := before.SealBytes([]byte(canaryToken), []byte("row-1"))

	after, err := ParseKeyring(newSpec + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open(sealedOld); err != nil || got != canaryToken {
		t.Errorf("open old secret after rotation: %v", err)
	}
	if got, err := after.OpenBytes(blobOld, []byte("row-1")); err != nil || string(got) != canaryToken {
		t.Errorf("open old bytes after rotation: %v", err)
	}
	sealedNew, _ := after.Seal(canaryToken)
	if kid, _ := sealedNew.KeyID(); kid != "2025" {
		t.Errorf("after rotation seals with %q, want 2025", kid)
	}

	newOnly, _ := ParseKeyring(newSpec)
	_, err = newOnly.Open(sealedOld)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"2024"`) {
		t.Errorf("old key dropped: err = %v, want ErrUnknownKey naming 2024", err)
	}
	if _, err := newOnly.OpenBytes(blobOld, []byte("row-1")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old key dropped (bytes): err = %v, want ErrUnknownKey", err)
	}
}

func TestTamperDetection(t *testing.T) {
	k := testKeyring(t, "k1")
	other := testKeyring(t, "k1") // same id, different key
	sealed, _ := k.Seal(canaryAnswer)
	raw := sealed.raw
	payload := raw[len("enc:v1:k1:"):]
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	k2 := testKeyring(t, "k2")
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"flipped payload", "enc:v1:k1:" + flip(payload, len(payload)/2), ErrSealBroken},
		{"flipped nonce", "enc:v1:k1:" + flip(payload, 1), ErrSealBroken},
		{"truncated", "enc:v1:k1:" + payload[:20], ErrSealBroken},
		{"not base64", "enc:v1:k1:" + payload[:20] + "*", ErrSealBroken},
		{"no payload", "enc:v1:k1:", ErrSealBroken},
		{"no kid", "enc:v1::" + payload, ErrSealBroken},
		{"unknown kid", "enc:v1:zz:" + payload, ErrUnknownKey},
		{"kid swapped", "enc:v1:k2:" + payload, ErrSealBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := k
			if tt.name == "kid swapped" {
				kr = mergeKeyrings(t, k, k2)
			}
			_, err := kr.Open(Secret{raw: tt.s})
			if !errors.Is(err, tt.want) {
				t.Errorf("Open err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := other.Open(sealed); !errors.Is(err, ErrSealBroken) {
		t.Errorf("open with another key of the same id: err = %v, want ErrSealBroken", err)
	}
}

// mergeKeyrings returns a keyring holding the keys of a and b.
func mergeKeyrings(tb testing.TB, a, b *Keyring) *Keyring {
	tb.Helper()
	m := &Keyring{primary: a.primary, aeads: map[string]cipher.AEAD{}}
	for kid, v := range a.aeads {
		m.aeads[kid] = v
		m.order = append(m.order, kid)
	}
	for kid, v := range b.aeads {
		m.aeads[kid] = v
		m.order = append(m.order, kid)
	}
	return m
}

func TestSealBytes(t *testing.T) {
	k := testKeyring(t, "store")
	blob, err := k.SealBytes([]byte(canaryToken), []byte("signup-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte(canaryToken)) {
		t.Fatal("sealed bytes hold the plain text")
	}
	got, err := k.OpenBytes(blob, []byte("signup-1"))
	if err != nil || string(got) != canaryToken {
		t.Fatalf("OpenBytes = %v", err)
	}
	if _, err := k.OpenBytes(blob, []byte("signup-2")); !errors.Is(err, ErrSealBroken) {
		t.Errorf("other associated data: err = %v, want ErrSealBroken", err)
	}
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x01
		if _, err := k.OpenBytes(bad, []byte("signup-1")); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0}, blob[:len(blob)-1][:10]} {
		if _, err := k.OpenBytes(bad, nil); !errors.Is(err, ErrSealBroken) {
			t.Errorf("OpenBytes(%x) err = %v, want ErrSealBroken", bad, err)
		}
	}
}
