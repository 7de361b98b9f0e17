package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/embedded"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/provision"
	"github.com/embedded-occ/provisioner/publisher"
)

// Runtime is a running provisioner: broker connection, store, worker,
// consumer, relay, advisories watcher and HTTP endpoints.
type Runtime struct {
	Config   *Config
	Log      zerolog.Logger
	NC       *nats.Conn
	JS       jetstream.JetStream
	NATS     *embedded.Server // set when embedded
	Emulator *oktatest.Server // set in development mode
	Store    *outbox.Store
	Worker   *provision.Worker
	Consumer *consumer.Consumer
	Relay    *publisher.Relay
	Metrics  *Metrics
	Streams  consumer.Streams
	Subjects events.Subjects

	exhausted *consumer.Exhausted
	http      *http.Server
	httpLn    net.Listener
	closers   []func() error
}

// Options adjust Start for the demo and tests.
type Options struct {
	// EmbeddedPort overrides Config.EmbeddedPort (0 = random).
	EmbeddedPort *int
	// Emulator is used instead of starting one in development mode.
	Emulator *oktatest.Server
	// NoHTTP skips the HTTP endpoints.
	NoHTTP bool
	// OnPublished is called for each relayed outbox row.
	OnPublished func(outbox.Message)
}

// Start validates cfg for its mode and starts every part. On error every
// part started so far is stopped again.
func Start(ctx context.Context, cfg *Config, log zerolog.Logger, opts Options) (rt *Runtime, err error) {
	// started is kept apart from rt: "return nil, err" sets rt to nil
	// before the deferred clean-up runs.
	started := &Runtime{Config: cfg, Log: log, Streams: consumer.DefaultStreams(), Subjects: cfg.subjects()}
	rt = started
	defer func() {
		if err != nil {
			started.Close()
			rt = nil
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dev {
		log.Warn().Msg("DEVELOPMENT MODE: embedded NATS, Okta emulator, generated keys and plain-text " +
			"secrets accepted; never use --dev in production")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := rt.startNATS(ctx, opts); err != nil {
		return nil, err
	}
	if err := rt.startOkta(ctx, opts); err != nil {
		return nil, err
	}
	if err := rt.startCore(ctx, opts); err != nil {
		return nil, err
	}
	return rt, nil
}

func (rt *Runtime) onClose(f func() error) { rt.closers = append(rt.closers, f) }

func (rt *Runtime) startNATS(ctx context.Context, opts Options) error {
	cfg := rt.Config
	url := cfg.NATSURL
	if url == "" {
		port := cfg.EmbeddedPort
		if opts.EmbeddedPort != nil {
			port = *opts.EmbeddedPort
		}
		ns, err := embedded.Start(embedded.Options{Dir: cfg.DataDir, Port: port})
		if err != nil {
			return err
		}
		rt.NATS = ns
		rt.onClose(func() error { ns.Shutdown(); return nil })
		url = ns.URL()
		rt.Log.Info().Str("nats_url", url).Msg("embedded NATS with JetStream started")
	}
	nopts, err := cfg.natsOptions(rt.Log)
	if err != nil {
		return err
	}
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return fmt.Errorf("connect to NATS (PROVISIONER_NATS_URL): %w", err)
	}
	rt.NC = nc
	rt.onClose(func() error { return nc.Drain() })
	if rt.JS, err = jetstream.New(nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if cfg.CreateStreams {
		if err := consumer.EnsureStreams(ctx, rt.JS, rt.Streams, rt.Subjects, cfg.Durable); err != nil {
			return err
		}
	}
	return nil
}

func (rt *Runtime) startOkta(ctx context.Context, opts Options) error {
	cfg := rt.Config
	if !cfg.Dev || cfg.OktaDevEndpoint != "" {
		return nil
	}
	emu := opts.Emulator
	if emu == nil {
		emu = oktatest.New(oktatest.Options{ISVHost: cfg.OktaISVHost, ISVToken: cfg.OktaToken})
		if err := emu.Start("127.0.0.1:0"); err != nil {
			return fmt.Errorf("start okta emulator: %w", err)
		}
		rt.onClose(emu.Close)
		seeded, err := SeedExampleOrgs(emu, "examples")
		if err != nil {
			rt.Log.Warn().Err(err).Msg("cannot seed the emulator from examples/")
		}
		rt.Log.Warn().Str("okta_dev_endpoint", emu.URL()).Int("example_orgs", seeded).
			Msg("DEVELOPMENT MODE: Okta calls go to the in-process emulator")
	}
	rt.Emulator = emu
	cfg.OktaDevEndpoint = emu.URL()
	return nil
}

func (rt *Runtime) startCore(ctx context.Context, opts Options) error {
	cfg := rt.Config
	sealKeys, storeKeys, err := cfg.keyrings()
	if err != nil {
		return err
	}
	rt.Store, err = outbox.Open(ctx, filepath.Join(cfg.DataDir, "provisioner.db"), outbox.Options{
		Keyring: storeKeys, Synchronous: cfg.Synchronous,
	})
	if errors.Is(err, outbox.ErrWrongKey) {
		return fmt.Errorf("setting PROVISIONER_STORE_KEYS: %w", err)
	}
	if err != nil {
		return err
	}
	rt.onClose(rt.Store.Close)
	rt.Metrics = NewMetrics(rt.Store)

	client, err := okta.New(okta.Config{
		AllowedSuffixes: cfg.OktaSuffixes, DevEndpoint: cfg.OktaDevEndpoint,
		RequestTimeout: cfg.OktaTimeout, Observe: rt.Metrics.Exchange,
	})
	if err != nil {
		return fmt.Errorf("okta client: %w", err)
	}
	if err := client.CheckHost(cfg.OktaISVHost); err != nil {
		return fmt.Errorf("setting PROVISIONER_OKTA_ISV_HOST: %w", err)
	}
	crash, err := crashHook(os.Getenv(CrashEnv), cfg.Dev, rt.Log)
	if err != nil {
		return err
	}
	owner := fmt.Sprintf("%s-%d", hostname(), os.Getpid())
	rt.Worker, err = provision.New(provision.Config{
		Store: rt.Store, Okta: client,
		Retry:   okta.RetryPolicy{MaxAttempts: cfg.RetryAttempts, MaxHold: cfg.RetryMaxHold},
		ISVHost: cfg.OktaISVHost, ISVToken: cfg.OktaToken,
		Secrets: sealKeys, AllowPlainSecrets: cfg.AllowPlainSecrets,
		Subjects: rt.Subjects, Owner: owner, MaxDeliver: cfg.MaxDeliver,
		// Leases are renewed while a signup is worked on, so a crashed
		// worker's signups are free again soon after JetStream redelivers.
		Lease: 2 * cfg.AckWait, ISVRecheck: cfg.ISVRecheck,
		Observer: rt.Metrics, Logger: rt.Log, CrashHook: crash,
	})
	if err != nil {
		return err
	}
	rt.Consumer, err = consumer.New(consumer.Config{
		JS: rt.JS, Worker: rt.Worker, Stream: rt.Streams.Signups, Durable: cfg.Durable,
		Subject: rt.Subjects.Signup, Concurrency: cfg.Concurrency, AckWait: cfg.AckWait,
		MaxDeliver: cfg.MaxDeliver, MaxEventBytes: cfg.MaxEventBytes, Grace: cfg.Grace,
		Observer: rt.Metrics, Logger: rt.Log,
	})
	if err != nil {
		return err
	}
	onPub := rt.Metrics.Published
	if opts.OnPublished != nil {
		onPub = func(m outbox.Message) { rt.Metrics.Published(m); opts.OnPublished(m) }
	}
	rt.Relay, err = publisher.NewRelay(publisher.RelayConfig{
		Store: rt.Store, JS: rt.JS, Owner: owner, Retention: cfg.OutboxRetention,
		OnPublished: onPub, Logger: rt.Log, CrashHook: crash,
	})
	if err != nil {
		return err
	}
	rt.Metrics.Watch(rt)
	rt.exhausted = &consumer.Exhausted{
		JS: rt.JS, Worker: rt.Worker, Streams: rt.Streams, Durable: cfg.Durable,
		MaxBytes: cfg.MaxEventBytes, Logger: rt.Log,
	}
	if !opts.NoHTTP {
		// Listen now, so that a taken port fails the start and HTTPAddr
		// knows the port when the setting asked for port 0.
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("setting PROVISIONER_HTTP_ADDR: %w", err)
		}
		rt.httpLn = ln
		rt.onClose(func() error { ln.Close(); return nil })
		rt.http = &http.Server{Addr: cfg.HTTPAddr, Handler: rt.Handler(),
			ReadHeaderTimeout: 5 * time.Second}
	}
	return nil
}

// HTTPAddr is the address the HTTP endpoints listen on, e.g.
// "127.0.0.1:8080", or "" when they are off. Start binds it; Run serves.
func (rt *Runtime) HTTPAddr() string {
	if rt.httpLn == nil {
		return ""
	}
	return rt.httpLn.Addr().String()
}

// Run runs every loop until ctx ends, then stops them in order: the
// consumer finishes in-flight signups, the relay publishes what they
// committed, then the HTTP server stops.
func (rt *Runtime) Run(ctx context.Context) error {
	if err := rt.Worker.CheckISV(ctx); err != nil {
		rt.Log.Error().Err(err).Msg("the isv token does not work yet; signups wait until it does")
	}
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelay()
	g, gctx := errgroup.WithContext(ctx)
	relayDone := make(chan error, 1)
	go func() { relayDone <- rt.Relay.Run(relayCtx) }()
	g.Go(func() error { return rt.Consumer.Run(gctx) })
	g.Go(func() error { return rt.exhausted.Run(gctx) })
	g.Go(func() error { return rt.watchISV(gctx) })
	if rt.http != nil {
		ln := rt.httpLn
		rt.Log.Info().Str("http_addr", ln.Addr().String()).Msg("serving /healthz /readyz /metrics /v1/signups")
		g.Go(func() error {
			if err := rt.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
			defer cancel()
			return rt.http.Shutdown(sctx)
		})
	}
	err := g.Wait()
	stopRelay()
	if rerr := <-relayDone; err == nil {
		err = rerr
	}
	return err
}

// watchISV rechecks the ISV token while Okta rejects it.
func (rt *Runtime) watchISV(ctx context.Context) error {
	every := rt.Config.ISVRecheck
	if every <= 0 {
		every = 30 * time.Second // a Config built without Load
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if !rt.Worker.ISVHealthy() {
				rt.Worker.CheckISV(ctx)
			}
		}
	}
}

// Close stops every part Start started, last first, and returns the first
// error.
func (rt *Runtime) Close() error {
	var first error
	for i := len(rt.closers) - 1; i >= 0; i-- {
		if err := rt.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	rt.closers = nil
	return first
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "provisioner"
	}
	return h
}
