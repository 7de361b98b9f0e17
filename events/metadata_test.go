package events

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

// seedCertificate is the seed guide's metadata certificate, truncated in
// the guide itself.
const seedCertificate = "MIIDmjCCAoKgAwIBAgIGAUtB...cXa14="

// testCert returns a fresh self-signed certificate's DER (ECDSA, fast).
func testCert(tb testing.TB, cn string) []byte {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{Organization: []string{"Okta"}, CommonName: cn},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 1, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// wrap breaks s into lines of n characters, as IdPs print certificates.
func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// mdParts fill mdTemplate.
type mdParts struct {
	decl, root, attrs, keyUse, cert, sso, want, prefix, ds string
}

func (p mdParts) xml() string {
	pre, ds := p.prefix, p.ds
	doc := p.decl + fmt.Sprintf(`<%sEntityDescriptor %s>
 <%sIDPSSODescriptor %s protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <%sKeyDescriptor %s>
   <%sKeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><%sX509Data><%sX509Certificate>
%s
   </%sX509Certificate></%sX509Data></%sKeyInfo>
  </%sKeyDescriptor>
  <%sNameIDFormat> urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress </%sNameIDFormat>
  <%sNameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</%sNameIDFormat>
  %s
 </%sIDPSSODescriptor>
</%sEntityDescriptor>`,
		pre, p.attrs, pre, p.want, pre, p.keyUse, ds, ds, ds, p.cert, ds, ds, ds, pre, pre, pre, pre, pre,
		p.sso, pre, pre)
	return doc
}

const ssoTwo = `<md:SingleSignOnService
    Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    Location="https://mycompany.okta.com/app/servicenow_app2/exk1/sso/saml"/>
  <md:SingleSignOnService
    Location="https://mycompany.okta.com/app/servicenow_app2/exk1/sso/saml"
    Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"/>`

func baseParts(cert string) mdParts {
	return mdParts{
		decl:   `<?xml version="1.0" encoding="UTF-8"?>` + "\n",
		attrs:  `xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"`,
		keyUse: `use="signing"`,
		cert:   cert,
		sso:    ssoTwo,
		want:   `WantAuthnRequestsSigned="false"`,
		prefix: "md:",
		ds:     "ds:",
	}
}

func TestParseSAMLMetadataVariants(t *testing.T) {
	der := testCert(t, "mycompany")
	b64 := base64.StdEncoding.EncodeToString(der)
	other := base64.StdEncoding.EncodeToString(testCert(t, "second"))
	sum := sha256.Sum256(der)
	fp := strings.ToUpper(fmt.Sprintf("%X", sum[:]))

	tests := []struct {
		name     string
		change   func(p *mdParts)
		raw      string // overrides the parts when set
		want     error
		wantSign bool
		certs    int
	}{
		{"okta shape", func(p *mdParts) {}, "", nil, false, 1},
		{"certificate wrapped at 76 with CRLF and tabs", func(p *mdParts) {
			p.cert = "\t\t" + strings.ReplaceAll(wrap(b64, 76), "\n", "\r\n\t\t")
		}, "", nil, false, 1},
		{"certificate wrapped at 64", func(p *mdParts) { p.cert = wrap(b64, 64) }, "", nil, false, 1},
		{"standalone declaration, xmlns after entityID", func(p *mdParts) {
			p.decl = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>`
			p.attrs = `entityID="http://www.okta.com/exk1" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"`
		}, "", nil, false, 1},
		{"default namespace, no prefixes", func(p *mdParts) {
			p.prefix, p.ds = "", ""
			p.attrs = `xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"`
			p.sso = strings.ReplaceAll(ssoTwo, "md:", "")
		}, "", nil, false, 1},
		{"saml prefix", func(p *mdParts) {
			p.prefix = "saml:"
			p.attrs = `xmlns:saml="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"`
			p.sso = strings.ReplaceAll(ssoTwo, "md:", "saml:")
		}, "", nil, false, 1},
		{"no declaration, wants signed requests", func(p *mdParts) {
			p.decl = ""
			p.want = `WantAuthnRequestsSigned="true"`
		}, "", nil, true, 1},
		{"boolean as 1", func(p *mdParts) { p.want = `WantAuthnRequestsSigned=" 1 "` }, "", nil, true, 1},
		{"no use attribute", func(p *mdParts) { p.keyUse = "" }, "", nil, false, 1},
		{"two certificates in one X509Data", func(p *mdParts) {
			p.cert = b64 + "</ds:X509Certificate><ds:X509Certificate>" + other
		}, "", nil, false, 2},

		{"seed's truncated certificate", func(p *mdParts) { p.cert = seedCertificate },
			"", ErrBadCertificate, false, 0},
		{"empty certificate", func(p *mdParts) { p.cert = "  " }, "", ErrBadCertificate, false, 0},
		{"base64 but not a certificate", func(p *mdParts) {
			p.cert = base64.StdEncoding.EncodeToString([]byte("not a certificate at all"))
		}, "", ErrBadCertificate, false, 0},
		{"encryption key only", func(p *mdParts) { p.keyUse = `use="encryption"` },
			"", ErrNoSigningCertificate, false, 0},
		{"no SSO endpoint", func(p *mdParts) { p.sso = "" }, "", ErrNoSSOEndpoint, false, 0},
		{"SSO without location", func(p *mdParts) {
			p.sso = `<md:SingleSignOnService Binding="urn:x" Location=""/>` +
				`<md:SingleSignOnService Binding="urn:x" Location="/relative"/>`
		}, "", ErrNoSSOEndpoint, false, 0},
		{"bad boolean", func(p *mdParts) { p.want = `WantAuthnRequestsSigned="yes"` },
			"", ErrNotMetadata, false, 0},
		{"no entityID", func(p *mdParts) {
			p.attrs = `xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"`
		}, "", ErrNotMetadata, false, 0},

		{"inside EntitiesDescriptor", nil, `<?xml version="1.0"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">
 <md:EntityDescriptor entityID="https://sp.example/"><md:SPSSODescriptor/></md:EntityDescriptor>
 <md:EntitiesDescriptor>
  <md:EntityDescriptor entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor>
   <md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
    <ds:X509Certificate>` + b64 + `</ds:X509Certificate>
   </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
   ` + ssoTwo + `
  </md:IDPSSODescriptor></md:EntityDescriptor>
 </md:EntitiesDescriptor>
</md:EntitiesDescriptor>`, nil, false, 1},
		{"SP metadata only", nil,
			`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>`,
			ErrNotMetadata, false, 0},
		{"empty EntitiesDescriptor", nil,
			`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`,
			ErrNotMetadata, false, 0},
		{"other root", nil, `<html><body>login</body></html>`, ErrNotMetadata, false, 0},
		{"not XML", nil, `{"errorCode":"E0000007"}`, ErrNotMetadata, false, 0},
		{"empty", nil, ``, ErrNotMetadata, false, 0},
		{"broken XML", nil,
			`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor>`,
			ErrNotMetadata, false, 0},
		{"custom entity", nil,
			`<!DOCTYPE x [<!ENTITY a "aaaa">]><EntityDescriptor entityID="&a;"><IDPSSODescriptor/></EntityDescriptor>`,
			ErrNotMetadata, false, 0},
		{"not UTF-8", nil, "<EntityDescriptor entityID=\"\xff\"/>", ErrNotMetadata, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if tt.change != nil {
				p := baseParts(b64)
				tt.change(&p)
				raw = p.xml()
			}
			md, err := ParseSAMLMetadata([]byte(raw))
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSAMLMetadata: %v", err)
			}
			if md.XML != raw || md.EntityID != "http://www.okta.com/exk1" {
				t.Errorf("XML kept = %v, EntityID = %q", md.XML == raw, md.EntityID)
			}
			if md.WantAuthnRequestsSigned != tt.wantSign {
				t.Errorf("WantAuthnRequestsSigned = %v, want %v", md.WantAuthnRequestsSigned, tt.wantSign)
			}
			if got := len(md.Certificates); got != tt.certs {
				t.Fatalf("%d certificates, want %d", got, tt.certs)
			}
			c := md.Certificates[0]
			if c.DER != b64 || !strings.Contains(c.Subject, "CN=mycompany") {
				t.Errorf("certificate = %+v", c)
			}
			got := strings.ReplaceAll(c.SHA256Fingerprint, ":", "")
			if got != fp || len(c.SHA256Fingerprint) != 95 {
				t.Errorf("fingerprint = %q, want %q with colons", c.SHA256Fingerprint, fp)
			}
			if !c.NotBefore.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) ||
				!c.NotAfter.Equal(time.Date(2035, 1, 1, 0, 1, 0, 0, time.UTC)) {
				t.Errorf("validity = %v .. %v", c.NotBefore, c.NotAfter)
			}
			redirect := "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
			if len(md.SSO) != 2 || md.SSO[1].Binding != redirect ||
				md.SSO[0].Location != "https://mycompany.okta.com/app/servicenow_app2/exk1/sso/saml" {
				t.Errorf("SSO = %+v", md.SSO)
			}
			if tt.raw == "" && (len(md.NameIDFormats) != 2 ||
				md.NameIDFormats[0] != "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress") {
				t.Errorf("NameIDFormats = %q", md.NameIDFormats)
			}
		})
	}
}

func TestParseSAMLMetadataSeedExample(t *testing.T) {
	// The guide's metadata as printed: its certificate is truncated.
	p := baseParts("\n" + seedCertificate + "\n")
	p.attrs = `xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="exk19jdq4yshW8Ru71d8"`
	_, err := ParseSAMLMetadata([]byte(p.xml()))
	if !errors.Is(err, ErrBadCertificate) {
		t.Fatalf("err = %v, want ErrBadCertificate", err)
	}
}

func TestParseSAMLMetadataTooLarge(t *testing.T) {
	raw := []byte("<EntityDescriptor>" + strings.Repeat(" ", MaxMetadataBytes) + "</EntityDescriptor>")
	if _, err := ParseSAMLMetadata(raw); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestParseSAMLMetadataFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	md, err := ParseSAMLMetadata(raw)
	if err != nil {
		t.Fatalf("ParseSAMLMetadata: %v", err)
	}
	c := md.Certificates[0]
	for _, part := range []string{"CN=mycompany", "OU=SSOProvider", "O=Okta", "C=US"} {
		if !strings.Contains(c.Subject, part) {
			t.Errorf("Subject = %q, want it to hold %s", c.Subject, part)
		}
	}
	if got := c.NotAfter.Sub(c.NotBefore); got < 10*365*24*time.Hour {
		t.Errorf("validity %v, want about 10 years", got)
	}
	if md.EntityID != "http://www.okta.com/exk19jdq4yshW8Ru71d8" || len(md.SSO) != 2 {
		t.Errorf("metadata = %+v", md)
	}
}
