// Command provisioner provisions Okta tenants from JetStream signup events.
//
//	provisioner run [--dev] [flags]     the worker daemon
//	provisioner demo                    the whole flow on embedded defaults
//	provisioner publish FILE|-          publish a signup event
//	provisioner dlq list|show|replay|purge
//	provisioner config                  print the effective configuration
//	provisioner keygen KID              print a new keyring entry
//
// Every flag also has an environment variable; see `provisioner run -h`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/embedded-occ/provisioner/internal/app"
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func main() {
	app.SpareProc()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ue *usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "provisioner:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "provisioner:", err)
		os.Exit(1)
	}
}

const usage = `usage: provisioner COMMAND [flags]

commands:
  run       run the worker (add --dev for embedded NATS and the Okta emulator)
  demo      run the bundled example signups end to end and print the results
  publish   publish a signup event file (or - for stdin)
  dlq       list, show, replay or purge dead-lettered signups
  config    print the effective configuration, secrets redacted
  keygen    print a new key for PROVISIONER_SEAL_KEYS or PROVISIONER_STORE_KEYS

Run "provisioner COMMAND -h" for a command's flags.`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runDaemon(ctx, rest, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "publish":
		return runPublish(ctx, rest, stdin, stdout, stderr)
	case "dlq":
		return runDLQ(ctx, rest, stdout, stderr)
	case "config":
		return runConfig(rest, stdout, stderr)
	case "keygen":
		return runKeygen(rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("provisioner "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
