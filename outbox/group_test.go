package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// steps of one signup's run, as the worker records them.
var runStates = []string{StateChecked, StateOrgPending, StateOrgCreated, StateAppPending,
	StateAppCreated, StateProvisioned}

func TestGroupCommitConcurrentRecords(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("s%02d", i)
			if _, err := s.Acquire(ctx, Begin{ID: id, Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
				errs <- err
				return
			}
			for j, st := range runStates {
				c := Change{State: st, Step: st, Status: "done", Attempt: 1}
				if j == len(runStates)-1 {
					c.Results = []*Message{{MsgID: "result:" + id, Subject: "tenant.provisioned",
						Payload: []byte(`{}`)}}
					c.Release = true
				}
				if err := s.Record(ctx, id, c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent change: %v", err)
	}
	for i := range n {
		id := fmt.Sprintf("s%02d", i)
		sg, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if got, want := sg.State, StateProvisioned; got != want {
			t.Errorf("%s: state = %q, want %q", id, got, want)
		}
		steps, err := s.Journal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(steps), 1+len(runStates); got != want {
			t.Errorf("%s: %d journal steps, want %d", id, got, want)
		}
	}
	bl, err := s.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bl.Pending, n; got != want {
		t.Errorf("outbox rows = %d, want %d", got, want)
	}
}

// TestGroupCommitIsolatesFailures commits one group by hand: the changes
// that fail are rolled back alone, the others commit.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if _, err := s.Acquire(ctx, Begin{ID: id, Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	step := func(id, name string, fail error) txFunc {
		return func(ctx context.Context, tx *sqlx.Tx) error {
			if err := insertStep(ctx, tx, id, name, "done", 1, "", time.Now()); err != nil {
				return err
			}
			return fail
		}
	}
	missing := func(ctx context.Context, tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE signups SET state = 'x' WHERE id = 'nope'")
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	}
	badSQL := func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO no_such_table VALUES (1)")
		return err
	}
	batch := []*txRequest{
		{fn: step("a", "first", nil)},
		{fn: step("b", "rolled-back", boom)},
		{fn: missing},
		{fn: badSQL},
		{fn: step("a", "second", nil)},
	}
	for _, r := range batch {
		r.done = make(chan error, 1)
	}
	if got, want := s.commitGroup(batch), len(batch); got != want {
		t.Fatalf("settled %d changes, want %d", got, want)
	}
	results := make([]error, len(batch))
	for i, r := range batch {
		results[i] = <-r.done
	}
	if results[0] != nil || results[4] != nil {
		t.Errorf("good changes failed: %v, %v", results[0], results[4])
	}
	if !errors.Is(results[1], boom) {
		t.Errorf("failing change: got %v, want boom", results[1])
	}
	if !errors.Is(results[2], ErrNotFound) {
		t.Errorf("missing row: got %v, want ErrNotFound", results[2])
	}
	if results[3] == nil {
		t.Errorf("bad statement: got nil error")
	}
	names := func(id string) []string {
		t.Helper()
		steps, err := s.Journal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, st := range steps {
			out = append(out, st.Step)
		}
		return out
	}
	if got, want := fmt.Sprint(names("a")), "[receive first second]"; got != want {
		t.Errorf("journal of a = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(names("b")), "[receive]"; got != want {
		t.Errorf("journal of b = %s, want %s", got, want)
	}
}

// TestGroupCommitFailureAmongConcurrent mixes a change for an unknown
// signup into concurrent good ones through the public API.
func TestGroupCommitFailureAmongConcurrent(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	const n = 32
	for i := range n {
		if _, err := s.Acquire(ctx, Begin{ID: fmt.Sprint(i), Tenant: "new", Owner: "w",
			Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint(i)
			if i == n {
				id = "unknown"
			}
			errs[i] = s.Record(ctx, id, Change{State: StateChecked, Step: "check", Status: "done",
				Attempt: 1})
		}()
	}
	wg.Wait()
	for i, err := range errs[:n] {
		if err != nil {
			t.Errorf("change %d: %v", i, err)
		}
	}
	if !errors.Is(errs[n], ErrNotFound) {
		t.Errorf("unknown signup: got %v, want ErrNotFound", errs[n])
	}
	st := s.WriterStats()
	if st.Changes < 2*n+1 || st.Groups < 1 || st.Groups > st.Changes || st.Busy <= 0 || st.Commit <= 0 {
		t.Errorf("writer stats after %d changes: %+v", 2*n+1, st)
	}
	for i := range n {
		sg, err := s.Get(ctx, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sg.State, StateChecked; got != want {
			t.Errorf("signup %d: state = %q, want %q", i, got, want)
		}
	}
}

func TestWriteAfterClose(t *testing.T) {
	s, _ := openTestStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Acquire(context.Background(), Begin{ID: "x", Tenant: "new", Owner: "w", Lease: time.Minute})
	if !errors.Is(err, errClosed) {
		t.Errorf("write after Close: got %v, want errClosed", err)
	}
}

func TestCancelledContextWritesNothing(t *testing.T) {
	s, _ := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Acquire(ctx, Begin{ID: "x", Tenant: "new", Owner: "w", Lease: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: got %v, want context.Canceled", err)
	}
	if _, err := s.Get(context.Background(), "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a cancelled write: Get = %v, want ErrNotFound", err)
	}
}

// TestGroupRerunAfterFailure: a failing change makes the writer run its
// group again with savepoints; a change that ran in the abandoned first
// try must neither keep its effects twice nor hand back its result twice.
func TestGroupRerunAfterFailure(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, id := range []string{"m1", "m2"} {
		if err := s.Enqueue(ctx, &Message{MsgID: id, Subject: "s", Payload: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	var claimed []Message
	runs := 0
	counted := func(ctx context.Context, tx *sqlx.Tx) error { runs++; return nil }
	batch := []*txRequest{
		{fn: s.claim("relay", 10, time.Minute, &claimed)},
		{fn: counted},
		{fn: func(context.Context, *sqlx.Tx) error { return errors.New("boom") }},
	}
	for _, r := range batch {
		r.done = make(chan error, 1)
	}
	s.commitGroup(batch)
	for i, want := range []bool{false, false, true} {
		if err := <-batch[i].done; (err != nil) != want {
			t.Errorf("change %d: err = %v", i, err)
		}
	}
	if runs != 2 {
		t.Errorf("the good change ran %d times, want 2 (a try, then the rerun)", runs)
	}
	if len(claimed) != 2 {
		t.Fatalf("claimed %d rows, want 2", len(claimed))
	}
	for _, m := range claimed {
		if m.Attempts != 1 {
			t.Errorf("%s: attempts = %d, want 1", m.MsgID, m.Attempts)
		}
	}
	var attempts []int
	if err := s.r.SelectContext(ctx, &attempts, "SELECT attempts FROM outbox ORDER BY seq"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(attempts) != "[1 1]" {
		t.Errorf("stored attempts = %v, want [1 1]", attempts)
	}
}

// TestLazyGroupsSkipTheFsync: with synchronous FULL, a group of lazy
// changes only commits with NORMAL, and the next durable change switches
// the connection back to FULL.
func TestLazyGroupsSkipTheFsync(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	level := func() int {
		t.Helper()
		var n int
		if err := s.w.GetContext(ctx, &n, "PRAGMA synchronous"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := level(); got != 2 {
		t.Fatalf("synchronous at open = %d, want 2 (FULL)", got)
	}
	if _, err := s.Acquire(ctx, Begin{ID: "a", Tenant: "new", Owner: "w", Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 1 {
		t.Errorf("after a lazy group synchronous = %d, want 1 (NORMAL)", got)
	}
	if st := s.WriterStats(); st.Lazy != 1 {
		t.Errorf("lazy groups = %d, want 1", st.Lazy)
	}
	if err := s.Record(ctx, "a", Change{State: StateChecked, Step: "check", Status: "done", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 2 {
		t.Errorf("after a durable change synchronous = %d, want 2 (FULL)", got)
	}
	sg, err := s.Get(ctx, "a")
	if err != nil || sg.State != StateChecked {
		t.Fatalf("Get = %+v, %v", sg, err)
	}
}
