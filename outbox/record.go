package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/embedded-occ/provisioner/events"
)

// Change is one step outcome to commit. Empty fields leave the row as it
// is. Everything in a Change is committed in one transaction.
type Change struct {
	// State is the signup's new state.
	State string
	// Step, Status, Attempt and Detail make the journal entry. Status is
	// "started", "done", "failed" or "retry". Detail must hold no secret.
	Step    string
	Status  string
	Attempt int
	Detail  any

	OrgHost string
	OrgID   string
	// OrgToken is the new org's token in plain text; it is sealed before it
	// is written.
	OrgToken string
	AppID    string
	AppLabel string
	// LastError is the failure to remember (nil keeps the current one).
	LastError *events.FailureError
	// Generation, when above the stored one, records a replay.
	Generation int
	// Results are queued in the outbox in the same transaction.
	Results []*Message
	// Release gives up the worker's lease.
	Release bool
	// Insert, when set, records the signup first, as Acquire would have
	// (see Begin.New); the change fails with ErrExists if the row is
	// there.
	Insert *Begin
	// Next, when set, is a second journal entry committed after the first:
	// the start of the following step, when no Okta call separates the two
	// and one commit can record both. The row's step and attempts follow it.
	Next *Entry
}

// Entry is a journal entry.
type Entry struct {
	Step    string
	Status  string
	Attempt int
	Detail  any
}

// ErrFinished is Record's error for a signup that already has its outcome
// (provisioned, failed or dead) when the change is not a replay: a second
// outcome is never committed. Nothing was committed.
var ErrFinished = errors.New("outbox: signup already finished")

// Record commits c for signup id. When c carries Results, the relay is
// woken after the commit.
func (s *Store) Record(ctx context.Context, id string, c Change) error {
	var sealed []byte
	if c.OrgToken != "" {
		var err error
		sealed, err = s.keys.SealBytes([]byte(c.OrgToken), []byte("org-token:"+id))
		if err != nil {
			return fmt.Errorf("record %s: seal org token: %w", c.Step, err)
		}
	}
	var lastErr string
	if c.LastError != nil {
		raw, err := json.Marshal(c.LastError)
		if err != nil {
			return fmt.Errorf("record %s: %w", c.Step, err)
		}
		lastErr = string(raw)
	}

	detail, err := marshalDetail(c.Detail)
	if err != nil {
		return fmt.Errorf("record %s: %w", c.Step, err)
	}
	var nextDetail string
	if c.Next != nil {
		if nextDetail, err = marshalDetail(c.Next.Detail); err != nil {
			return fmt.Errorf("record %s: %w", c.Step, err)
		}
	}

	err = s.withTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		now := s.now()
		if c.Insert != nil {
			if err := insertSignup(ctx, tx, *c.Insert, now); err != nil {
				return err
			}
		}
		sets := []string{"updated_at = ?"}
		args := []any{formatTime(now)}
		add := func(col string, v any) {
			sets = append(sets, col+" = ?")
			args = append(args, v)
		}
		if c.State != "" {
			add("state", c.State)
		}
		switch {
		case c.Next != nil:
			add("step", c.Next.Step)
			add("attempts", c.Next.Attempt)
		case c.Step != "":
			add("step", c.Step)
			add("attempts", c.Attempt)
		}
		if c.OrgHost != "" {
			add("org_host", c.OrgHost)
		}
		if c.OrgID != "" {
			add("org_id", c.OrgID)
		}
		if sealed != nil {
			add("org_token", sealed)
		}
		if c.AppID != "" {
			add("app_id", c.AppID)
		}
		if c.AppLabel != "" {
			add("app_label", c.AppLabel)
		}
		if lastErr != "" {
			add("last_error", lastErr)
		}
		if c.Generation > 0 {
			add("generation", c.Generation)
		}
		if c.Release {
			add("lease_owner", "")
			add("lease_until", "")
		}
		// A finished signup keeps its outcome; only a replay (a new
		// generation) may change it.
		args = append(args, id, c.Generation > 0)
		res, err := tx.ExecContext(ctx, "UPDATE signups SET "+strings.Join(sets, ", ")+
			` WHERE id = ? AND (state NOT IN ('`+StateProvisioned+`', '`+StateFailed+`', '`+
			StateDead+`') OR ?)`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var state string
			if err := tx.GetContext(ctx, &state, "SELECT state FROM signups WHERE id = ?", id); err != nil {
				return ErrNotFound
			}
			return ErrFinished
		}
		if c.Step != "" {
			if err := insertStep(ctx, tx, id, c.Step, c.Status, c.Attempt, detail, now); err != nil {
				return err
			}
		}
		if n := c.Next; n != nil {
			if err := insertStep(ctx, tx, id, n.Step, n.Status, n.Attempt, nextDetail, now); err != nil {
				return err
			}
		}
		for _, m := range c.Results {
			if err := insertMessage(ctx, tx, m, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %s: %w", c.Step, err)
	}
	if len(c.Results) > 0 {
		s.notify()
	}
	return nil
}
