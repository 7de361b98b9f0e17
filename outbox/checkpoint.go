package outbox

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Checkpoints. SQLite's automatic checkpoint runs inside whichever commit
// pushes the WAL over its threshold, so that commit, and every change
// waiting behind it, pays for copying the WAL into the database file (and
// for its fsyncs). The store turns it off on the write connection and
// checkpoints from a connection of its own instead, while writers go on.
// Such a checkpoint never catches up with a busy writer, though, and the
// WAL file starts over only once it is wholly copied: when it has grown
// past restartFrames, the writer itself checkpoints the few frames left,
// between two groups, and the next transaction starts the file over. That
// short checkpoint still syncs the database file, so it is kept rare.

// checkpointEvery is how often the WAL is checkpointed.
const checkpointEvery = time.Second

// restartFrames is the WAL size, in pages, past which the writer finishes
// a checkpoint so that the file starts over (32 MiB with 4 KiB pages).
const restartFrames = 8192

// startCheckpoints turns off automatic checkpoints on the write
// connection and starts the checkpointer on cp. If the write connection is
// ever replaced, the new one checkpoints automatically again, which is
// only slower.
func (s *Store) startCheckpoints(ctx context.Context, cp *sqlx.DB) error {
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return err
	}
	s.cp = cp
	s.cpDone = make(chan struct{})
	go s.checkpointer()
	return nil
}

// checkpointer runs a passive checkpoint every checkpointEvery until quit
// is closed. A passive checkpoint never waits for writers or readers; what
// it cannot copy now it copies next time.
func (s *Store) checkpointer() {
	defer close(s.cpDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		var busy, frames, copied int
		err := s.cp.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		cancel()
		if err == nil && frames >= restartFrames {
			select {
			case s.cpReady <- struct{}{}:
			default:
			}
		}
	}
}

// finishCheckpoint is the writer's short checkpoint.
func (s *Store) finishCheckpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
}
