package main

import (
	"fmt"
	"io"
	"os"

	"github.com/embedded-occ/provisioner/internal/app"
)

// runConfig is `provisioner config`: the effective settings, secrets
// redacted, after validation.
func runConfig(args []string, stdout, stderr io.Writer) error {
	cfg, err := app.Load(newFlags("config", stderr), args, os.Getenv)
	if err != nil {
		return err
	}
	verr := cfg.Validate()
	for _, line := range cfg.Redacted() {
		fmt.Fprintln(stdout, line)
	}
	return verr
}
