// Package oktatest is a faithful Okta emulator for tests, the demo and the
// benchmark: the users/me, orgs, apps and SAML metadata endpoints over real
// HTTP, several orgs told apart by Host, Okta's error bodies and headers,
// and fault injection.
package oktatest
