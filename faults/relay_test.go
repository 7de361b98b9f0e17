package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/publisher"
)

// row is an outbox row for a result-like event.
func row(id string) *outbox.Message {
	ev, _ := events.NewEvent(id, "urn:faults", events.TypeTenantProvisioned, time.Now(),
		map[string]string{"signupId": ""})
	raw, _ := json.Marshal(ev)
	return &outbox.Message{MsgID: id, Subject: events.DefaultSubjects().Provisioned, Payload: raw}
}

// streamMsgs is how many messages the results stream holds.
func streamMsgs(t *testing.T, l *lab) uint64 {
	t.Helper()
	s, err := l.js.Stream(testCtx(t, 10*time.Second), l.streams.Results)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestFaultsRelayDuplicateAck: a row whose event JetStream already holds
// (published before a crash, say) is acknowledged as a duplicate, which
// counts as delivered: the row is done, the stream holds it once.
func TestFaultsRelayDuplicateAck(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	ctx := testCtx(t, 30*time.Second)
	m := row("relay-dup-1")
	msg := nats.NewMsg(m.Subject)
	msg.Data = m.Payload
	msg.Header.Set(jetstream.MsgIDHeader, m.MsgID)
	if _, err := l.js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err := l.store.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	relay, err := publisher.NewRelay(publisher.RelayConfig{Store: l.store, JS: l.js, Owner: "relay-dup"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := relay.Round(ctx); n != 1 || err != nil {
		t.Fatalf("Round = %d, %v; want 1 row, no error", n, err)
	}
	if b, err := l.store.Backlog(ctx); err != nil || b.Pending != 0 {
		t.Errorf("backlog %+v, %v; want the duplicate counted as delivered", b, err)
	}
	if n := streamMsgs(t, l); n != 1 {
		t.Errorf("results stream holds %d messages, want 1", n)
	}
}

// TestFaultsRelayTwoRelays: two relays, each with its own handle on one
// SQLite file, drain one outbox: every row is published exactly once (a
// plain NATS subscriber sees each publish, duplicates included).
func TestFaultsRelayTwoRelays(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := events.ParseKeyring(l.storeSpec)
	if err != nil {
		t.Fatal(err)
	}
	other, err := outbox.Open(ctx, filepath.Join(l.dir, "provisioner.db"), outbox.Options{Keyring: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	seen := make(chan *nats.Msg, 4096)
	sub, err := l.nc.ChanSubscribe(events.DefaultSubjects().Provisioned, seen)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	l.nc.Flush()

	const rows = 300
	for i := range rows {
		st := l.store
		if i%2 == 1 {
			st = other
		}
		if err := st.Enqueue(ctx, row(fmt.Sprintf("relay-two-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	reported := map[string]int{}
	var wg sync.WaitGroup
	for i, st := range []*outbox.Store{l.store, other} {
		relay, err := publisher.NewRelay(publisher.RelayConfig{
			Store: st, JS: l.js, Owner: fmt.Sprintf("relay-%d", i), Batch: 8,
			OnPublished: func(m outbox.Message) {
				mu.Lock()
				reported[m.MsgID]++
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); relay.Run(ctx) }()
	}
	waitFor(t, "both relays to drain the outbox", resultTimeout, func() bool {
		b, err := l.store.Backlog(ctx)
		return err == nil && b.Pending == 0
	})
	cancel()
	wg.Wait()
	l.nc.Flush()

	published := map[string]int{}
	for len(seen) > 0 {
		m := <-seen
		published[m.Header.Get(jetstream.MsgIDHeader)]++
	}
	if len(published) != rows || len(reported) != rows {
		t.Errorf("%d rows published, %d reported, want %d", len(published), len(reported), rows)
	}
	for id, n := range published {
		if n != 1 || reported[id] != 1 {
			t.Errorf("row %s published %d times, reported %d times, want once", id, n, reported[id])
		}
	}
}

// TestFaultsRelayWokenOnCommit: with polling all but off (an hour), a
// committed result still goes out at once: the commit wakes the relay.
func TestFaultsRelayWokenOnCommit(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan string, 16)
	relay, err := publisher.NewRelay(publisher.RelayConfig{
		Store: l.store, JS: l.js, Owner: "relay-wake", Poll: time.Hour,
		OnPublished: func(m outbox.Message) { out <- m.MsgID },
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); relay.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if _, err := l.store.Acquire(ctx, outbox.Begin{ID: "wake-1", Tenant: events.TenantNew,
		Owner: "faults", Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"wake-1:a", "wake-1:b"} {
		err := l.store.Record(ctx, "wake-1", outbox.Change{Step: "test", Status: "done",
			Results: []*outbox.Message{row(id)}})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-out:
			if got != id {
				t.Fatalf("relay published %s, want %s", got, id)
			}
		case <-time.After(resultTimeout):
			t.Fatalf("%s was committed but not published (polling is an hour)", id)
		}
	}
}
