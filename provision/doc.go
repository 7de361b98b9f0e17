// Package provision runs one signup through the Embedded Okta Cloud
// Connect flow, one step at a time, committing each step's outcome to the
// journal before the next non-idempotent call:
//
//	received ─check token─► org_pending ─create org─► app_pending
//	─create app, fetch metadata─► provisioned (TenantProvisioned queued)
//
// A signup the journal has never seen is recorded (received, leased) in
// the same commit as its token check. An existing tenant skips org
// creation. Before a non-idempotent call the journal records the attempt
// (org_pending, app_pending), in the same commit as the step before it; a
// signup found in such a state after a crash is reconciled, never repeated
// blindly. The created app is committed with the step after the metadata
// fetch (a read): the result, a failure, or a wait (state app_created);
// after a crash in between, the app is found again by its label. Every
// final state queues exactly one result event through the outbox in the
// same transaction.
package provision
