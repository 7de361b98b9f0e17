package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/embedded-occ/provisioner/internal/embedded"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/publisher"
)

// isvHost is the ISV's org in every lab.
const isvHost = "acme.oktapreview.com"

// Generous bounds: the suite runs on a slow, busy machine. They only stop
// a test that hangs; no test asserts how fast anything happens.
const (
	resultTimeout = 90 * time.Second
	exitTimeout   = 60 * time.Second
)

// lab is one isolated world: an embedded nats-server (fixed port, so it
// can restart), an Okta emulator, a data directory (one SQLite file) that
// the lab's worker processes share, and the bookkeeping of what was
// published and what came back.
type lab struct {
	t       testing.TB
	dir     string // data directory of the workers
	logDir  string
	ns      *embedded.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	emu     *oktatest.Server
	store   *outbox.Store // the test's own handle on the workers' file
	streams consumer.Streams
	subj    events.Subjects

	isvToken  string
	sealSpec  string
	storeSpec string
	seal      *events.Keyring

	mu        sync.Mutex
	published []signupKey
	results   []result
	nextSeq   uint64
	nworkers  int
}

// signupKey names one signup message: the signup id and its replay
// generation (0 for the original).
type signupKey struct {
	id  string
	gen int
}

// result is one event on the results stream.
type result struct {
	key     signupKey
	eventID string
	typ     string
	data    json.RawMessage
}

// failed decodes a ProvisioningFailed result.
func (r result) failed(tb testing.TB) events.ProvisioningFailed {
	tb.Helper()
	var f events.ProvisioningFailed
	if r.typ != events.TypeProvisioningFailed {
		tb.Fatalf("result %s is %s, want ProvisioningFailed", r.eventID, r.typ)
	}
	if err := json.Unmarshal(r.data, &f); err != nil {
		tb.Fatalf("decode %s: %v", r.eventID, err)
	}
	return f
}

// provisioned decodes a TenantProvisioned result.
func (r result) provisioned(tb testing.TB) events.TenantProvisioned {
	tb.Helper()
	var p events.TenantProvisioned
	if r.typ != events.TypeTenantProvisioned {
		tb.Fatalf("result %s is %s (%s), want TenantProvisioned", r.eventID, r.typ, r.data)
	}
	if err := json.Unmarshal(r.data, &p); err != nil {
		tb.Fatalf("decode %s: %v", r.eventID, err)
	}
	return p
}

// newLab starts a lab. emu may set emulator options; its ISV host and
// token are filled in.
func newLab(t testing.TB, emu oktatest.Options) *lab {
	t.Helper()
	base := t.TempDir()
	l := &lab{
		t:       t,
		dir:     filepath.Join(base, "data"),
		logDir:  filepath.Join(base, "logs"),
		streams: consumer.DefaultStreams(),
		subj:    events.DefaultSubjects(),
	}
	ns, err := embedded.Start(embedded.Options{Dir: filepath.Join(base, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	l.ns = ns
	t.Cleanup(func() { l.ns.Shutdown() })

	l.nc, err = nats.Connect(ns.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.nc.Close)
	if l.js, err = jetstream.New(l.nc); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 30*time.Second)
	if err := consumer.EnsureStreams(ctx, l.js, l.streams, l.subj, "provisioner"); err != nil {
		t.Fatal(err)
	}

	l.isvToken = "isv-" + randHex(12)
	emu.ISVHost, emu.ISVToken = isvHost, l.isvToken
	l.emu = oktatest.New(emu)
	if err := l.emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.emu.Close() })

	l.sealSpec = keyringSpec(t, "faults-seal")
	l.storeSpec = keyringSpec(t, "faults-store")
	if l.seal, err = events.ParseKeyring(l.sealSpec); err != nil {
		t.Fatal(err)
	}
	storeKeys, err := events.ParseKeyring(l.storeSpec)
	if err != nil {
		t.Fatal(err)
	}
	l.store, err = outbox.Open(ctx, filepath.Join(l.dir, "provisioner.db"), outbox.Options{Keyring: storeKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.store.Close() })
	// Registered after the broker and the emulator, so it runs before
	// they stop and after every worker process is gone.
	t.Cleanup(l.count)
	return l
}

func keyringSpec(tb testing.TB, kid string) string {
	tb.Helper()
	spec, err := events.GenerateKeyringSpec(kid)
	if err != nil {
		tb.Fatal(err)
	}
	return spec
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testCtx is a context bounded by d and by the test.
func testCtx(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

// publish publishes a signup event (secrets sealed) and tracks it.
func (l *lab) publish(sg signupSpec) string {
	l.t.Helper()
	ev, s, err := events.DecodeSignup(sg.json(), events.DefaultMaxEventBytes)
	if err != nil {
		l.t.Fatalf("signup %s: %v", sg.id, err)
	}
	raw, err := events.MarshalSealed(ev, s, l.seal)
	if err != nil {
		l.t.Fatal(err)
	}
	// The broker may be restarting: try until it takes the event.
	waitFor(l.t, "JetStream to take signup "+ev.ID, resultTimeout, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := publisher.PublishRaw(ctx, l.js, l.subj.Signup, ev.ID, raw)
		return err == nil
	})
	l.track(signupKey{id: ev.ID})
	return ev.ID
}

// waitState waits until the journal shows signup id in state.
func (l *lab) waitState(id, state string) {
	l.t.Helper()
	waitFor(l.t, id+" to reach "+state, resultTimeout, func() bool {
		sg, err := l.store.Get(context.Background(), id)
		return err == nil && sg.State == state
	})
}

// pending is how many signup messages the signup stream holds.
func (l *lab) pending() uint64 {
	l.t.Helper()
	ctx := testCtx(l.t, 10*time.Second)
	s, err := l.js.Stream(ctx, l.streams.Signups)
	if err != nil {
		l.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return info.State.Msgs
}

// track notes a signup message that must end with exactly one result.
func (l *lab) track(k signupKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.published = append(l.published, k)
}

// poll reads the results stream's new messages.
func (l *lab) poll() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := l.js.Stream(ctx, l.streams.Results)
	if err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nextSeq == 0 {
		l.nextSeq = 1
	}
	for ; l.nextSeq <= info.State.LastSeq; l.nextSeq++ {
		m, err := s.GetMsg(ctx, l.nextSeq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		var ev events.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			return err
		}
		var head struct {
			SignupID string `json:"signupId"`
		}
		json.Unmarshal(ev.Data, &head)
		l.results = append(l.results, result{
			key: signupKey{id: head.SignupID, gen: generation(ev.ID)}, eventID: ev.ID,
			typ: ev.Type, data: ev.Data,
		})
	}
	return nil
}

// generation reads the replay generation from a result's event id:
// "<signup>:<kind>" or "<signup>:<kind>:<generation>".
func generation(eventID string) int {
	parts := strings.Split(eventID, ":")
	if len(parts) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(parts[len(parts)-1])
	return n
}

// resultsFor returns the results found so far for k.
func (l *lab) resultsFor(k signupKey) []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []result
	for _, r := range l.results {
		if r.key == k {
			out = append(out, r)
		}
	}
	return out
}

// waitResult waits for the result of signup id (generation gen) and
// returns it.
func (l *lab) waitResult(id string, gen int) result {
	l.t.Helper()
	k := signupKey{id: id, gen: gen}
	var got []result
	waitFor(l.t, "the result of "+id, resultTimeout, func() bool {
		l.poll()
		got = l.resultsFor(k)
		return len(got) > 0
	})
	return got[0]
}

// settle waits until every tracked signup message has a result and checks
// that each has exactly one, and that the emulator created no org twice
// and no app twice in one org.
func (l *lab) settle() {
	l.t.Helper()
	l.mu.Lock()
	keys := append([]signupKey(nil), l.published...)
	l.mu.Unlock()
	for _, k := range keys {
		l.waitResult(k.id, k.gen)
	}
	// Anything a late duplicate publish would add is in the stream by now:
	// the relay publishes before it marks a row done.
	l.poll()
	for _, k := range keys {
		if got := l.resultsFor(k); len(got) != 1 {
			l.t.Errorf("signup %s (generation %d): %d results, want exactly 1: %v", k.id, k.gen, len(got), got)
		}
	}
	l.checkOkta()
	// Every result row ends marked published (a duplicate acknowledgement
	// counts), so nothing is left for a relay to send again.
	waitFor(l.t, "an empty outbox", resultTimeout, func() bool {
		b, err := l.store.Backlog(context.Background())
		return err == nil && b.Pending == 0
	})
}

// checkOkta checks the emulator: no org created twice, no app (name and
// label) twice in any created org.
func (l *lab) checkOkta() {
	l.t.Helper()
	seen := map[string]bool{}
	for _, sub := range l.emu.OrgsCreated() {
		if seen[sub] {
			l.t.Errorf("org %s created twice", sub)
		}
		seen[sub] = true
		host := sub + ".oktapreview.com"
		apps := map[string]int{}
		for _, a := range l.emu.Apps(host) {
			apps[a.Name+"/"+a.Label]++
		}
		for app, n := range apps {
			if n > 1 {
				l.t.Errorf("org %s has app %s %d times", host, app, n)
			}
		}
	}
}

// count adds the lab's figures to the suite's tally.
func (l *lab) count() {
	l.poll()
	l.mu.Lock()
	defer l.mu.Unlock()
	found := map[signupKey]int{}
	for _, r := range l.results {
		found[r.key]++
	}
	tracked := map[signupKey]bool{}
	results, lost := 0, 0
	for _, k := range l.published {
		if tracked[k] {
			continue
		}
		tracked[k] = true
		results += found[k]
		if found[k] == 0 {
			lost++
		}
	}
	created := l.emu.OrgsCreated()
	distinct := map[string]bool{}
	for _, sub := range created {
		distinct[sub] = true
	}
	tally.Lock()
	defer tally.Unlock()
	tally.signups += len(tracked)
	tally.results += results
	tally.lost += lost
	tally.orgsCreated += len(created)
	tally.duplicateOrgs += len(created) - len(distinct)
}

// waitFor polls cond until it holds or timeout passes, then fails the
// test naming what it waited for.
func waitFor(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s after %s", what, timeout)
		}
		<-tick.C
	}
}
