package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Message is one outbox row: an event waiting to be published. MsgID is
// the Nats-Msg-Id used for every attempt, so a retried publish is dropped
// by JetStream as a duplicate.
type Message struct {
	Seq       int64     `db:"seq"`
	MsgID     string    `db:"msg_id"`
	Subject   string    `db:"subject"`
	Payload   []byte    `db:"payload"`
	Attempts  int       `db:"attempts"`
	CreatedAt time.Time `db:"-"`
}

// insertMessage queues m; a second row with the same MsgID is ignored, so
// recording the same result twice queues it once.
func insertMessage(ctx context.Context, tx *sqlx.Tx, m *Message, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (msg_id, subject, payload, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT(msg_id) DO NOTHING`,
		m.MsgID, m.Subject, m.Payload, formatTime(now))
	return err
}

// Enqueue queues m on its own, outside any signup change (dead letters of
// messages that never became signups).
func (s *Store) Enqueue(ctx context.Context, m *Message) error {
	err := s.withTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		return insertMessage(ctx, tx, m, s.now())
	})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", m.MsgID, err)
	}
	s.notify()
	return nil
}

// Claim leases up to limit unpublished rows, oldest first, to owner for
// lease. Rows another relay holds under a running lease are skipped, so two
// relays never publish one row at the same time. Claims, published marks
// and pruning are lazy writes (see withLazyTx): lost to a power cut, a row
// is published again and JetStream drops the repeat by its Nats-Msg-Id.
func (s *Store) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]Message, error) {
	var out []Message
	if err := s.withLazyTx(ctx, s.claim(owner, limit, lease, &out)); err != nil {
		return nil, fmt.Errorf("claim outbox rows: %w", err)
	}
	return out, nil
}

// claim is Claim's change; it leaves the claimed rows in *out.
func (s *Store) claim(owner string, limit int, lease time.Duration, out *[]Message) txFunc {
	return func(ctx context.Context, tx *sqlx.Tx) error {
		*out = (*out)[:0] // the writer may run a change twice (see commitGroup)
		now := s.now()
		var rows []struct {
			Message
			Created string `db:"created_at"`
		}
		err := tx.SelectContext(ctx, &rows, `SELECT seq, msg_id, subject, payload, attempts, created_at
			FROM outbox WHERE published_at = '' AND (claimed_by = '' OR claimed_by = ? OR claimed_until < ?)
			ORDER BY seq LIMIT ?`, owner, formatTime(now), limit)
		if err != nil {
			return err
		}
		until := formatTime(now.Add(lease))
		for _, r := range rows {
			_, err := tx.ExecContext(ctx, `UPDATE outbox SET claimed_by = ?, claimed_until = ?,
				attempts = attempts + 1 WHERE seq = ?`, owner, until, r.Seq)
			if err != nil {
				return err
			}
			m := r.Message
			m.Attempts++
			m.CreatedAt = parseTime(r.Created)
			*out = append(*out, m)
		}
		return nil
	}
}

// Published records that rows were stored by JetStream (a duplicate
// acknowledgement counts) at the given stream sequences.
func (s *Store) Published(ctx context.Context, done map[int64]uint64) error {
	if len(done) == 0 {
		return nil
	}
	err := s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		now := formatTime(s.now())
		for seq, streamSeq := range done {
			_, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = ?, stream_seq = ?,
				claimed_by = '', claimed_until = '', last_error = '' WHERE seq = ?`, now, streamSeq, seq)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	return nil
}

// Unclaim releases rows that could not be published, noting why.
func (s *Store) Unclaim(ctx context.Context, seqs []int64, reason string) error {
	err := s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		for _, seq := range seqs {
			_, err := tx.ExecContext(ctx, `UPDATE outbox SET claimed_by = '', claimed_until = '',
				last_error = ? WHERE seq = ?`, reason, seq)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("unclaim outbox rows: %w", err)
	}
	return nil
}

// Prune deletes rows published before cutoff and returns how many.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE published_at != '' AND published_at < ?`,
			formatTime(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	return n, nil
}

// Backlog is the state of the outbox.
type Backlog struct {
	Pending int
	// Oldest is when the oldest pending row was queued; zero when none.
	Oldest time.Time
}

// Backlog reports the unpublished rows.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	var row struct {
		N      int    `db:"n"`
		Oldest string `db:"oldest"`
	}
	err := s.r.GetContext(ctx, &row, `SELECT count(*) AS n, coalesce(min(created_at), '') AS oldest
		FROM outbox WHERE published_at = ''`)
	if err != nil {
		return Backlog{}, fmt.Errorf("outbox backlog: %w", err)
	}
	return Backlog{Pending: row.N, Oldest: parseTime(row.Oldest)}, nil
}
