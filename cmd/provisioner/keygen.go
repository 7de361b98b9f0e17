package main

import (
	"fmt"
	"io"

	"github.com/embedded-occ/provisioner/events"
)

// runKeygen is `provisioner keygen KID`: print a new keyring entry
// (kid:base64 of 32 random bytes) for PROVISIONER_SEAL_KEYS or
// PROVISIONER_STORE_KEYS.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"keygen wants one key id, e.g. `provisioner keygen seal-2026-12`"}
	}
	spec, err := events.GenerateKeyringSpec(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, spec)
	return nil
}
