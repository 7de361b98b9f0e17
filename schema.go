// Package provisioner is the module root. It holds the SQLite schema that
// package outbox applies at start-up.
package provisioner

import _ "embed"

// Schema is schema.sql, the SQLite schema of the journal and the outbox.
//
//go:embed schema.sql
var Schema string
