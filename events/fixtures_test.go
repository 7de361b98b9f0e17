package events

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the generated files under testdata/")

// oktaMetadataTemplate is Okta's metadata shape (see the research notes,
// section 7) with a placeholder for the certificate.
var oktaMetadataTemplate = strings.Join([]string{
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
	"<md:EntityDescriptor entityID=\"http://www.okta.com/exk19jdq4yshW8Ru71d8\" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">",
	"<md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">",
	"<md:KeyDescriptor use=\"signing\">",
	"<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">",
	"<ds:X509Data>",
	"<ds:X509Certificate>CERT</ds:X509Certificate>",
	"</ds:X509Data>",
	"</ds:KeyInfo>",
	"</md:KeyDescriptor>",
	"<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>",
	"<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>",
	"<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://mycompany.okta.com/app/servicenow_app2/exk19jdq4yshW8Ru71d8/sso/saml\"/>",
	"<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://mycompany.okta.com/app/servicenow_app2/exk19jdq4yshW8Ru71d8/sso/saml\"/>",
	"</md:IDPSSODescriptor>",
	"</md:EntityDescriptor>\n",
}, "") + "\n"

// TestWriteFixtures regenerates testdata/okta-metadata.xml (a fresh
// self-signed RSA 2048 certificate shaped like Okta's) and the fuzz seed
// corpora. Run: go test ./events -run TestWriteFixtures -update
func TestWriteFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate")
	}
	xml := replaceCert(oktaMetadataTemplate, wrap(oktaLikeCert(t), 76))
	writeFile(t, "testdata/okta-metadata.xml", []byte(xml))

	signups := map[string][]byte{"base": []byte(baseEvent)}
	examples, _ := filepath.Glob("../examples/*.json")
	for _, f := range examples {
		if filepath.Base(f) == "expected.json" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		signups["example-"+filepath.Base(f)] = b
	}
	signups["broken-secret-type"] = []byte(`{"specversion":"1.0","id":"x","source":"s",` +
		`"type":"com.embedded-occ.signup.requested.v1","data":{"tenant":"existing",` +
		`"existing":{"domain":"a.okta.com","apiToken":["` + canaryToken + `"]}}}`)
	signups["sealed-looking"] = []byte(`{"specversion":"1.0","id":"x","source":"s",` +
		`"type":"com.embedded-occ.signup.requested.v1","data":{"tenant":"existing",` +
		`"existing":{"domain":"a.okta.com","apiToken":"enc:v1:k1:AAAA"},` +
		`"app":{"name":"a","settings":{"app":{}}}}}`)
	writeCorpus(t, "FuzzDecodeSignup", signups)

	metas := map[string][]byte{
		"okta": []byte(xml),
		"seed": []byte(replaceCert(oktaMetadataTemplate, seedCertificate)),
		"no-prefix": []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
			`<EntityDescriptor entityID="e"><IDPSSODescriptor><KeyDescriptor><KeyInfo>` +
			`<X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo>` +
			`</KeyDescriptor><SingleSignOnService Binding="b" Location="https://x.okta.com/sso"/>` +
			`</IDPSSODescriptor></EntityDescriptor></EntitiesDescriptor>`),
		"garbage": []byte(`<html>`),
	}
	writeCorpus(t, "FuzzParseSAMLMetadata", metas)
}

func replaceCert(tmpl, cert string) string {
	return strings.Replace(tmpl, "CERT", cert, 1)
}

// oktaLikeCert returns a base64 self-signed RSA 2048 certificate with the
// subject and ten-year validity Okta gives its app signing certificates.
func oktaLikeCert(tb testing.TB) string {
	tb.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	name := pkix.Name{
		Country: []string{"US"}, Province: []string{"California"},
		Locality: []string{"San Francisco"}, Organization: []string{"Okta"},
		OrganizationalUnit: []string{"SSOProvider"}, CommonName: "mycompany",
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: email, Value: "info@okta.com"}},
	}
	start := time.Date(2025, 1, 15, 9, 30, 0, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1736933400000),
		Subject:            name,
		Issuer:             name,
		NotBefore:          start,
		NotAfter:           start.AddDate(10, 0, 0).Add(time.Minute),
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func writeCorpus(tb testing.TB, fuzzName string, entries map[string][]byte) {
	tb.Helper()
	for name, b := range entries {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		writeFile(tb, filepath.Join("testdata", "fuzz", fuzzName, name), []byte(body))
	}
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
