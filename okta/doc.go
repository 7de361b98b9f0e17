// Package okta is the provisioner's HTTP client for the four Okta endpoints
// of the Embedded Okta Cloud Connect flow (users/me, orgs, apps, SAML
// metadata), with Okta's error type and the retry and rate-limit policy.
// It never logs; every failure is returned as an error, Okta's own as *Error.
//
// The client talks only to https hosts under the allowed Okta domain
// suffixes. For tests and development, Config.DevEndpoint sends every
// request to one plain-HTTP address (the emulator in package oktatest)
// while keeping the org's host name in the Host header.
package okta
