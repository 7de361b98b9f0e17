package okta

import "time"

// User is the subset of Okta's User object the worker reads (GET
// /api/v1/users/me). Unknown fields are ignored.
type User struct {
	ID      string      `json:"id"`
	Status  string      `json:"status"`
	Profile UserProfile `json:"profile"`
}

// UserProfile is the subset of a user's profile the worker reads.
type UserProfile struct {
	Login     string `json:"login"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// CreateOrgRequest is the body of POST /api/v1/orgs. It holds the admin's
// password and recovery answer in plain text; it must never be logged.
type CreateOrgRequest struct {
	Subdomain string     `json:"subdomain"`
	Name      string     `json:"name"`
	Website   string     `json:"website"`
	Edition   string     `json:"edition,omitempty"`
	Licensing *Licensing `json:"licensing,omitempty"`
	Admin     OrgAdmin   `json:"admin"`
}

// Licensing lists OIN app keys for a new org.
type Licensing struct {
	Apps []string `json:"apps"`
}

// OrgAdmin is the new org's super admin.
type OrgAdmin struct {
	Profile     OrgAdminProfile      `json:"profile"`
	Credentials *OrgAdminCredentials `json:"credentials,omitempty"`
}

// OrgAdminProfile is the admin's profile. MobilePhone is sent as null when
// nil, as in Okta's example.
type OrgAdminProfile struct {
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Email       string  `json:"email"`
	Login       string  `json:"login"`
	MobilePhone *string `json:"mobilePhone"`
}

// OrgAdminCredentials carries the admin's password and recovery question.
type OrgAdminCredentials struct {
	Password         *PasswordValue    `json:"password,omitempty"`
	RecoveryQuestion *RecoveryQuestion `json:"recovery_question,omitempty"`
}

// PasswordValue wraps a plain-text password.
type PasswordValue struct {
	Value string `json:"value"`
}

// RecoveryQuestion is a question and its plain-text answer.
type RecoveryQuestion struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Org is Okta's answer to org creation. Token is the new org's API token,
// shown by Okta this once; it must never be logged or stored in plain text.
type Org struct {
	ID          string          `json:"id"`
	Subdomain   string          `json:"subdomain"`
	Name        string          `json:"name"`
	Website     string          `json:"website"`
	Status      string          `json:"status"`
	Edition     string          `json:"edition"`
	ExpiresAt   *time.Time      `json:"expiresAt"`
	Created     time.Time       `json:"created"`
	LastUpdated time.Time       `json:"lastUpdated"`
	Licensing   *Licensing      `json:"licensing,omitempty"`
	Token       string          `json:"token"`
	TokenType   string          `json:"tokenType"`
	Links       map[string]Link `json:"_links"`
}

// Link is one HAL link from Okta's _links.
type Link struct {
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// CreateAppRequest is the body of POST /api/v1/apps for a catalog SAML app.
type CreateAppRequest struct {
	Name       string      `json:"name"`
	Label      string      `json:"label,omitempty"`
	Status     string      `json:"status,omitempty"`
	SignOnMode string      `json:"signOnMode"`
	Settings   AppSettings `json:"settings"`
}

// AppSettings holds the app's own settings.
type AppSettings struct {
	App map[string]any `json:"app"`
}

// App is the subset of Okta's Application object the worker reads.
type App struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Status      string         `json:"status"`
	SignOnMode  string         `json:"signOnMode"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
	Links       map[string]any `json:"_links"`
}
