// Package provision runs one signup through the Embedded Okta Cloud
// Connect flow, one step at a time, committing each step's outcome to the
// journal before the next step starts:
//
//	received ─check token─► checked ─create org─► org_created ─create app─►
//	app_created ─fetch metadata─► provisioned (TenantProvisioned queued)
//
// An existing tenant skips org creation. Before a non-idempotent call the
// journal records the attempt (org_pending, app_pending); a signup found in
// such a state after a crash is reconciled, never repeated blindly. Every
// final state queues exactly one result event through the outbox in the
// same transaction.
package provision
