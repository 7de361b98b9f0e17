package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// Group commit. Every write goes through one writer goroutine. While it
// commits one transaction (an fsync with synchronous FULL), further writes
// queue up; it then takes all of them, up to maxGroup, into the next
// transaction. A change that fails is rolled back alone and the others
// still commit (commitGroup). Every caller gets its own result only after
// the shared COMMIT: a change reported done is on disk.

// maxGroup bounds the changes committed in one transaction.
const maxGroup = 128

// writeTimeout bounds a checkpoint.
const writeTimeout = time.Minute

// errClosed is returned for writes after Close.
var errClosed = errors.New("outbox: store closed")

// txFunc is one change. It must use the ctx it is given (not its
// caller's): a statement interrupted by a cancelled context would roll
// back the whole shared transaction. It may run twice (see commitGroup),
// so it must set what it hands back afresh each time.
type txFunc func(ctx context.Context, tx *sqlx.Tx) error

type txRequest struct {
	fn   txFunc
	lazy bool       // see withLazyTx
	done chan error // buffered: the writer never blocks on it
}

// withTx runs fn in a write transaction (BEGIN IMMEDIATE), possibly shared
// with other changes, and returns fn's error, or the commit's. Once fn is
// queued it runs to the end whatever happens to ctx, so a cancelled
// handler cannot leave its outcome unknown; ctx only stops the wait for a
// turn.
func (s *Store) withTx(ctx context.Context, fn txFunc) error {
	return s.enqueue(ctx, &txRequest{fn: fn})
}

// withLazyTx is withTx for a change that need not be on disk when it
// returns, because losing it to a power cut costs nothing but repeated
// work: a lease, a relay's claim, a published mark (JetStream drops the
// repeated publish). A group made only of lazy changes commits without an
// fsync even with synchronous FULL; the next durable commit's fsync makes
// it durable too, since the WAL is written in order.
func (s *Store) withLazyTx(ctx context.Context, fn txFunc) error {
	return s.enqueue(ctx, &txRequest{fn: fn, lazy: true})
}

func (s *Store) enqueue(ctx context.Context, r *txRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.done = make(chan error, 1)
	select {
	case s.txq <- r:
	case <-s.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// writer is the store's one writer. It stops when quit is closed; every
// change it has taken is settled first.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*txRequest, 0, maxGroup)
	for {
		select {
		case r := <-s.txq:
			batch = append(batch[:0], r)
		case <-s.cpReady:
			s.finishCheckpoint()
			continue
		case <-s.quit:
			return
		}
	fill:
		for len(batch) < maxGroup {
			select {
			case r := <-s.txq:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		start := time.Now()
		for rest := batch; len(rest) > 0; {
			rest = rest[s.commitGroup(rest):]
		}
		s.stats.busy.Add(int64(time.Since(start)))
		s.stats.groups.Add(1)
		s.stats.changes.Add(int64(len(batch)))
		clear(batch)
	}
}

// commitGroup runs the changes of batch in one transaction and settles
// them. It returns how many it settled: all of them, unless the
// transaction itself was lost part-way (SQLite rolls a transaction back
// whole on some errors); the rest then go into a new transaction.
//
// Changes rarely fail, so the group first runs without savepoints, which
// cost two statements per change. If any change fails, that transaction is
// rolled back (the failed change may have written part of itself) and the
// group runs again with a savepoint around each change. Changes therefore
// must be safe to run twice: everything they do goes through tx, and what
// they hand back is set afresh on each run.
func (s *Store) commitGroup(batch []*txRequest) int {
	// A context that can never be cancelled: go-sqlite3 runs each statement
	// of a cancellable context on a goroutine of its own and waits for it,
	// which on a busy machine costs the writer a scheduling round per
	// statement. Waits for another process's lock are bounded by SQLite's
	// busy timeout instead.
	ctx := context.Background()
	lazy := allLazy(batch)
	if lazy {
		s.stats.lazy.Add(1)
	}
	if err := s.setLazy(ctx, lazy); err != nil {
		return settleAll(batch, err)
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return settleAll(batch, err)
	}
	if len(batch) == 1 {
		// Alone in its transaction, a change needs no savepoint.
		err := batch[0].fn(ctx, tx)
		if err != nil {
			tx.Rollback()
		} else {
			err = s.commit(tx)
		}
		batch[0].done <- err
		return 1
	}
	for _, r := range batch {
		if err := r.fn(ctx, tx); err != nil {
			tx.Rollback()
			s.stats.reruns.Add(1)
			return s.commitIsolated(ctx, batch)
		}
	}
	return settleAll(batch, s.commit(tx))
}

// settleAll answers every change of batch with err and returns how many
// it settled.
func settleAll(batch []*txRequest, err error) int {
	for _, r := range batch {
		r.done <- err
	}
	return len(batch)
}

func allLazy(batch []*txRequest) bool {
	for _, r := range batch {
		if !r.lazy {
			return false
		}
	}
	return true
}

// setLazy switches the write connection between synchronous FULL and
// NORMAL (no fsync at commit), when the store runs with FULL and the
// switch is needed.
func (s *Store) setLazy(ctx context.Context, lazy bool) error {
	if !s.full || lazy == s.lazyNow {
		return nil
	}
	level := "FULL"
	if lazy {
		level = "NORMAL"
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA synchronous = "+level); err != nil {
		return fmt.Errorf("set synchronous %s: %w", level, err)
	}
	s.lazyNow = lazy
	return nil
}

// commitIsolated runs the changes of batch in one transaction, each inside
// its own savepoint, so that a change that fails is rolled back alone and
// the others still commit. It returns how many it settled, as commitGroup.
func (s *Store) commitIsolated(ctx context.Context, batch []*txRequest) int {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return settleAll(batch, err)
	}
	errs := make([]error, len(batch))
	for i, r := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT change"); err != nil {
			return lost(tx, batch[:max(i, 1)], errs, err)
		}
		if errs[i] = r.fn(ctx, tx); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO change; RELEASE change"); err != nil {
				return lost(tx, batch[:i+1], errs, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "RELEASE change"); err != nil {
			return lost(tx, batch[:i+1], errs, err)
		}
	}
	err = s.commit(tx)
	for i, r := range batch {
		if errs[i] == nil {
			errs[i] = err
		}
		r.done <- errs[i]
	}
	return len(batch)
}

// commit commits tx, timing it.
func (s *Store) commit(tx *sqlx.Tx) error {
	start := time.Now()
	err := tx.Commit()
	s.stats.commitTime.Add(int64(time.Since(start)))
	return err
}

// WriterStats counts the writer's work since the store was opened.
type WriterStats struct {
	// Groups is how many transactions the writer ran, Changes how many
	// changes they held (Changes/Groups is the average group size), Reruns
	// how many groups ran again with savepoints because a change failed.
	Groups, Changes, Reruns int64
	// Lazy counts the groups of lazy changes only, committed without an
	// fsync.
	Lazy int64
	// Busy is the time the writer spent on groups; near the elapsed time it
	// means the writer is the bottleneck. Commit is the part spent in
	// COMMIT (the fsync with synchronous FULL).
	Busy, Commit time.Duration
}

type writerCounters struct {
	groups, changes, reruns, lazy, busy, commitTime atomic.Int64
}

// WriterStats returns the writer's counters.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{
		Groups: s.stats.groups.Load(), Changes: s.stats.changes.Load(), Reruns: s.stats.reruns.Load(),
		Lazy: s.stats.lazy.Load(),
		Busy: time.Duration(s.stats.busy.Load()), Commit: time.Duration(s.stats.commitTime.Load()),
	}
}

// lost settles done, the changes run so far in a transaction that is no
// longer usable: none of them is committed. A change that failed on its
// own keeps its own error.
func lost(tx *sqlx.Tx, done []*txRequest, errs []error, cause error) int {
	tx.Rollback()
	for i, r := range done {
		if errs[i] == nil {
			errs[i] = fmt.Errorf("shared transaction rolled back: %w", cause)
		}
		r.done <- errs[i]
	}
	return len(done)
}
