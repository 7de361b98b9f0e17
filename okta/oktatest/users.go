package oktatest

import "time"

// timeFormat is Okta's timestamp layout, e.g. "2016-11-08T15:16:01.000Z".
const timeFormat = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

type link struct {
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// me answers GET /api/v1/users/me with the token's user.
func (c *call) me(o *org) *reply {
	c.s.mu.Lock()
	u, host := o.admin, o.host
	c.s.mu.Unlock()

	created := stamp(u.created)
	creds := map[string]any{
		"password": map[string]any{},
		"provider": map[string]string{"type": "OKTA", "name": "OKTA"},
	}
	if u.question != "" {
		creds["recovery_question"] = map[string]string{"question": u.question}
	}
	body := map[string]any{
		"id":              u.id,
		"status":          "ACTIVE",
		"created":         created,
		"activated":       created,
		"statusChanged":   created,
		"lastLogin":       nil,
		"lastUpdated":     created,
		"passwordChanged": created,
		"type":            map[string]string{"id": "oty" + u.id[3:]},
		"profile": map[string]any{
			"firstName":   u.firstName,
			"lastName":    u.lastName,
			"mobilePhone": nil,
			"secondEmail": nil,
			"login":       u.login,
			"email":       u.email,
		},
		"credentials": creds,
		"_links": map[string]link{
			"self": {Href: "https://" + host + "/api/v1/users/" + u.id},
		},
	}
	return jsonReply(200, body)
}
