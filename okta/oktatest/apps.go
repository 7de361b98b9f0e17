package oktatest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// CatalogApp is an app of the emulated OIN catalog: its key (the "name" of
// POST /api/v1/apps), display name and required settings.app fields.
type CatalogApp struct {
	Name        string
	DisplayName string
	// Required are the settings.app fields that must be non-blank, in
	// the order their errors are listed.
	Required []string
}

// defaultCatalog is the built-in catalog; every app signs on with SAML 2.0.
var defaultCatalog = []CatalogApp{
	{Name: "servicenow_app2", DisplayName: "ServiceNow - Eureka and later releases",
		Required: []string{"loginURL"}},
	{Name: "zendesk", DisplayName: "Zendesk", Required: []string{"companySubdomain"}},
	{Name: "google", DisplayName: "Google Workspace", Required: []string{"domain"}},
	{Name: "boxnet", DisplayName: "Box"},
}

type appRequest struct {
	Name       string         `json:"name"`
	Label      string         `json:"label"`
	Status     string         `json:"status"`
	SignOnMode string         `json:"signOnMode"`
	Settings   map[string]any `json:"settings"`
}

// createApp answers POST /api/v1/apps.
func (c *call) createApp(o *org) *reply {
	var req appRequest
	if !c.decodeBody(&req) {
		return oktaError(CodeMalformedBody)
	}
	cat, ok := c.s.catalog[req.Name]
	if !ok {
		return notFound(req.Name, "App")
	}
	if fails := appFieldErrors(&req, cat); len(fails) > 0 {
		return validationError(fails)
	}
	status := "ACTIVE"
	if strings.EqualFold(c.r.URL.Query().Get("activate"), "false") || req.Status == "INACTIVE" {
		status = "INACTIVE"
	}
	label := strings.TrimSpace(req.Label)
	if label == "" {
		label = cat.DisplayName
	}
	if req.Settings == nil {
		req.Settings = map[string]any{}
	}
	if _, ok := req.Settings["app"].(map[string]any); !ok {
		req.Settings["app"] = map[string]any{}
	}

	now := c.s.now()
	a := &app{
		id: newID("0oa"), exk: newID("exk"), linkID: newID("aln"),
		name: cat.Name, display: cat.DisplayName,
		label: label, status: status, created: now, settings: req.Settings,
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, b := range o.apps {
		if status == "ACTIVE" && b.name == a.name && b.status == "ACTIVE" &&
			strings.EqualFold(b.label, label) {
			return validationError([]fieldError{{field: "label", msg: fmt.Sprintf(
				"An active %s instance with the label %q already exists.", cat.DisplayName, label)}})
		}
	}
	o.apps = append(o.apps, a)
	return jsonReply(http.StatusOK, appJSON(o, a))
}

// appFieldErrors checks signOnMode, status and the required settings.
func appFieldErrors(req *appRequest, cat CatalogApp) []fieldError {
	var fails []fieldError
	if req.SignOnMode != "" && req.SignOnMode != "SAML_2_0" {
		fails = append(fails, fieldError{field: "signOnMode", msg: "Not one of the allowed values."})
	}
	if req.Status != "" && req.Status != "ACTIVE" && req.Status != "INACTIVE" {
		fails = append(fails, fieldError{field: "status", msg: "Not one of the allowed values."})
	}
	settings, _ := req.Settings["app"].(map[string]any)
	for _, field := range cat.Required {
		v, _ := settings[field].(string)
		if strings.TrimSpace(v) == "" {
			fails = append(fails, fieldError{field: field, msg: msgBlank})
		}
	}
	return fails
}

// listApps answers GET /api/v1/apps?q=&limit=: the org's apps whose name
// or label starts with q (case-insensitive), oldest first, at most limit
// (default and maximum 200).
func (c *call) listApps(o *org) *reply {
	query := c.r.URL.Query()
	q := strings.ToLower(query.Get("q"))
	max := 200
	if n, err := strconv.Atoi(query.Get("limit")); err == nil && n > 0 && n < max {
		max = n
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	out := []map[string]any{}
	for _, a := range o.apps {
		if len(out) == max {
			break
		}
		if strings.HasPrefix(strings.ToLower(a.name), q) ||
			strings.HasPrefix(strings.ToLower(a.label), q) {
			out = append(out, appJSON(o, a))
		}
	}
	return jsonReply(http.StatusOK, out)
}

// appJSON is Okta's Application object for a. s.mu must be held.
func appJSON(o *org, a *app) map[string]any {
	base := "https://" + o.host
	self := base + "/api/v1/apps/" + a.id
	sub, rest, _ := strings.Cut(o.host, ".")
	links := map[string]any{
		"help": link{Type: "text/html", Href: "https://" + sub + "-admin." + rest +
			"/app/" + a.name + "/" + a.id + "/setup/help/SAML_2_0/external-doc"},
		"metadata": link{Href: self + "/sso/saml/metadata", Type: "application/xml"},
		"appLinks": []map[string]string{{
			"name": a.name + "_link", "type": "text/html",
			"href": base + "/home/" + a.name + "/" + a.id + "/" + a.linkID,
		}},
		"groups": link{Href: self + "/groups"},
		"users":  link{Href: self + "/users"},
		"logo":   []link{},
		"self":   link{Href: self},
	}
	if a.status == "ACTIVE" {
		links["deactivate"] = link{Href: self + "/lifecycle/deactivate"}
	} else {
		links["activate"] = link{Href: self + "/lifecycle/activate"}
	}
	created := stamp(a.created)
	return map[string]any{
		"id":          a.id,
		"orn":         "orn:okta:idp:" + o.id + ":apps:" + a.name + ":" + a.id,
		"name":        a.name,
		"label":       a.label,
		"status":      a.status,
		"created":     created,
		"lastUpdated": created,
		"accessibility": map[string]any{
			"selfService": false, "errorRedirectUrl": nil, "loginRedirectUrl": nil,
		},
		"visibility": map[string]any{
			"autoSubmitToolbar": false,
			"hide":              map[string]bool{"iOS": false, "web": false},
			"appLinks":          map[string]bool{a.name + "_link": true},
		},
		"features":   []string{},
		"signOnMode": "SAML_2_0",
		"credentials": map[string]any{
			"userNameTemplate": map[string]string{"template": "${source.login}", "type": "BUILT_IN"},
			"signing":          map[string]string{"kid": o.kid},
		},
		"settings": a.settings,
		"_links":   links,
	}
}
