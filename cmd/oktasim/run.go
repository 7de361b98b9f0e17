package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// hooks are run's dependencies on the process, replaced in tests.
type hooks struct {
	getenv func(string) string
	// ready, when set, is called with the base URL once serving.
	ready func(url string)
}

// run serves the emulator until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, stdout, stderr, hooks{getenv: os.Getenv})
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, h hooks) error {
	cfg, err := parseFlags(args, h.getenv, stderr)
	if err != nil {
		return err
	}
	logger := zerolog.New(stderr).With().Timestamp().Logger()
	if !cfg.quiet {
		cfg.opts.OnRequest = func(r oktatest.Request) { logRequest(&logger, r) }
	}
	sim := oktatest.New(cfg.opts)
	for _, l := range cfg.limits {
		if err := sim.SetRateLimit(l.bucket, l.n, l.window); err != nil {
			return err
		}
	}
	for _, f := range cfg.faults {
		sim.SetFault(f.endpoint, f.fault)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: withAdmin(sim), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "oktasim: serving on %s (ISV org %s)\n", url, cfg.opts.ISVHost)
	if h.ready != nil {
		h.ready(url)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		_ = sim.Close()
		return fmt.Errorf("serve: %w", err)
	}
	// Close the emulator first: it wakes requests sleeping on latency.
	_ = sim.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(stdout, "oktasim: stopped")
	return nil
}

// logRequest logs one request; the record holds no secret.
func logRequest(l *zerolog.Logger, r oktatest.Request) {
	ev := l.Info()
	if r.Status == 0 || r.Status >= 500 {
		ev = l.Warn()
	}
	ev.Str("method", r.Method).
		Str("endpoint", string(r.Endpoint)).
		Str("host", strings.ToLower(r.Host)).
		Int("status", r.Status).
		Str("okta_error_code", r.ErrorCode).
		Str("okta_request_id", r.RequestID).
		Dur("duration", r.Duration).
		Bool("fault", r.Fault).
		Msg("request")
}
