package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// Example is one bundled signup in examples/ and the result it should get
// against the development emulator.
type Example struct {
	File string
	// Want is "provisioned" or "failed".
	Want string
	// Code is the expected error code of a failure.
	Code string
	// Cause, when set, must appear in the failure's causes (e.g. the
	// offending field).
	Cause string
	// KnownToken says the emulator knows the example's existing org with
	// the example's own token; otherwise the org exists with another token.
	KnownToken bool
	// After names an example whose result must arrive before this one is
	// published (the duplicate subdomain needs the first org to exist).
	After string
}

// Examples are the bundled signups, in publishing order.
var Examples = []Example{
	{File: "new-tenant-mycompany.json", Want: "provisioned"},
	{File: "existing-tenant.json", Want: "provisioned", KnownToken: true},
	{File: "duplicate-subdomain-mycompany.json", Want: "failed", Code: "E0000088",
		Cause: "subDomain", After: "new-tenant-mycompany.json"},
	{File: "weak-admin-password.json", Want: "failed", Code: "E0000001", Cause: "admin.password"},
	{File: "unknown-app.json", Want: "failed", Code: "E0000007"},
	{File: "existing-tenant-bad-token.json", Want: "failed", Code: "E0000011"},
	{File: "blank-website.json", Want: "failed", Code: "E0000001", Cause: "website"},
	{File: "half-security-question.json", Want: "failed", Code: "E0000001", Cause: "admin.securityQuestion"},
	{File: "blank-security-question.json", Want: "failed", Code: "E0000001",
		Cause: "admin.customSecurityQuestion"},
}

// LoadExample reads and decodes one example file.
func LoadExample(dir, file string) (*events.Event, *events.Signup, error) {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, nil, err
	}
	ev, s, err := events.DecodeSignup(raw, events.DefaultMaxEventBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("example %s: %w", file, err)
	}
	return ev, s, nil
}

// SeedExampleOrgs tells the emulator about the existing customer orgs of
// the examples in dir and returns how many it seeded. A missing dir seeds
// nothing.
func SeedExampleOrgs(emu *oktatest.Server, dir string) (int, error) {
	if _, err := os.Stat(dir); err != nil {
		return 0, nil
	}
	n := 0
	for _, ex := range Examples {
		_, s, err := LoadExample(dir, ex.File)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return n, err
		}
		if s.Existing == nil {
			continue
		}
		token := "other-" + randomHex(12)
		if ex.KnownToken {
			plain, err := plainText(s.Existing.APIToken)
			if err != nil {
				return n, fmt.Errorf("example %s: %w", ex.File, err)
			}
			token = plain
		}
		emu.AddOrg(s.Existing.Domain, token)
		n++
	}
	return n, nil
}

// plainText returns the text of a plain-text example secret.
func plainText(s events.Secret) (string, error) {
	spec, err := events.GenerateKeyringSpec("examples")
	if err != nil {
		return "", err
	}
	k, err := events.ParseKeyring(spec)
	if err != nil {
		return "", err
	}
	return k.AllowPlain().Open(s)
}
