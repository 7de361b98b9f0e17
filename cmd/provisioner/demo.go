package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/publisher"
)

// runDemo is `provisioner demo`: embedded NATS, the Okta emulator and the
// worker in one process; it publishes the bundled examples, prints every
// result event as one JSON line on stdout, and checks each against what
// the example expects.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	examplesDir := fs.String("examples", "examples", "folder of the example signup events")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up when the results take longer")
	os.Setenv("PROVISIONER_LOG_LEVEL", envOr("PROVISIONER_LOG_LEVEL", "warn"))
	cfg, err := app.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if !flagSet(fs, "data-dir") && os.Getenv("PROVISIONER_DATA_DIR") == "" {
		if cfg.DataDir, err = os.MkdirTemp("", "provisioner-demo-"); err != nil {
			return err
		}
	}
	cfg.Dev, cfg.NATSURL, cfg.OktaDevEndpoint = true, "", ""
	log := app.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "demo: "+format+"\n", a...) }

	isvToken := "demo-isv-" + randHex()
	emu := oktatest.New(oktatest.Options{ISVHost: "acme.oktapreview.com", ISVToken: isvToken})
	if err := emu.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start okta emulator: %w", err)
	}
	defer emu.Close()
	if _, err := app.SeedExampleOrgs(emu, *examplesDir); err != nil {
		return err
	}
	cfg.OktaISVHost, cfg.OktaToken = "acme.oktapreview.com", isvToken

	zero := 0
	rt, err := app.Start(ctx, cfg, log, app.Options{EmbeddedPort: &zero, Emulator: emu, NoHTTP: true})
	if err != nil {
		return err
	}
	defer rt.Close()
	say("embedded NATS at %s, Okta emulator at %s", rt.NATS.URL(), emu.URL())

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runDone := make(chan error, 1)
	go func() { runDone <- rt.Run(runCtx) }()

	results := newResultWatch()
	if err := results.follow(runCtx, rt.JS, rt.Streams.Results, stdout); err != nil {
		return err
	}
	err = publishExamples(ctx, rt, *examplesDir, results, *timeout, say)
	stop()
	if rerr := <-runDone; err == nil && rerr != nil {
		err = rerr
	}
	say("data directory left in place: %s", cfg.DataDir)
	return err
}

// publishExamples publishes every example in order and checks its result.
func publishExamples(ctx context.Context, rt *app.Runtime, dir string, results *resultWatch,
	timeout time.Duration, say func(string, ...any)) error {
	keys, _, err := rt.Config.SealingKeyring()
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, ex := range app.Examples {
		ev, s, err := app.LoadExample(dir, ex.File)
		if err != nil {
			return err
		}
		ids[ex.File] = ev.ID
		if ex.After != "" {
			if _, err := results.wait(ctx, ids[ex.After], timeout); err != nil {
				return err
			}
		}
		body, err := events.MarshalSealed(ev, s, keys)
		if err != nil {
			return err
		}
		if _, err := publisher.PublishRaw(ctx, rt.JS, rt.Subjects.Signup, ev.ID, body); err != nil {
			return err
		}
		say("published %s (%s)", ex.File, ev.ID)
	}
	var problems []string
	ok := 0
	for _, ex := range app.Examples {
		got, err := results.wait(ctx, ids[ex.File], timeout)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", ex.File, err))
			continue
		}
		if msg := got.check(ex); msg != "" {
			problems = append(problems, ex.File+": "+msg)
			continue
		}
		ok++
		say("%-38s %s %s", ex.File, got.kind, got.code)
	}
	if len(problems) > 0 {
		return fmt.Errorf("demo: %d of %d examples did not get the expected result:\n  %s",
			len(problems), len(app.Examples), strings.Join(problems, "\n  "))
	}
	say("all %d examples got their expected result", ok)
	return nil
}

// result is what the demo learned from one result event.
type result struct {
	kind, code string
	causes     string
}

func (r result) check(ex app.Example) string {
	if r.kind != ex.Want {
		return fmt.Sprintf("got %s %s, want %s %s", r.kind, r.code, ex.Want, ex.Code)
	}
	if ex.Code != "" && r.code != ex.Code {
		return fmt.Sprintf("got error %s, want %s", r.code, ex.Code)
	}
	if ex.Cause != "" && !strings.Contains(r.causes, ex.Cause) {
		return fmt.Sprintf("error causes %q do not name %s", r.causes, ex.Cause)
	}
	return ""
}

// resultWatch follows the results stream and remembers each signup's
// result.
type resultWatch struct {
	mu      sync.Mutex
	byID    map[string]result
	changed chan struct{}
}

func newResultWatch() *resultWatch {
	return &resultWatch{byID: map[string]result{}, changed: make(chan struct{})}
}

func (w *resultWatch) follow(ctx context.Context, js jetstream.JetStream, stream string, stdout io.Writer) error {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("follow results: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		fmt.Fprintln(stdout, string(m.Data()))
		var ev events.Event
		if json.Unmarshal(m.Data(), &ev) != nil {
			return
		}
		var data struct {
			SignupID string              `json:"signupId"`
			Error    events.FailureError `json:"error"`
		}
		if json.Unmarshal(ev.Data, &data) != nil {
			return
		}
		r := result{kind: "provisioned"}
		if ev.Type == events.TypeProvisioningFailed {
			r = result{kind: "failed", code: data.Error.ErrorCode}
			for _, c := range data.Error.ErrorCauses {
				r.causes += c.ErrorSummary + "; "
			}
		}
		w.mu.Lock()
		w.byID[data.SignupID] = r
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("follow results: %w", err)
	}
	go func() { <-ctx.Done(); cc.Stop() }()
	return nil
}

func (w *resultWatch) wait(ctx context.Context, id string, timeout time.Duration) (result, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		r, ok := w.byID[id]
		ch := w.changed
		w.mu.Unlock()
		if ok {
			return r, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return result{}, errors.New("no result within " + timeout.String())
		case <-ctx.Done():
			return result{}, ctx.Err()
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
