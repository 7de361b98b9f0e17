package oktatest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// signingKey is one RSA key shared by every org's certificate: generating
// a key per org would make tests slow, and nothing checks it differs.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// sharedCertificate is the one certificate of Options.SharedCertificate.
var sharedCertificate = sync.OnceValues(func() ([]byte, error) {
	return orgCertificate("oktatest", time.Now())
})

// oidEmail is PKCS #9 emailAddress.
var oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// orgCertificate makes an org's self-signed signing certificate, shaped
// like Okta's: RSA 2048, SHA-256, subject C=US, ST=California, L=San
// Francisco, O=Okta, OU=SSOProvider, CN=<subdomain>,
// emailAddress=info@okta.com, valid 10 years and a minute.
func orgCertificate(subdomain string, notBefore time.Time) ([]byte, error) {
	key, err := signingKey()
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	name := pkix.Name{
		Country:            []string{"US"},
		Province:           []string{"California"},
		Locality:           []string{"San Francisco"},
		Organization:       []string{"Okta"},
		OrganizationalUnit: []string{"SSOProvider"},
		CommonName:         subdomain,
		ExtraNames: []pkix.AttributeTypeAndValue{{
			Type:  oidEmail,
			Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("info@okta.com")},
		}},
	}
	notBefore = notBefore.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		// Okta's serials are the creation time in milliseconds.
		SerialNumber:       big.NewInt(notBefore.UnixMilli()),
		Subject:            name,
		Issuer:             name,
		NotBefore:          notBefore,
		NotAfter:           notBefore.AddDate(10, 0, 0).Add(time.Minute),
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	return der, nil
}

// metadata answers GET /api/v1/apps/{id}/sso/saml/metadata[?kid=].
func (c *call) metadata(o *org) *reply {
	id := c.rt.appID
	c.s.mu.Lock()
	var a *app
	for _, x := range o.apps {
		if x.id == id {
			a = x
		}
	}
	kid, host, sub, created, der := o.kid, o.host, o.subdomain, o.created, o.certDER
	c.s.mu.Unlock()

	switch {
	case a == nil, c.now.Before(a.created.Add(c.s.opts.MetadataReadyAfter)):
		return notFound(id, "App")
	}
	if k := c.r.URL.Query().Get("kid"); k != "" && k != kid {
		return notFound(k, "AppInstanceKey")
	}
	if der == nil {
		var err error
		newCert := func() ([]byte, error) { return orgCertificate(sub, created) }
		if c.s.opts.SharedCertificate {
			newCert = sharedCertificate
		}
		if der, err = newCert(); err != nil {
			return oktaError(CodeInternal)
		}
		c.s.mu.Lock()
		if o.certDER == nil {
			o.certDER = der
		}
		der = o.certDER
		c.s.mu.Unlock()
	}
	body := metadataXML(host, a.name, a.exk, der)
	return &reply{status: http.StatusOK, contentType: "text/xml;charset=UTF-8", body: body}
}

// metadataXML renders Okta's IdP metadata for app name with SAML key exk.
func metadataXML(host, name, exk string, certDER []byte) []byte {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	sso := esc("https://" + host + "/app/" + name + "/" + exk + "/sso/saml")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ` +
		`entityID="http://www.okta.com/` + esc(exk) + `">` + "\n")
	b.WriteString(`<md:IDPSSODescriptor WantAuthnRequestsSigned="false" ` +
		`protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + "\n")
	b.WriteString(`<md:KeyDescriptor use="signing">` + "\n")
	b.WriteString(`<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` + "\n")
	b.WriteString("<ds:X509Data>\n<ds:X509Certificate>")
	b.WriteString(wrap76(base64.StdEncoding.EncodeToString(certDER)))
	b.WriteString("</ds:X509Certificate>\n</ds:X509Data>\n</ds:KeyInfo>\n</md:KeyDescriptor>\n")
	for _, f := range []string{"emailAddress", "unspecified"} {
		b.WriteString("<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:" + f +
			"</md:NameIDFormat>\n")
	}
	for _, binding := range []string{"HTTP-POST", "HTTP-Redirect"} {
		b.WriteString(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:` +
			binding + `" Location="` + sso + `"/>` + "\n")
	}
	b.WriteString("</md:IDPSSODescriptor>\n</md:EntityDescriptor>\n")
	return []byte(b.String())
}

// wrap76 breaks s into lines of 76 characters, as Okta's metadata does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteByte('\n')
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
