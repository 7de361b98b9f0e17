// Package outbox is the provisioner's SQLite store: the journal of every
// signup (its state and each step's outcome) and the outbox of result
// events, written in one transaction so that "step done" and "result
// queued" never disagree. A relay (package publisher) drains the outbox.
//
// The store uses one write connection with BEGIN IMMEDIATE transactions,
// WAL and a busy timeout, so another process holding the write lock delays
// a writer instead of failing it, and a separate read pool. Concurrent
// changes share transactions (group commit, group.go): each is still
// committed, and on disk with synchronous FULL, before its call returns,
// but many of them pay for one fsync.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	provisioner "github.com/embedded-occ/provisioner"
	"github.com/embedded-occ/provisioner/events"
)

// ErrNotFound is returned for a signup id the store has never seen.
var ErrNotFound = errors.New("outbox: not found")

// ErrLeased is returned when another worker holds a signup's lease.
var ErrLeased = errors.New("outbox: signup leased by another worker")

// Options configures a Store. Zero values mean the defaults.
type Options struct {
	// Keyring seals org tokens at rest. Required.
	Keyring *events.Keyring
	// Synchronous is SQLite's synchronous setting, "FULL" (default: every
	// commit is on disk before the signup message is acked) or "NORMAL"
	// (faster; a power loss may undo the last commits).
	Synchronous string
	// BusyTimeout is how long a writer waits for another process's write
	// lock. Default 30s.
	BusyTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Store is the journal and the outbox in one SQLite file. It is safe for
// concurrent use.
type Store struct {
	w    *sqlx.DB // one connection, BEGIN IMMEDIATE
	r    *sqlx.DB // read pool, query_only
	keys *events.Keyring
	now  func() time.Time

	wakeMu sync.Mutex
	wake   chan struct{}

	// The group-commit writer (group.go) and the checkpointer
	// (checkpoint.go).
	txq        chan *txRequest
	quit       chan struct{}
	writerDone chan struct{}
	cp         *sqlx.DB
	cpDone     chan struct{}
	cpReady    chan struct{} // the checkpointer asks the writer to finish
	stats      writerCounters
	// full is set with synchronous FULL; lazyNow while the write
	// connection is switched to NORMAL for a group of lazy changes.
	full, lazyNow bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the SQLite file at path, owner-only, and
// applies the schema.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Keyring == nil {
		return nil, errors.New("open store: a storage keyring is required")
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("open store: synchronous must be FULL or NORMAL, got %q", opts.Synchronous)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := prepareFile(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}

	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(opts.BusyTimeout.Milliseconds()))
	q.Set("_synchronous", sync)
	q.Set("_foreign_keys", "1")
	// Every change runs the same few statements: keep them prepared.
	q.Set("_stmt_cache_size", "64")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	w, err := sqlx.Open("sqlite3", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	q.Set("_query_only", "1")
	r, err := sqlx.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(4)

	s := &Store{w: w, r: r, keys: opts.Keyring, now: opts.Now, wake: make(chan struct{}), full: sync == "FULL",
		txq: make(chan *txRequest), quit: make(chan struct{}), writerDone: make(chan struct{}),
		cpReady: make(chan struct{}, 1)}
	go s.writer()
	if _, err := w.ExecContext(ctx, provisioner.Schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: apply schema: %w", err)
	}
	if err := s.checkPragmas(ctx, sync); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.checkKey(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	// query_only still allows checkpoints.
	cp, err := sqlx.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	cp.SetMaxOpenConns(1)
	if err := s.startCheckpoints(ctx, cp); err != nil {
		cp.Close()
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// prepareFile creates the file's directory and the file itself owner-only.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func (s *Store) checkPragmas(ctx context.Context, sync string) error {
	var mode string
	if err := s.w.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var level int
	if err := s.w.GetContext(ctx, &level, "PRAGMA synchronous"); err != nil {
		return err
	}
	want := map[string]int{"NORMAL": 1, "FULL": 2}[sync]
	if level != want {
		return fmt.Errorf("synchronous is %d, want %d", level, want)
	}
	return nil
}

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		if s.cp != nil {
			<-s.cpDone
			s.cp.Close()
		}
		s.closeErr = errors.Join(s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// Ping checks that the database answers and is writable.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, "BEGIN IMMEDIATE; ROLLBACK;")
	return err
}

// Wake returns a channel closed the next time a result row is committed.
func (s *Store) Wake() <-chan struct{} {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	return s.wake
}

func (s *Store) notify() {
	s.wakeMu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.wakeMu.Unlock()
}

func (s *Store) stamp() string { return formatTime(s.now()) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}
