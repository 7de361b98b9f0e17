package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/publisher"
)

// waitLimit bounds every wait; it is a failure bound, not a pace.
const waitLimit = 45 * time.Second

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// feed collects items as they arrive and wakes waiters on each one.
type feed[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{}
}

func newFeed[T any]() *feed[T] { return &feed[T]{changed: make(chan struct{})} }

func (f *feed[T]) add(v T) {
	f.mu.Lock()
	f.items = append(f.items, v)
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *feed[T]) all() []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]T(nil), f.items...)
}

// waitN waits until n items match pred and returns them.
func (f *feed[T]) waitN(t testing.TB, what string, n int, pred func(T) bool) []T {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		var got []T
		for _, v := range f.items {
			if pred(v) {
				got = append(got, v)
			}
		}
		ch := f.changed
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%s: got %d, want %d within %s", what, len(got), n, waitLimit)
		}
	}
}

// received is one message read back from a result or dead-letter stream.
type received struct {
	Stream   string
	Subject  string
	Raw      []byte
	Event    events.Event
	SignupID string
}

// harnessOptions adjust startHarness.
type harnessOptions struct {
	// ISVHost is the ISV's org; default acme.oktapreview.com.
	ISVHost string
	// ISVToken is the ISV's token; default a random one.
	ISVToken string
	// DataDir is the data directory; default a new one under t.TempDir.
	DataDir string
	// StoreKeys and SealKeys default to fresh keyrings.
	StoreKeys, SealKeys string
	// Args are extra command-line settings.
	Args []string
	// Emulator, when set, is used instead of a new one.
	Emulator *oktatest.Server
}

// harness is a running product: embedded NATS, SQLite, the worker, the
// relay, and the emulator over HTTP, plus a producer's connection that
// publishes signups and follows the result and dead-letter streams.
type harness struct {
	t        testing.TB
	emu      *oktatest.Server
	rt       *app.Runtime
	cfg      *app.Config
	keys     *events.Keyring // the producer's sealing keyring
	isvToken string
	dataDir  string
	logs     *syncBuffer

	nc      *nats.Conn
	js      jetstream.JetStream
	results *feed[received]
	dead    *feed[received]
	handled *feed[consumer.HandledEvent]

	stopOnce sync.Once
	stop     func()
	runErr   error
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// uniq returns prefix with a random suffix, usable as a DNS label.
func uniq(prefix string) string { return prefix + "-" + randHex(4) }

func noEnv(string) string { return "" }

// loadConfig parses args like the CLI does, with an empty environment.
func loadConfig(t testing.TB, args ...string) *app.Config {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	cfg, err := app.Load(fs, args, noEnv)
	if err != nil {
		t.Fatalf("load settings: %v", err)
	}
	return cfg
}

func genKeyring(t testing.TB, kid string) string {
	t.Helper()
	spec, err := events.GenerateKeyringSpec(kid)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// startHarness starts the product in development mode against an Okta
// emulator on its own loopback port, reached through
// --okta-dev-endpoint, with the ISV token read from a file.
func startHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	if o.ISVHost == "" {
		o.ISVHost = oktatest.DefaultISVHost
	}
	if o.ISVToken == "" {
		o.ISVToken = "00isv" + randHex(18)
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(t.TempDir(), "data")
	}
	if o.SealKeys == "" {
		o.SealKeys = genKeyring(t, "producer-1")
	}
	if o.StoreKeys == "" {
		o.StoreKeys = genKeyring(t, "store-1")
	}
	emu := o.Emulator
	if emu == nil {
		emu = oktatest.New(oktatest.Options{ISVHost: o.ISVHost, ISVToken: o.ISVToken})
		if err := emu.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
	}
	tokenFile := filepath.Join(t.TempDir(), "isv-token")
	if err := os.WriteFile(tokenFile, []byte(o.ISVToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"--dev",
		"--data-dir", o.DataDir,
		"--okta-dev-endpoint", emu.URL(),
		"--okta-isv-host", o.ISVHost,
		"--okta-token-file", tokenFile,
		"--seal-keys", o.SealKeys,
		"--store-keys", o.StoreKeys,
		"--retry-attempts", "3",
		"--concurrency", "16",
		"--log-level", "trace",
		"--log-format", "json",
	}, o.Args...)
	cfg := loadConfig(t, args...)
	keys, err := events.ParseKeyring(o.SealKeys)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, emu: emu, cfg: cfg, keys: keys, isvToken: o.ISVToken, dataDir: o.DataDir,
		logs:    &syncBuffer{},
		results: newFeed[received](),
		dead:    newFeed[received](),
		handled: newFeed[consumer.HandledEvent](),
	}
	log := app.NewLogger(h.logs, cfg.LogLevel, cfg.LogFormat)
	zero := 0
	ctx := context.Background()
	rt, err := app.Start(ctx, cfg, log, app.Options{EmbeddedPort: &zero, NoHTTP: true})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	h.rt = rt
	handled := rt.Consumer.Handled()

	// The producer and the downstream reader use their own connection.
	h.nc, err = nats.Connect(rt.NATS.URL())
	if err != nil {
		rt.Close()
		t.Fatal(err)
	}
	h.js, _ = jetstream.New(h.nc)
	var ccs []jetstream.ConsumeContext
	for _, f := range []struct {
		stream string
		feed   *feed[received]
	}{{rt.Streams.Results, h.results}, {rt.Streams.Dead, h.dead}} {
		cc, err := follow(ctx, h.js, f.stream, f.feed)
		if err != nil {
			h.nc.Close()
			rt.Close()
			t.Fatal(err)
		}
		ccs = append(ccs, cc)
	}

	runCtx, cancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- rt.Run(runCtx) }()
	handledDone := make(chan struct{})
	go func() {
		defer close(handledDone)
		for {
			select {
			case ev := <-handled:
				h.handled.add(ev)
			case <-runCtx.Done():
				return
			}
		}
	}()
	h.stop = func() {
		cancel()
		select {
		case h.runErr = <-runDone:
		case <-time.After(waitLimit):
			t.Errorf("runtime did not stop within %s", waitLimit)
		}
		<-handledDone
		for _, cc := range ccs {
			cc.Stop()
		}
		h.nc.Close()
		if err := rt.Close(); err != nil {
			t.Errorf("close runtime: %v", err)
		}
		if h.runErr != nil {
			t.Errorf("run: %v", h.runErr)
		}
	}
	t.Cleanup(func() {
		h.shutdown()
		h.checkEmitted(t)
	})
	return h
}

// shutdown stops the runtime once.
func (h *harness) shutdown() { h.stopOnce.Do(h.stop) }

// follow copies every message of stream into f, from the start.
func follow(ctx context.Context, js jetstream.JetStream, stream string,
	f *feed[received]) (jetstream.ConsumeContext, error) {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	return cons.Consume(func(m jetstream.Msg) {
		r := received{Stream: stream, Subject: m.Subject(), Raw: bytes.Clone(m.Data())}
		if json.Unmarshal(r.Raw, &r.Event) == nil {
			var data struct {
				SignupID string `json:"signupId"`
			}
			json.Unmarshal(r.Event.Data, &data)
			r.SignupID = data.SignupID
		}
		f.add(r)
	})
}

// checkEmitted validates every result and dead letter the product emitted
// against its JSON Schema.
func (h *harness) checkEmitted(t testing.TB) {
	t.Helper()
	all := append(h.results.all(), h.dead.all()...)
	for _, r := range all {
		if err := events.ValidateEvent(r.Raw); err != nil {
			t.Errorf("%s event %s (%s) breaks its schema: %v", r.Stream, r.Event.ID, r.Event.Type, err)
		}
	}
}

// mustValidate validates one emitted event now.
func mustValidate(t testing.TB, r received) {
	t.Helper()
	if err := events.ValidateEvent(r.Raw); err != nil {
		t.Fatalf("%s event %s (%s) breaks its schema: %v\n%s", r.Stream, r.Event.ID, r.Event.Type,
			err, r.Raw)
	}
}

// newEvent is a signup.requested envelope with id, as a producer makes it.
func newEvent(id string) *events.Event {
	return &events.Event{
		SpecVersion:     events.SpecVersion,
		ID:              id,
		Source:          "https://signup.acme.example/",
		Type:            events.TypeSignupRequested,
		Time:            time.Now().UTC().Truncate(time.Millisecond),
		DataContentType: events.ContentTypeJSON,
	}
}

// newTenant is a valid new-tenant signup for subdomain, with the seed's
// servicenow_app2 app labelled label.
func newTenant(subdomain, label string) *events.Signup {
	return &events.Signup{
		Tenant: events.TenantNew,
		Org: &events.NewOrg{
			Subdomain: subdomain,
			Name:      "MyCompany Inc",
			Website:   "https://www.mycompany.example",
			Edition:   "DIRECTORY",
			Licensing: &events.Licensing{Apps: []string{"boxnet"}},
			Admin: events.Admin{
				Profile: events.AdminProfile{
					FirstName: "Joe", LastName: "Smith",
					Email: "joe@mycompany.example", Login: "joe@mycompany.example",
				},
				Credentials: &events.AdminCredentials{
					Password: &events.Password{Value: events.PlainSecret("L0v30ktA!x")},
					RecoveryQuestion: &events.RecoveryQuestion{
						Question: "What is your favorite IDaaS?",
						Answer:   events.PlainSecret("Okta all the way"),
					},
				},
			},
		},
		App: seedApp(label),
	}
}

// existingTenant is a valid existing-tenant signup.
func existingTenant(domain, token, label string) *events.Signup {
	return &events.Signup{
		Tenant:   events.TenantExisting,
		Existing: &events.ExistingOrg{Domain: domain, APIToken: events.PlainSecret(token)},
		App:      seedApp(label),
	}
}

func seedApp(label string) events.App {
	return events.App{
		Name: "servicenow_app2", Label: label, SignOnMode: events.SignOnModeSAML2,
		Settings: events.AppSettings{App: map[string]any{"loginURL": "https://sleetesting.com/sso/saml"}},
	}
}

// publish seals s's secrets with the producer's keyring and publishes the
// event as a producer does. It returns the event id.
func (h *harness) publish(t testing.TB, ev *events.Event, s *events.Signup) string {
	t.Helper()
	raw, err := events.MarshalSealed(ev, s, h.keys)
	if err != nil {
		t.Fatalf("marshal sealed: %v", err)
	}
	h.publishRaw(t, ev.ID, raw)
	return ev.ID
}

// publishRaw publishes raw bytes on the signup subject with msgID.
func (h *harness) publishRaw(t testing.TB, msgID string, raw []byte) *jetstream.PubAck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ack, err := publisher.PublishRaw(ctx, h.js, h.rt.Subjects.Signup, msgID, raw)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return ack
}

// result waits for the first result event of signup id.
func (h *harness) result(t testing.TB, id string) received {
	t.Helper()
	r := h.results.waitN(t, "results of "+id, 1, func(r received) bool { return r.SignupID == id })[0]
	mustValidate(t, r)
	return r
}

// provisioned waits for signup id's result and wants a TenantProvisioned.
func (h *harness) provisioned(t testing.TB, id string) events.TenantProvisioned {
	t.Helper()
	var data events.TenantProvisioned
	h.resultAs(t, id, events.TypeTenantProvisioned, h.rt.Subjects.Provisioned, &data)
	return data
}

// failed waits for signup id's result and wants a ProvisioningFailed.
func (h *harness) failed(t testing.TB, id string) (events.ProvisioningFailed, received) {
	t.Helper()
	var data events.ProvisioningFailed
	r := h.resultAs(t, id, events.TypeProvisioningFailed, h.rt.Subjects.Failed, &data)
	return data, r
}

// resultAs waits for signup id's result, wants it of type typ on subject,
// and decodes its data into data.
func (h *harness) resultAs(t testing.TB, id, typ, subject string, data any) received {
	t.Helper()
	r := h.result(t, id)
	if r.Event.Type != typ {
		t.Fatalf("result of %s is %s, want %s:\n%s", id, r.Event.Type, typ, r.Raw)
	}
	if r.Subject != subject {
		t.Errorf("subject = %q, want %q", r.Subject, subject)
	}
	if err := json.Unmarshal(r.Event.Data, data); err != nil {
		t.Fatal(err)
	}
	return r
}

// deadLetter waits for the dead letter matching pred.
func (h *harness) deadLetter(t testing.TB, what string,
	pred func(received) bool) (events.DeadLetter, received) {
	t.Helper()
	r := h.dead.waitN(t, what, 1, pred)[0]
	mustValidate(t, r)
	var data events.DeadLetter
	if err := json.Unmarshal(r.Event.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data, r
}

// handledN waits until signup id was handled n times.
func (h *harness) handledN(t testing.TB, id string, n int) []consumer.HandledEvent {
	t.Helper()
	return h.handled.waitN(t, "deliveries of "+strconv.Quote(id), n,
		func(e consumer.HandledEvent) bool { return e.ID == id })
}

// oktaFailure is the Okta answer a ProvisioningFailed should carry.
type oktaFailure struct {
	step, code, summary string
	status              int
	causes              []string
}

// checkOktaFailure checks a ProvisioningFailed against Okta's answer.
func checkOktaFailure(t testing.TB, got events.ProvisioningFailed, want oktaFailure) {
	t.Helper()
	e := got.Error
	if got.Step != want.step {
		t.Errorf("step = %q, want %q", got.Step, want.step)
	}
	if e.Source != events.SourceOkta {
		t.Errorf("source = %q, want %q", e.Source, events.SourceOkta)
	}
	if e.ErrorCode != want.code {
		t.Errorf("errorCode = %q, want %q", e.ErrorCode, want.code)
	}
	if e.ErrorSummary != want.summary {
		t.Errorf("errorSummary = %q, want %q", e.ErrorSummary, want.summary)
	}
	if e.HTTPStatus != want.status {
		t.Errorf("httpStatus = %d, want %d", e.HTTPStatus, want.status)
	}
	if !strings.HasPrefix(e.ErrorID, "oae") {
		t.Errorf("errorId = %q, want Okta's (oae...)", e.ErrorID)
	}
	if e.RequestID == "" {
		t.Errorf("requestId is empty, want Okta's X-Okta-Request-Id")
	}
	var causes []string
	for _, c := range e.ErrorCauses {
		causes = append(causes, c.ErrorSummary)
	}
	if strings.Join(causes, "\n") != strings.Join(want.causes, "\n") {
		t.Errorf("errorCauses = %q, want %q", causes, want.causes)
	}
	if got.SignupID == "" || got.Attempts < 1 {
		t.Errorf("signupId %q attempts %d: want both set", got.SignupID, got.Attempts)
	}
}
