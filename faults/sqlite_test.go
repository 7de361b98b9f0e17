package faults

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestFaultsSQLiteLock: another connection holds SQLite's write lock for a
// second at a time, over and over, while signups run. The worker waits for
// it (busy timeout); no signup fails because of it.
func TestFaultsSQLiteLock(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	w := l.startWorker(workerOpts{})
	w.waitReady()

	path := filepath.Join(l.dir, "provisioner.db")
	db, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?_busy_timeout=30000&_txlock=immediate", path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	holds := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			tx, err := db.Begin() // BEGIN IMMEDIATE: takes the write lock
			if err != nil {
				t.Errorf("take the write lock: %v", err)
				return
			}
			holds++
			held := time.NewTimer(time.Second) // the fault: hold it a second
			select {
			case <-held.C:
			case <-stop:
			}
			tx.Rollback()
			gap := time.NewTimer(100 * time.Millisecond)
			select {
			case <-gap.C:
			case <-stop:
				return
			}
		}
	}()

	ids := publishMany(l, "locked", 0, 3)
	for _, id := range ids {
		l.waitResult(id, 0).provisioned(t)
	}
	close(stop)
	wg.Wait()
	if holds < 2 {
		t.Errorf("the write lock was held %d times, want the signups to meet it repeatedly", holds)
	}
	l.settle()
	checkRequests(t, l, 3, 3, 0, 3)
	for _, id := range ids {
		checkJournal(t, l, id)
	}
	w.stop()
}
