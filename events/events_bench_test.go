package events

import (
	"os"
	"testing"
	"time"
)

// sealedSignup returns a new-tenant signup event as a producer publishes
// it, secrets sealed with k.
func sealedSignup(tb testing.TB, k *Keyring) []byte {
	tb.Helper()
	ev := &Event{SpecVersion: SpecVersion, ID: "signup-bench-0001", Source: "https://signup.acme.example/",
		Type: TypeSignupRequested, Time: time.Date(2025, 1, 15, 9, 30, 0, 0, time.UTC)}
	raw, err := MarshalSealed(ev, newSignup(), k)
	if err != nil {
		tb.Fatalf("MarshalSealed: %v", err)
	}
	return raw
}

// BenchmarkDecodeValidate is what the consumer does with every signup
// message before the worker sees it: decode, validate, open the secrets.
func BenchmarkDecodeValidate(b *testing.B) {
	k := testKeyring(b, "bench")
	raw := sealedSignup(b, k)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_, s, err := DecodeSignup(raw, DefaultMaxEventBytes)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			b.Fatal(err)
		}
		for _, sec := range s.Secrets() {
			if _, err := k.Open(sec); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDecodeSignup is the decoding alone.
func BenchmarkDecodeSignup(b *testing.B) {
	raw := sealedSignup(b, testKeyring(b, "bench"))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeSignup(raw, DefaultMaxEventBytes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSAMLMetadata parses Okta's IdP metadata of a new app.
func BenchmarkParseSAMLMetadata(b *testing.B) {
	raw, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSAMLMetadata(raw); err != nil {
			b.Fatal(err)
		}
	}
}
