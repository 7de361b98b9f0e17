package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/publisher"
)

const dlqUsage = `usage: provisioner dlq list [--json]
       provisioner dlq show ID
       provisioner dlq replay ID... | --all
       provisioner dlq purge --yes
ID is a signup id or a dead letter's sequence number.`

// runDLQ is `provisioner dlq`: inspect, replay and purge dead letters.
func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dlqUsage)
		return &usageError{"dlq wants a subcommand"}
	}
	sub := args[0]
	fs := newFlags("dlq "+sub, stderr)
	asJSON := fs.Bool("json", false, "list: print JSON instead of a table")
	all := fs.Bool("all", false, "replay: every replayable dead letter")
	yes := fs.Bool("yes", false, "purge: really remove every dead letter")
	cfg, err := app.Load(fs, args[1:], os.Getenv)
	if err != nil {
		return err
	}
	nc, js, err := cfg.Connect(zerolog.Nop())
	if err != nil {
		return err
	}
	defer nc.Close()
	stream := consumer.DefaultStreams().Dead
	entries, err := publisher.ListDead(ctx, js, stream)
	if err != nil {
		return err
	}

	switch sub {
	case "list":
		if *asJSON {
			return json.NewEncoder(stdout).Encode(entries)
		}
		return printDead(stdout, entries)
	case "show":
		if fs.NArg() != 1 {
			return &usageError{"dlq show wants one ID"}
		}
		e, ok := findDead(entries, fs.Arg(0))
		if !ok {
			return fmt.Errorf("no dead letter %q", fs.Arg(0))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	case "replay":
		return replayDead(ctx, cfg, js, stream, entries, fs.Args(), *all, stdout, stderr)
	case "purge":
		if !*yes {
			return &usageError{"dlq purge removes every dead letter; add --yes"}
		}
		n, err := publisher.PurgeDead(ctx, js, stream)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "purged %d dead letters\n", n)
		return nil
	}
	fmt.Fprintln(stderr, dlqUsage)
	return &usageError{fmt.Sprintf("unknown dlq subcommand %q", sub)}
}

func printDead(w io.Writer, entries []publisher.DeadEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tSIGNUP\tREASON\tSTEP\tATTEMPTS\tERROR\tDEAD AT")
	for _, e := range entries {
		code := ""
		if e.Letter.LastError != nil {
			code = e.Letter.LastError.ErrorCode
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Seq, e.Letter.SignupID, e.Letter.Reason,
			e.Letter.Step, e.Letter.Attempts, code, e.Letter.DeadAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func findDead(entries []publisher.DeadEntry, id string) (publisher.DeadEntry, bool) {
	seq, _ := strconv.ParseUint(id, 10, 64)
	for _, e := range entries {
		if e.Letter.SignupID == id || (seq != 0 && e.Seq == seq) {
			return e, true
		}
	}
	return publisher.DeadEntry{}, false
}

func replayDead(ctx context.Context, cfg *app.Config, js jetstream.JetStream, stream string,
	entries []publisher.DeadEntry, ids []string, all bool, stdout, stderr io.Writer) error {
	var todo []publisher.DeadEntry
	switch {
	case all && len(ids) > 0:
		return &usageError{"dlq replay takes IDs or --all, not both"}
	case all:
		for _, e := range entries {
			if len(e.Letter.Original) > 0 {
				todo = append(todo, e)
			}
		}
	case len(ids) == 0:
		return &usageError{"dlq replay wants IDs or --all"}
	default:
		for _, id := range ids {
			e, ok := findDead(entries, id)
			if !ok {
				return fmt.Errorf("no dead letter %q; nothing replayed after it", id)
			}
			todo = append(todo, e)
		}
	}
	progress := app.IsTerminal(stderr)
	var errs []error
	for i, e := range todo {
		msgID, err := publisher.ReplayDead(ctx, js, stream, cfg.SignupSubject, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "%s\t%s\n", e.Letter.SignupID, msgID)
		if progress {
			fmt.Fprintf(stderr, "\rreplayed %d/%d", i+1, len(todo))
		}
	}
	if progress && len(todo) > 0 {
		fmt.Fprintln(stderr)
	}
	return errors.Join(errs...)
}
