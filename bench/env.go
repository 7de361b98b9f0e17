package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/embedded"
	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// Names the benchmark gives the ISV's org.
const (
	isvHost  = "acme.oktapreview.com"
	isvToken = "bench-isv-token"
)

// env is one scenario's world: a temporary directory, an embedded NATS
// server with the product's streams, and an Okta emulator, all in process
// and on loopback.
type env struct {
	dir      string
	ns       *embedded.Server
	nc       *nats.Conn
	js       jetstream.JetStream
	emu      *oktatest.Server // in process, unless ext is set
	ext      *external        // the emulator in a process of its own
	emuURL   string
	streams  consumer.Streams
	subjects events.Subjects
	seal     *events.Keyring // seals the signups' secrets
	store    *events.Keyring // seals org tokens in SQLite

	reqMu    sync.Mutex
	requests []oktatest.Request // kept only when record is set
	record   bool
}

// envOptions shape the emulator.
type envOptions struct {
	latency time.Duration
	// record keeps every emulator request (rate-limit scenario).
	record bool
	// external runs the emulator in a process of its own, as Okta is in
	// production, so that the scenario's process is the worker (and NATS)
	// alone: its peak memory and scheduling are the worker's.
	external bool
}

func newEnv(ctx context.Context, o envOptions) (*env, error) {
	dir, err := os.MkdirTemp("", "provisioner-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, streams: consumer.DefaultStreams(), subjects: events.DefaultSubjects(),
		record: o.record}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	if e.ns, err = embedded.Start(embedded.Options{Dir: dir}); err != nil {
		return nil, err
	}
	if e.nc, err = nats.Connect(e.ns.URL()); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		return nil, err
	}
	if err := consumer.EnsureStreams(ctx, e.js, e.streams, e.subjects, "provisioner"); err != nil {
		return nil, err
	}
	if o.external {
		if e.ext, err = startExternal(ctx, o.latency); err != nil {
			return nil, err
		}
		e.emuURL = e.ext.url
	} else {
		if e.emu, err = newEmulator(o.latency, e.onRequest); err != nil {
			return nil, err
		}
		e.emuURL = e.emu.URL()
	}
	for _, k := range []**events.Keyring{&e.seal, &e.store} {
		spec, err := events.GenerateKeyringSpec("bench")
		if err != nil {
			return nil, err
		}
		if *k, err = events.ParseKeyring(spec); err != nil {
			return nil, err
		}
	}
	ok = true
	return e, nil
}

func (e *env) onRequest(r oktatest.Request) {
	if !e.record {
		return
	}
	e.reqMu.Lock()
	e.requests = append(e.requests, r)
	e.reqMu.Unlock()
}

func (e *env) recorded() []oktatest.Request {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	return append([]oktatest.Request(nil), e.requests...)
}

func (e *env) close() {
	if e.emu != nil {
		e.emu.Close()
	}
	if e.ext != nil {
		e.ext.close()
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.ns != nil {
		e.ns.Shutdown()
	}
	os.RemoveAll(e.dir)
}

// signup returns the i-th benchmark signup: a new tenant with a unique
// subdomain, its secrets sealed, encoded as the producer would publish it.
func (e *env) signup(run string, i int) (id string, raw []byte, err error) {
	id = fmt.Sprintf("bench-%s-%07d", run, i)
	sub := fmt.Sprintf("b%s%07d", run, i)
	s := &events.Signup{
		Tenant: events.TenantNew,
		Org: &events.NewOrg{
			Subdomain: sub, Name: "Bench Co " + sub, Website: "https://www." + sub + ".example",
			Edition: "DIRECTORY", Licensing: &events.Licensing{Apps: []string{"boxnet"}},
			Admin: events.Admin{
				Profile: events.AdminProfile{FirstName: "Joe", LastName: "Smith",
					Email: "joe@" + sub + ".example", Login: "joe@" + sub + ".example"},
				Credentials: &events.AdminCredentials{
					Password: &events.Password{Value: events.PlainSecret("L0v3-Bench!")},
					RecoveryQuestion: &events.RecoveryQuestion{Question: "What is your favorite IDaaS?",
						Answer: events.PlainSecret("Okta")},
				},
			},
		},
		App: events.App{Name: "servicenow_app2", Label: "ACME ServiceNow", SignOnMode: "SAML_2_0",
			Settings: events.AppSettings{App: map[string]any{"loginURL": "https://sleetesting.com/sso/saml"}}},
	}
	ev := &events.Event{SpecVersion: "1.0", ID: id, Source: "https://signup.acme.example/",
		Type: events.TypeSignupRequested, Time: time.Now().UTC().Truncate(time.Millisecond),
		DataContentType: events.ContentTypeJSON}
	raw, err = events.MarshalSealed(ev, s, e.seal)
	return id, raw, err
}

// publishBacklog publishes n signups and waits until JetStream has stored
// them all.
func (e *env) publishBacklog(ctx context.Context, run string, n int) error {
	for start := 0; start < n; start += 2000 {
		var futs []jetstream.PubAckFuture
		for i := start; i < min(n, start+2000); i++ {
			f, err := e.publishAsync(run, i)
			if err != nil {
				return err
			}
			futs = append(futs, f)
		}
		for _, f := range futs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("publish backlog: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

func (e *env) publishAsync(run string, i int) (jetstream.PubAckFuture, error) {
	id, raw, err := e.signup(run, i)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(e.subjects.Signup)
	msg.Data = raw
	msg.Header.Set(jetstream.MsgIDHeader, id)
	return e.js.PublishMsgAsync(msg)
}
