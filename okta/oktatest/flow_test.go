package oktatest_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// idpMetadata is the part of Okta's IdP metadata the tests read.
type idpMetadata struct {
	XMLName  xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	EntityID string   `xml:"entityID,attr"`
	IDP      struct {
		WantSigned string `xml:"WantAuthnRequestsSigned,attr"`
		Protocols  string `xml:"protocolSupportEnumeration,attr"`
		Keys       []struct {
			Use  string `xml:"use,attr"`
			Cert string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
		NameIDFormats []string `xml:"NameIDFormat"`
		SSO           []struct {
			Binding  string `xml:"Binding,attr"`
			Location string `xml:"Location,attr"`
		} `xml:"SingleSignOnService"`
	} `xml:"IDPSSODescriptor"`
}

// TestProvisionFlow runs the whole flow: a new org, its token on its own
// host, an app in it and the app's metadata with a real certificate.
func TestProvisionFlow(t *testing.T) {
	s := start(t, oktatest.Options{})
	org := createOrg(t, s, "mycompany")
	if len(org.ID) != 20 || !strings.HasPrefix(org.ID, "00o") {
		t.Errorf("org id = %q, want 00o + 17", org.ID)
	}
	if org.Token == "" || org.TokenType != "SSWS" {
		t.Fatalf("token, tokenType = %q, %q", org.Token, org.TokenType)
	}
	newHost := "mycompany.oktapreview.com"

	me := send(t, s, "GET", newHost, org.Token, "/api/v1/users/me", nil)
	if me.status != http.StatusOK {
		t.Fatalf("users/me on new org: %d %s", me.status, me.body)
	}
	user := decode[struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Profile struct {
			Login, Email, FirstName, LastName string
		} `json:"profile"`
	}](t, me)
	if got, want := user.Profile.Login, "joe@mycompany.com"; got != want {
		t.Errorf("login = %q, want %q", got, want)
	}
	if !strings.HasSuffix(org.Links["administrator"].Href, "/api/v1/users/"+user.ID) {
		t.Errorf("administrator link %q does not name user %q", org.Links["administrator"].Href, user.ID)
	}

	// The ISV token does not work on the new org, nor the new on the ISV.
	r := send(t, s, "GET", newHost, isvToken, "/api/v1/users/me", nil)
	wantError(t, r, 401, "E0000011", "Invalid token provided")

	r = send(t, s, "POST", newHost, org.Token, "/api/v1/apps", appBody(""))
	if r.status != http.StatusOK {
		t.Fatalf("create app: %d %s", r.status, r.body)
	}
	app := decode[struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Label       string `json:"label"`
		Status      string `json:"status"`
		SignOnMode  string `json:"signOnMode"`
		Credentials struct {
			Signing struct {
				Kid string `json:"kid"`
			} `json:"signing"`
		} `json:"credentials"`
		Links struct {
			Metadata struct {
				Href string `json:"href"`
				Type string `json:"type"`
			} `json:"metadata"`
		} `json:"_links"`
	}](t, r)
	if len(app.ID) != 20 || !strings.HasPrefix(app.ID, "0oa") {
		t.Errorf("app id = %q, want 0oa + 17", app.ID)
	}
	if got, want := app.Label, "ServiceNow - Eureka and later releases"; got != want {
		t.Errorf("label = %q, want %q", got, want)
	}
	if app.Status != "ACTIVE" || app.SignOnMode != "SAML_2_0" || app.Credentials.Signing.Kid == "" {
		t.Errorf("status, signOnMode, kid = %q, %q, %q", app.Status, app.SignOnMode,
			app.Credentials.Signing.Kid)
	}
	wantHref := "https://" + newHost + "/api/v1/apps/" + app.ID + "/sso/saml/metadata"
	if app.Links.Metadata.Href != wantHref || app.Links.Metadata.Type != "application/xml" {
		t.Errorf("metadata link = %+v, want %s application/xml", app.Links.Metadata, wantHref)
	}
	if got := s.Apps(newHost); len(got) != 1 || got[0].ID != app.ID {
		t.Errorf("Apps = %+v, want the one app", got)
	}

	path := strings.TrimPrefix(wantHref, "https://"+newHost)
	md := send(t, s, "GET", newHost, org.Token, path+"?kid="+app.Credentials.Signing.Kid, nil)
	if md.status != http.StatusOK {
		t.Fatalf("metadata: %d %s", md.status, md.body)
	}
	if mt, _, _ := mime.ParseMediaType(md.header.Get("Content-Type")); mt != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", md.header.Get("Content-Type"))
	}
	checkMetadata(t, md.body, newHost, "mycompany")

	wantOrgs := []string{"mycompany"}
	if got := s.OrgsCreated(); strings.Join(got, ",") != strings.Join(wantOrgs, ",") {
		t.Errorf("OrgsCreated = %q, want %q", got, wantOrgs)
	}
}

// checkMetadata parses Okta-shaped IdP metadata and its certificate.
func checkMetadata(t *testing.T, body []byte, host, subdomain string) {
	t.Helper()
	var md idpMetadata
	if err := xml.Unmarshal(body, &md); err != nil {
		t.Fatalf("parse metadata: %v\n%s", err, body)
	}
	exk, ok := strings.CutPrefix(md.EntityID, "http://www.okta.com/exk")
	if !ok || len(exk) != 17 {
		t.Errorf("entityID = %q, want http://www.okta.com/exk…", md.EntityID)
	}
	if md.IDP.WantSigned != "false" ||
		md.IDP.Protocols != "urn:oasis:names:tc:SAML:2.0:protocol" {
		t.Errorf("IDPSSODescriptor attrs = %q, %q", md.IDP.WantSigned, md.IDP.Protocols)
	}
	wantFormats := "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress," +
		"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	if got := strings.Join(md.IDP.NameIDFormats, ","); got != wantFormats {
		t.Errorf("NameIDFormats = %q, want %q", got, wantFormats)
	}
	wantLoc := "https://" + host + "/app/servicenow_app2/exk" + exk + "/sso/saml"
	if len(md.IDP.SSO) != 2 {
		t.Fatalf("SingleSignOnService count = %d, want 2", len(md.IDP.SSO))
	}
	for i, b := range []string{"HTTP-POST", "HTTP-Redirect"} {
		sso := md.IDP.SSO[i]
		if sso.Binding != "urn:oasis:names:tc:SAML:2.0:bindings:"+b || sso.Location != wantLoc {
			t.Errorf("SSO[%d] = %+v, want %s at %s", i, sso, b, wantLoc)
		}
	}
	if len(md.IDP.Keys) != 1 || md.IDP.Keys[0].Use != "signing" {
		t.Fatalf("KeyDescriptors = %+v, want one signing key", md.IDP.Keys)
	}
	text := strings.TrimSpace(md.IDP.Keys[0].Cert)
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 76 {
			t.Errorf("certificate line of %d characters, want at most 76", len(line))
		}
	}
	der, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(text, "\n", ""))
	if err != nil {
		t.Fatalf("decode certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	err = cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature)
	if err != nil {
		t.Errorf("certificate not self-signed: %v", err)
	}
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got < 10*365*24*time.Hour {
		t.Errorf("validity = %v, want 10 years", got)
	}
	var parts []string
	for _, n := range cert.Subject.Names {
		parts = append(parts, n.Type.String()+"="+n.Value.(string))
	}
	want := "2.5.4.6=US,2.5.4.8=California,2.5.4.7=San Francisco,2.5.4.10=Okta," +
		"2.5.4.11=SSOProvider,2.5.4.3=" + subdomain + ",1.2.840.113549.1.9.1=info@okta.com"
	if got := strings.Join(parts, ","); got != want {
		t.Errorf("subject = %s, want %s", got, want)
	}
}

// TestApps covers app creation rules and listing.
func TestApps(t *testing.T) {
	const host, token = "cust.okta.com", "cust-token"
	s := start(t, oktatest.Options{Orgs: []oktatest.Org{{Host: host, Token: token}}})

	r := send(t, s, "POST", host, token, "/api/v1/apps", map[string]any{
		"name": "servicenow_app2", "signOnMode": "SAML_2_0",
		"settings": map[string]any{"app": map[string]any{"loginURL": " "}}})
	wantError(t, r, 400, "E0000001", "Api validation failed: loginURL",
		"loginURL: The field cannot be left blank")

	r = send(t, s, "POST", host, token, "/api/v1/apps", map[string]any{
		"name": "zendesk", "label": "ZD"})
	wantError(t, r, 400, "E0000001", "Api validation failed: companySubdomain",
		"companySubdomain: The field cannot be left blank")

	r = send(t, s, "POST", host, token, "/api/v1/apps", "{not json")
	wantError(t, r, 400, "E0000003", "The request body was not well-formed.")

	// Only active instances must have distinct labels.
	for i, q := range []string{"?activate=false", "", "?activate=false"} {
		r = send(t, s, "POST", host, token, "/api/v1/apps"+q, appBody("Shared"))
		if r.status != http.StatusOK {
			t.Fatalf("app %d: %d %s", i, r.status, r.body)
		}
	}
	r = send(t, s, "POST", host, token, "/api/v1/apps", appBody("shared"))
	wantError(t, r, 400, "E0000001", "Api validation failed: label",
		`label: An active ServiceNow - Eureka and later releases instance with the label `+
			`"shared" already exists.`)
	body := appBody("Inactive by status")
	body["status"] = "INACTIVE"
	send(t, s, "POST", host, token, "/api/v1/apps", body)

	var statuses []string
	for _, a := range s.Apps(host) {
		statuses = append(statuses, a.Status)
	}
	if got, want := strings.Join(statuses, ","), "INACTIVE,ACTIVE,INACTIVE,INACTIVE"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}

	send(t, s, "POST", host, token, "/api/v1/apps", map[string]any{
		"name": "boxnet", "label": "Box"})
	tests := []struct {
		query string
		want  int
	}{
		{"", 5},
		{"?q=servicenow", 4},
		{"?q=SHARED", 3},
		{"?q=box", 1},
		{"?q=nothing", 0},
		{"?q=s&limit=2", 2},
	}
	for _, tt := range tests {
		r := send(t, s, "GET", host, token, "/api/v1/apps"+tt.query, nil)
		apps := decode[[]map[string]any](t, r)
		if len(apps) != tt.want {
			t.Errorf("list %q: %d apps, want %d", tt.query, len(apps), tt.want)
		}
	}
}
