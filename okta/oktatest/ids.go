package oktatest

import (
	"crypto/rand"
	"encoding/binary"
)

const (
	alnum   = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	urlSafe = alnum + "-_"
)

// randString returns n characters drawn from alphabet with crypto/rand.
func randString(alphabet string, n int) string {
	buf := make([]byte, 8*n)
	if _, err := rand.Read(buf); err != nil {
		panic("oktatest: crypto/rand: " + err.Error())
	}
	out := make([]byte, n)
	for i := range out {
		v := binary.LittleEndian.Uint64(buf[8*i:])
		out[i] = alphabet[v%uint64(len(alphabet))]
	}
	return string(out)
}

// newID returns an Okta-style 20-character id with a 3-character prefix
// such as "00o" (org), "00u" (user), "0oa" (app) or "exk" (SAML key).
func newID(prefix string) string { return prefix + randString(alnum, 17) }

// newToken returns an API token shaped like Okta's SSWS tokens.
func newToken() string { return "00" + randString(urlSafe, 40) }

// newErrorID returns an errorId shaped like Okta's, e.g.
// "oaeqE8V21bkSfy50jiJPgF1Zg".
func newErrorID() string { return "oae" + randString(urlSafe, 22) }

// newRequestID returns an X-Okta-Request-Id value.
func newRequestID() string { return randString(urlSafe, 27) }

// newKid returns a signing key id shaped like Okta's base64url kids.
func newKid() string { return randString(urlSafe, 43) }
