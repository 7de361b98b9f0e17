package events

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxMetadataBytes bounds the metadata ParseSAMLMetadata accepts.
const MaxMetadataBytes = 4 << 20

// The XML types below match elements and attributes by local name only,
// so any namespace prefix (md:, saml:, a default namespace or none) reads
// the same. encoding/xml is used rather than crewjam/saml's types: only a
// handful of fields are needed, and those types fail on attributes this
// worker does not use (validUntil, cacheDuration) that it has no reason
// to be strict about.

type xmlEntities struct {
	Entities []xmlEntity   `xml:"EntityDescriptor"`
	Groups   []xmlEntities `xml:"EntitiesDescriptor"`
}

type xmlEntity struct {
	EntityID string   `xml:"entityID,attr"`
	IDPs     []xmlIDP `xml:"IDPSSODescriptor"`
}

type xmlIDP struct {
	WantAuthnRequestsSigned string        `xml:"WantAuthnRequestsSigned,attr"`
	Keys                    []xmlKey      `xml:"KeyDescriptor"`
	NameIDFormats           []string      `xml:"NameIDFormat"`
	SSO                     []xmlEndpoint `xml:"SingleSignOnService"`
}

type xmlKey struct {
	Use   string   `xml:"use,attr"`
	Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
}

type xmlEndpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

// ParseSAMLMetadata parses SAML 2.0 IdP metadata as Okta serves it. The
// root is an EntityDescriptor, or an EntitiesDescriptor in which the
// first EntityDescriptor with an IDPSSODescriptor is used; of several
// IDPSSODescriptors the first is used.
//
// Every KeyDescriptor with use "signing" or no use contributes its
// certificates, base64 with any whitespace, each parsed as X.509. Every
// SingleSignOnService with a binding and an absolute http(s) location is
// kept, in document order; others are skipped. NameIDFormats are trimmed.
//
// Errors: ErrTooLarge (over MaxMetadataBytes, not parsed), ErrNotMetadata
// (not well-formed UTF-8 XML, no IdP descriptor, no entityID, a bad
// WantAuthnRequestsSigned), ErrNoSigningCertificate, ErrBadCertificate
// (any signing certificate unusable), ErrNoSSOEndpoint.
func ParseSAMLMetadata(raw []byte) (SAMLMetadata, error) {
	if len(raw) > MaxMetadataBytes {
		return SAMLMetadata{}, fmt.Errorf("parse metadata: %d bytes, limit %d: %w",
			len(raw), MaxMetadataBytes, ErrTooLarge)
	}
	if !utf8.Valid(raw) {
		return SAMLMetadata{}, fmt.Errorf("parse metadata: not UTF-8: %w", ErrNotMetadata)
	}
	ent, err := decodeEntity(raw)
	if err != nil {
		return SAMLMetadata{}, fmt.Errorf("parse metadata: %w", err)
	}
	md, err := fromEntity(ent)
	if err != nil {
		return SAMLMetadata{}, fmt.Errorf("parse metadata: %w", err)
	}
	md.XML = string(raw)
	return md, nil
}

// decodeEntity finds the root element and returns the IdP entity.
func decodeEntity(raw []byte) (*xmlEntity, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("no root element: %w", ErrNotMetadata)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotMetadata, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "EntityDescriptor":
			var ent xmlEntity
			if err := dec.DecodeElement(&ent, &start); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotMetadata, err)
			}
			if len(ent.IDPs) == 0 {
				return nil, fmt.Errorf("no IDPSSODescriptor: %w", ErrNotMetadata)
			}
			return &ent, nil
		case "EntitiesDescriptor":
			var group xmlEntities
			if err := dec.DecodeElement(&group, &start); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotMetadata, err)
			}
			if ent := group.firstIdP(); ent != nil {
				return ent, nil
			}
			return nil, fmt.Errorf("no EntityDescriptor with an IDPSSODescriptor: %w",
				ErrNotMetadata)
		default:
			return nil, fmt.Errorf("root is not EntityDescriptor or EntitiesDescriptor: %w",
				ErrNotMetadata)
		}
	}
}

func (g *xmlEntities) firstIdP() *xmlEntity {
	for i := range g.Entities {
		if len(g.Entities[i].IDPs) > 0 {
			return &g.Entities[i]
		}
	}
	for i := range g.Groups {
		if ent := g.Groups[i].firstIdP(); ent != nil {
			return ent
		}
	}
	return nil
}

func fromEntity(ent *xmlEntity) (SAMLMetadata, error) {
	md := SAMLMetadata{
		EntityID:      strings.TrimSpace(ent.EntityID),
		SSO:           []SSOEndpoint{},
		Certificates:  []Certificate{},
		NameIDFormats: []string{},
	}
	if md.EntityID == "" {
		return SAMLMetadata{}, fmt.Errorf("no entityID: %w", ErrNotMetadata)
	}
	idp := ent.IDPs[0]

	switch strings.TrimSpace(idp.WantAuthnRequestsSigned) {
	case "true", "1":
		md.WantAuthnRequestsSigned = true
	case "false", "0", "":
	default:
		return SAMLMetadata{}, fmt.Errorf("WantAuthnRequestsSigned is not a boolean: %w",
			ErrNotMetadata)
	}

	for _, key := range idp.Keys {
		if use := strings.TrimSpace(key.Use); use != "" && use != "signing" {
			continue
		}
		for _, text := range key.Certs {
			cert, err := parseCertificate(text)
			if err != nil {
				return SAMLMetadata{}, fmt.Errorf("signing certificate %d: %w",
					len(md.Certificates)+1, err)
			}
			md.Certificates = append(md.Certificates, cert)
		}
	}
	if len(md.Certificates) == 0 {
		return SAMLMetadata{}, ErrNoSigningCertificate
	}

	for _, ep := range idp.SSO {
		binding := strings.TrimSpace(ep.Binding)
		location := strings.TrimSpace(ep.Location)
		if binding == "" || !isWebURL(location) {
			continue
		}
		md.SSO = append(md.SSO, SSOEndpoint{Binding: binding, Location: location})
	}
	if len(md.SSO) == 0 {
		return SAMLMetadata{}, ErrNoSSOEndpoint
	}

	for _, f := range idp.NameIDFormats {
		if f = strings.TrimSpace(f); f != "" {
			md.NameIDFormats = append(md.NameIDFormats, f)
		}
	}
	return md, nil
}

// parseCertificate decodes one X509Certificate element's text.
func parseCertificate(text string) (Certificate, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, text)
	if clean == "" {
		return Certificate{}, fmt.Errorf("empty: %w", ErrBadCertificate)
	}
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return Certificate{}, fmt.Errorf("not base64: %w", ErrBadCertificate)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Certificate{}, fmt.Errorf("%w: %w", ErrBadCertificate, err)
	}
	return Certificate{
		DER:               base64.StdEncoding.EncodeToString(der),
		SHA256Fingerprint: Fingerprint(der),
		Subject:           cert.Subject.String(),
		NotBefore:         cert.NotBefore.UTC(),
		NotAfter:          cert.NotAfter.UTC(),
	}, nil
}

// Fingerprint returns the SHA-256 of der as upper-case hex pairs joined
// by colons, the form Certificate.SHA256Fingerprint uses.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
