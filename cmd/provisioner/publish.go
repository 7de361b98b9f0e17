package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/publisher"
)

// runPublish is `provisioner publish FILE|-`: validate a signup event,
// seal its secrets and publish it; print its id.
func runPublish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("publish", stderr)
	cfg, err := app.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"publish wants one FILE argument (or - for stdin)"}
	}
	raw, err := readInput(fs.Arg(0), stdin, cfg.MaxEventBytes)
	if err != nil {
		return err
	}
	ev, signup, err := events.DecodeSignup(raw, cfg.MaxEventBytes)
	if err == nil {
		err = signup.Validate()
	}
	if err != nil {
		return describeInvalid(stderr, fs.Arg(0), err)
	}

	keys, source, err := cfg.SealingKeyring()
	if err != nil {
		return err
	}
	if keys == nil {
		return errors.New("no sealing key: set PROVISIONER_SEAL_KEYS, or start `provisioner run --dev`" +
			" first (it writes development keys to the data directory); nothing published")
	}
	fmt.Fprintf(stderr, "sealing secrets with %s\n", source)
	body, err := events.MarshalSealed(ev, signup, keys)
	if err != nil {
		return err
	}
	nc, js, err := cfg.Connect(zerolog.Nop())
	if err != nil {
		return err
	}
	defer nc.Close()
	ack, err := publisher.PublishRaw(ctx, js, cfg.SignupSubject, ev.ID, body)
	if err != nil {
		return err
	}
	if ack.Duplicate {
		fmt.Fprintf(stderr, "JetStream already had event %s (duplicate within the dedup window)\n", ev.ID)
	}
	fmt.Fprintln(stdout, ev.ID)
	return nil
}

// readInput reads FILE or stdin, refusing more than limit bytes.
func readInput(name string, stdin io.Reader, limit int) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes (PROVISIONER_MAX_EVENT_BYTES); nothing published", name, limit)
	}
	return raw, nil
}

// describeInvalid prints every problem of an invalid signup file.
func describeInvalid(stderr io.Writer, name string, err error) error {
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("%s: %w; nothing published", name, err)
	}
	fmt.Fprintf(stderr, "%s is not a valid signup event; nothing published. Problems found: %d\n",
		name, len(verr.Problems))
	for _, p := range verr.Problems {
		field := p.Field
		if field == "" {
			field = "(event)"
		}
		fmt.Fprintf(stderr, "  %s: %s [%s]\n", field, p.Message, p.Rule)
	}
	return fmt.Errorf("%s: invalid signup event", name)
}
