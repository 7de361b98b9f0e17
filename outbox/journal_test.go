package outbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/events"
)

func openTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	spec, err := events.GenerateKeyringSpec("test-store")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := events.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "data", "provisioner.db")
	s, err := Open(context.Background(), path, Options{Keyring: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestAcquireLeasesAndKeepsFinishedSignups(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	b := Begin{ID: "s1", Tenant: "new", Subdomain: "acme", AppName: "app", AppLabel: "L",
		Owner: "w1", Lease: time.Minute}

	sg, err := s.Acquire(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sg.State, StateReceived; got != want {
		t.Fatalf("state = %q, want %q", got, want)
	}
	other := b
	other.Owner = "w2"
	if _, err := s.Acquire(ctx, other); !errors.Is(err, ErrLeased) {
		t.Fatalf("second owner: err = %v, want ErrLeased", err)
	}
	if _, err := s.Acquire(ctx, b); err != nil {
		t.Fatalf("same owner again: %v", err)
	}

	err = s.Record(ctx, "s1", Change{State: StateFailed, Step: "create_org", Status: "failed",
		Attempt: 1, Release: true})
	if err != nil {
		t.Fatal(err)
	}
	sg, err = s.Acquire(ctx, other)
	if err != nil {
		t.Fatalf("finished signup, other owner: %v", err)
	}
	if got, want := sg.State, StateFailed; got != want {
		t.Fatalf("state = %q, want %q", got, want)
	}
}

func TestRecordQueuesResultsOnceAndSealsTheToken(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	if _, err := s.Acquire(ctx, Begin{ID: "s1", Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	const canary = "00CanaryOrgToken-1234567890"
	wake := s.Wake()
	msg := &Message{MsgID: "s1:provisioned", Subject: "tenant.provisioned", Payload: []byte(`{}`)}
	for range 2 { // the same result twice is queued once
		err := s.Record(ctx, "s1", Change{State: StateOrgCreated, Step: "create_org", Status: "done",
			Attempt: 1, OrgID: "00o1", OrgHost: "acme.oktapreview.com", OrgToken: canary,
			Results: []*Message{msg}})
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-wake:
	default:
		t.Fatal("Record with a result did not wake the relay")
	}

	sg, err := s.Get(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.OrgToken(sg)
	if err != nil || token != canary {
		t.Fatalf("OrgToken = %q, %v; want the stored token", token, err)
	}
	bl, err := s.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bl.Pending, 1; got != want {
		t.Fatalf("pending = %d, want %d", got, want)
	}
	steps, err := s.Journal(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(steps), 3; got != want { // receive + two records
		t.Fatalf("journal has %d steps, want %d", got, want)
	}

	s.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		raw, err := os.ReadFile(path + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(canary)) {
			t.Fatalf("plain-text org token found in %s", filepath.Base(path+suffix))
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Fatalf("database mode = %v, want %v", got, want)
	}
}

func TestClaimKeepsRowsWithOneRelay(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if err := s.Enqueue(ctx, &Message{MsgID: id, Subject: "x", Payload: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Claim(ctx, "r1", 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Claim(ctx, "r2", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(first)+len(second), 3; got != want {
		t.Fatalf("claimed %d rows in all, want %d", got, want)
	}
	seen := map[string]bool{}
	for _, m := range append(first, second...) {
		if seen[m.MsgID] {
			t.Fatalf("row %s claimed by both relays", m.MsgID)
		}
		seen[m.MsgID] = true
	}

	done := map[int64]uint64{}
	for i, m := range first {
		done[m.Seq] = uint64(i + 1)
	}
	if err := s.Published(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := s.Unclaim(ctx, []int64{second[0].Seq}, "broker down"); err != nil {
		t.Fatal(err)
	}
	again, err := s.Claim(ctx, "r1", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].MsgID != second[0].MsgID || again[0].Attempts != 2 {
		t.Fatalf("after unclaim got %+v, want %s on its second attempt", again, second[0].MsgID)
	}
	n, err := s.Prune(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, int64(2); got != want {
		t.Fatalf("pruned %d, want %d", got, want)
	}
}

// TestWriterWaitsForAnotherProcessLock holds the write lock from another
// connection for a while; the store's write must wait for it, not fail.
func TestWriterWaitsForAnotherProcessLock(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	if _, err := s.Acquire(ctx, Begin{ID: "s1", Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Record(ctx, "s1", Change{State: StateChecked, Step: "check_token", Status: "done", Attempt: 1})
	}()
	select {
	case err := <-done:
		t.Fatalf("Record finished while another connection held the write lock: %v", err)
	case <-time.After(300 * time.Millisecond): // only a bound: the lock is still held
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Record after the lock was released: %v", err)
	}
}

func TestOpenRefusesAWrongStorageKey(t *testing.T) {
	_, path := openTestStore(t)
	spec, _ := events.GenerateKeyringSpec("other")
	keys, _ := events.ParseKeyring(spec)
	_, err := Open(context.Background(), path, Options{Keyring: keys})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: err = %v, want ErrWrongKey", err)
	}
}

// TestRecordInsert: a signup started without a write is recorded with its
// first change; a second insert of the same signup commits nothing.
func TestRecordInsert(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	b := Begin{ID: "fresh", Tenant: "new", Subdomain: "acme", AppName: "app", AppLabel: "App",
		Owner: "w1", Lease: time.Minute}
	if _, err := s.Get(ctx, b.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before = %v, want ErrNotFound", err)
	}
	if got := b.New(); got.State != StateReceived || got.ID != b.ID || got.Subdomain != "acme" {
		t.Errorf("New = %+v", got)
	}
	err := s.Record(ctx, b.ID, Change{Insert: &b, State: StateOrgPending, Step: "check_token",
		Status: "done", Attempt: 1, Next: &Entry{Step: "create_org", Status: "started", Attempt: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := s.Get(ctx, b.ID)
	if err != nil || sg.State != StateOrgPending || sg.Step != "create_org" {
		t.Fatalf("Get after = %+v, %v", sg, err)
	}
	// Leased to w1 by the insert.
	if _, err := s.Acquire(ctx, Begin{ID: b.ID, Tenant: "new", Owner: "w2", Lease: time.Minute}); !errors.Is(err, ErrLeased) {
		t.Errorf("Acquire by another worker = %v, want ErrLeased", err)
	}
	other := b
	other.Owner = "w2"
	err = s.Record(ctx, b.ID, Change{Insert: &other, State: StateFailed, Step: "check_token",
		Status: "failed", Attempt: 1})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second insert = %v, want ErrExists", err)
	}
	steps, err := s.Journal(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range steps {
		names = append(names, st.Step+":"+st.Status)
	}
	if got, want := strings.Join(names, " "), "receive:done check_token:done create_org:started"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
}

// TestRecordKeepsAFinishedOutcome: once a signup has its outcome, only a
// replay (a new generation) may change it.
func TestRecordKeepsAFinishedOutcome(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	if _, err := s.Acquire(ctx, Begin{ID: "done", Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, "done", Change{State: StateProvisioned, Step: "fetch_metadata",
		Status: "done", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	err := s.Record(ctx, "done", Change{State: StateFailed, Step: "validate", Status: "failed", Attempt: 1})
	if !errors.Is(err, ErrFinished) {
		t.Fatalf("second outcome: got %v, want ErrFinished", err)
	}
	if sg, _ := s.Get(ctx, "done"); sg.State != StateProvisioned {
		t.Errorf("state = %s, want %s kept", sg.State, StateProvisioned)
	}
	if err := s.Record(ctx, "nope", Change{State: StateFailed}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown signup: got %v, want ErrNotFound", err)
	}
	if err := s.Record(ctx, "done", Change{State: StateReceived, Step: "replay", Status: "done",
		Attempt: 1, Generation: 1}); err != nil {
		t.Errorf("replay: %v", err)
	}
}
