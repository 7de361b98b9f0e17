package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// Path templates of the endpoints, as errors and Exchange name them.
const (
	pathMe       = "/api/v1/users/me"
	pathOrgs     = "/api/v1/orgs"
	pathApps     = "/api/v1/apps"
	pathMetadata = "/api/v1/apps/{id}/sso/saml/metadata"
)

// maxAppIDLen bounds an app id; Okta's are 20 characters.
const maxAppIDLen = 64

// Me checks a token: GET /api/v1/users/me on host.
func (c *Client) Me(ctx context.Context, host, token string) (*User, error) {
	cl := c.jsonCall(http.MethodGet, pathMe, pathMe, bucketMe, nil)
	var u User
	if err := c.doJSON(ctx, host, token, cl, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateOrg creates a child org: POST /api/v1/orgs on the ISV's host. The
// returned Org always has an ID and a Token, or the error wraps
// ErrBadResponse. A lost response returns ErrAmbiguous.
func (c *Client) CreateOrg(ctx context.Context, host, token string, req *CreateOrgRequest) (*Org, error) {
	cl := c.jsonCall(http.MethodPost, pathOrgs, pathOrgs, bucketOrgs, req)
	if req == nil {
		return nil, cl.errorf("no request")
	}
	cl.secrets = orgSecrets(req)
	var org Org
	if err := c.doJSON(ctx, host, token, cl, &org); err != nil {
		return nil, err
	}
	if org.ID == "" || org.Token == "" {
		return nil, cl.badResponse("org without id or token")
	}
	return &org, nil
}

// orgSecrets lists the secrets in an org request.
func orgSecrets(req *CreateOrgRequest) []string {
	cr := req.Admin.Credentials
	if cr == nil {
		return nil
	}
	var out []string
	if cr.Password != nil {
		out = append(out, cr.Password.Value)
	}
	if cr.RecoveryQuestion != nil {
		out = append(out, cr.RecoveryQuestion.Answer)
	}
	return out
}

// CreateApp instantiates a catalog app: POST /api/v1/apps on the org host.
// The returned App always has an ID. A lost response returns ErrAmbiguous.
func (c *Client) CreateApp(ctx context.Context, host, token string, req *CreateAppRequest) (*App, error) {
	cl := c.jsonCall(http.MethodPost, pathApps, pathApps, bucketApps, req)
	if req == nil {
		return nil, cl.errorf("no request")
	}
	var app App
	if err := c.doJSON(ctx, host, token, cl, &app); err != nil {
		return nil, err
	}
	if app.ID == "" {
		return nil, cl.badResponse("app without id")
	}
	return &app, nil
}

// FindAppByLabel lists the org's apps (GET /api/v1/apps?q=label) and
// returns the one with exactly this name and label, or nil, nil.
//
// TODO: only the first page (200 apps matching the label's prefix) is
// read; the Link rel="next" header is not followed.
func (c *Client) FindAppByLabel(ctx context.Context, host, token, name, label string) (*App, error) {
	q := url.Values{"q": {label}, "limit": {"200"}}
	path := pathApps + "?" + q.Encode()
	cl := c.jsonCall(http.MethodGet, pathApps, path, bucketApps, nil)
	var apps []App
	if err := c.doJSON(ctx, host, token, cl, &apps); err != nil {
		return nil, err
	}
	for i := range apps {
		if apps[i].Name == name && apps[i].Label == label {
			if apps[i].ID == "" {
				return nil, cl.badResponse("app without id")
			}
			return &apps[i], nil
		}
	}
	return nil, nil
}

// Metadata fetches an app's SAML IdP metadata XML:
// GET /api/v1/apps/{id}/sso/saml/metadata.
func (c *Client) Metadata(ctx context.Context, host, token, appID string) ([]byte, error) {
	path := "/api/v1/apps/" + url.PathEscape(appID) + "/sso/saml/metadata"
	cl := &call{
		method:   http.MethodGet,
		endpoint: pathMetadata,
		path:     path,
		bucket:   bucketApps,
		accept:   "application/xml",
		limit:    c.cfg.MaxMetadataBytes,
	}
	if !validAppID(appID) {
		return nil, cl.errorf("invalid app id")
	}
	resp, err := c.do(ctx, host, token, cl)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return nil, cl.badResponse("empty metadata")
	}
	return resp.body, nil
}

// validAppID accepts the characters of Okta ids: letters and digits (and,
// to be lenient, '-' and '_').
func validAppID(id string) bool {
	if id == "" || len(id) > maxAppIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_'
		if !ok {
			return false
		}
	}
	return true
}

// jsonCall describes a JSON request and answer.
func (c *Client) jsonCall(method, endpoint, path, bucket string, body any) *call {
	cl := &call{
		method:   method,
		endpoint: endpoint,
		path:     path,
		bucket:   bucket,
		accept:   "application/json",
		limit:    c.cfg.MaxBodyBytes,
		body:     body,
	}
	return cl
}

// doJSON runs cl and decodes a 2xx body into out, leniently (unknown
// fields are fine).
func (c *Client) doJSON(ctx context.Context, host, token string, cl *call, out any) error {
	resp, err := c.do(ctx, host, token, cl)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return cl.badResponse("decode body: " + decodeReason(err))
	}
	return nil
}

// decodeReason describes a JSON decode failure without quoting the body.
func decodeReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "not valid JSON"
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	}
	return "unexpected shape"
}
