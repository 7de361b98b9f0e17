// Package oktatest is a faithful Okta emulator for tests, the demo and the
// benchmark: the users/me, orgs, apps and SAML metadata endpoints over real
// HTTP, several orgs told apart by Host, Okta's error bodies and headers,
// and fault injection.
//
// # Requests
//
// Orgs are told apart by the request's Host (port ignored); a client sends
// to the emulator's loopback URL with Host set to e.g.
// "acme.oktapreview.com". Every answer carries Date (from Options.Now),
// X-Okta-Request-Id and X-Rate-Limit-Limit/-Remaining/-Reset for the
// request's bucket; every error body has errorCode, errorSummary,
// errorLink, errorId and errorCauses. The checks run in this order:
//
//   - unknown path: 404 E0000008; method not supported: 405 E0000022;
//   - bucket over its limit (SetRateLimit): 429 E0000047;
//   - unknown host: 404 E0000007 "Not found: Resource not found: <host>
//     (Org)";
//   - Authorization missing or not "SSWS <token>": 403 E0000005;
//   - token not the org's, or the org not ready yet
//     (Options.NewOrgReadyAfter): 401 E0000011;
//   - POST /api/v1/orgs on an org other than the ISV's: 403 E0000006;
//   - a body that is not JSON of the right shape: 400 E0000003.
//
// # Org creation
//
// POST /api/v1/orgs validates, in this order, each failure adding a cause
// to one 400 E0000001 named after the first: subdomain, name, website and
// admin.firstName/lastName/email/login not blank; the password policy
// (8+ characters, a lower-case and an upper-case letter, a digit, a
// symbol when Options.RequireSymbol, and no part of the username: the
// login's and the email's local part and their pieces split on ". _ - +",
// case-insensitive, pieces of 3 or more characters); the recovery
// question: a blank question with an answer fails as
// admin.customSecurityQuestion ("cannot be left blank"), a question with a
// blank answer as admin.securityQuestion ("Fields must both be empty, or
// both non-empty"); both blank or both set passes. Then a subdomain over
// 57 characters is 400 E0000172, one being created by another request in
// flight is 400 E0000171, and an existing one (case-insensitive) is 400
// E0000088. Success is 201 with the new org's token; the org lives at
// "<subdomain>.<parent domain of the ISV host>".
//
// # Apps
//
// POST /api/v1/apps knows the catalog apps servicenow_app2 (requires
// settings.app.loginURL), zendesk (companySubdomain), google (domain) and
// boxnet (nothing), plus Options.Catalog. An unknown name is 404 E0000007;
// blank required settings, a signOnMode other than SAML_2_0 or a status
// other than ACTIVE/INACTIVE are 400 E0000001; creating an ACTIVE
// instance when an ACTIVE instance of the same app has the same label
// (case-insensitive) is 400 E0000001 "label:
// An active <display name> instance with the label "<label>" already
// exists.". The label defaults to the display name; ?activate=false or
// status INACTIVE creates it INACTIVE.
//
// GET /api/v1/apps/{id}/sso/saml/metadata answers text/xml IdP metadata
// with a real self-signed certificate per org (one RSA key is shared by
// every org of the process); an unknown id, or an app younger than
// Options.MetadataReadyAfter, is 404 E0000007; a kid other than the org's
// is 404 E0000007.
package oktatest
