package events

// Tenant kinds a signup can ask for.
const (
	TenantNew      = "new"
	TenantExisting = "existing"
)

// Signup is the data of a signup.requested event. The org and admin parts
// mirror the body of Okta's POST /api/v1/orgs so that the ISV's signup form
// maps onto it field by field.
//
// Exactly one of Org (Tenant "new") and Existing (Tenant "existing") is set.
type Signup struct {
	// Tenant is "new" (create an Okta org) or "existing" (use the
	// customer's org).
	Tenant   string       `json:"tenant"`
	Org      *NewOrg      `json:"org,omitempty"`
	Existing *ExistingOrg `json:"existing,omitempty"`
	App      App          `json:"app"`
}

// NewOrg describes the Okta org to create.
type NewOrg struct {
	Subdomain string     `json:"subdomain"`
	Name      string     `json:"name"`
	Website   string     `json:"website"`
	Edition   string     `json:"edition,omitempty"`
	Licensing *Licensing `json:"licensing,omitempty"`
	Admin     Admin      `json:"admin"`
}

// Licensing lists the OIN app keys the new org is licensed for.
type Licensing struct {
	Apps []string `json:"apps"`
}

// Admin is the new org's first super admin.
type Admin struct {
	Profile     AdminProfile      `json:"profile"`
	Credentials *AdminCredentials `json:"credentials,omitempty"`
}

// AdminProfile is the admin's Okta profile. MobilePhone is a pointer so that
// an explicit null and a missing field are told apart.
type AdminProfile struct {
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Email       string  `json:"email"`
	Login       string  `json:"login"`
	MobilePhone *string `json:"mobilePhone,omitempty"`
}

// AdminCredentials are the admin's password and recovery question. Both are
// optional; when left out Okta asks the admin at first sign-in.
type AdminCredentials struct {
	Password         *Password         `json:"password,omitempty"`
	RecoveryQuestion *RecoveryQuestion `json:"recovery_question,omitempty"`
}

// Password holds the admin's initial password.
type Password struct {
	Value Secret `json:"value"`
}

// RecoveryQuestion is the admin's recovery question and its answer. Okta
// wants both or neither.
type RecoveryQuestion struct {
	Question string `json:"question"`
	Answer   Secret `json:"answer"`
}

// ExistingOrg is a customer's own Okta org and an API token the customer
// created in it.
type ExistingOrg struct {
	// Domain is the org's host name, such as "mycompany.okta.com".
	Domain   string `json:"domain"`
	APIToken Secret `json:"apiToken"`
}

// App is the ISV's catalog SAML app to instantiate in the customer's org.
type App struct {
	// Name is the OIN catalog key, such as "servicenow_app2".
	Name string `json:"name"`
	// Label is the instance label; when empty the worker derives one.
	Label string `json:"label,omitempty"`
	// SignOnMode defaults to "SAML_2_0".
	SignOnMode string `json:"signOnMode,omitempty"`
	// Settings are the app's settings.app values (e.g. loginURL).
	Settings AppSettings `json:"settings"`
}

// AppSettings wraps the catalog app's own settings.
type AppSettings struct {
	App map[string]any `json:"app"`
}
