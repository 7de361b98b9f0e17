package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/embedded-occ/provisioner/events"
)

// Signup states, in the order a signup passes through them. A state ending
// in "_pending" means a non-idempotent call was attempted and its outcome
// is not yet recorded: after a crash the worker reconciles instead of
// repeating it.
const (
	StateReceived    = "received"
	StateChecked     = "checked" // the ISV's or customer's token works
	StateOrgPending  = "org_pending"
	StateOrgCreated  = "org_created"
	StateAppPending  = "app_pending"
	StateAppCreated  = "app_created"
	StateProvisioned = "provisioned"
	StateFailed      = "failed"
	StateDead        = "dead"
)

// Done reports whether state is final: the signup has its one result.
func Done(state string) bool {
	return state == StateProvisioned || state == StateFailed || state == StateDead
}

// Signup is one signup's row. OrgToken is never loaded in plain text; use
// Store.OrgToken.
type Signup struct {
	ID         string    `db:"id" json:"id"`
	Tenant     string    `db:"tenant" json:"tenant"`
	State      string    `db:"state" json:"state"`
	Subdomain  string    `db:"subdomain" json:"subdomain,omitempty"`
	OrgHost    string    `db:"org_host" json:"orgHost,omitempty"`
	OrgID      string    `db:"org_id" json:"orgId,omitempty"`
	AppName    string    `db:"app_name" json:"appName"`
	AppLabel   string    `db:"app_label" json:"appLabel"`
	AppID      string    `db:"app_id" json:"appId,omitempty"`
	Step       string    `db:"step" json:"step,omitempty"`
	Attempts   int       `db:"attempts" json:"attempts"`
	Generation int       `db:"generation" json:"generation"`
	LastError  string    `db:"last_error" json:"-"`
	CreatedAt  time.Time `db:"-" json:"createdAt"`
	UpdatedAt  time.Time `db:"-" json:"updatedAt"`

	orgToken []byte
}

// Failure decodes the last error, or returns nil.
func (sg *Signup) Failure() *events.FailureError {
	if sg.LastError == "" {
		return nil
	}
	var f events.FailureError
	if json.Unmarshal([]byte(sg.LastError), &f) != nil {
		return nil
	}
	return &f
}

type signupRow struct {
	Signup
	OrgTokenRaw []byte `db:"org_token"`
	LeaseOwner  string `db:"lease_owner"`
	LeaseUntil  string `db:"lease_until"`
	Created     string `db:"created_at"`
	Updated     string `db:"updated_at"`
}

func (r *signupRow) signup() *Signup {
	sg := r.Signup
	sg.orgToken = r.OrgTokenRaw
	sg.CreatedAt = parseTime(r.Created)
	sg.UpdatedAt = parseTime(r.Updated)
	return &sg
}

const selectSignup = `SELECT id, tenant, state, subdomain, org_host, org_id, org_token,
	app_name, app_label, app_id, step, attempts, generation, last_error,
	lease_owner, lease_until, created_at, updated_at FROM signups`

// Begin is what the worker knows of a signup when it first sees it.
type Begin struct {
	ID, Tenant, Subdomain, OrgHost, AppName, AppLabel string
	// Owner names the worker; Lease is how long it may hold the signup
	// before another worker may take it over.
	Owner string
	Lease time.Duration
}

// Acquire records the signup if it is new and leases it to b.Owner. It
// returns the signup's current row. A finished signup is returned as it is,
// without a lease. If another owner's lease is still running it returns
// ErrLeased. The write is lazy (see withLazyTx): the signup's first durable
// step commits it to disk.
func (s *Store) Acquire(ctx context.Context, b Begin) (*Signup, error) {
	var out *Signup
	err := s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		now := s.now()
		var row signupRow
		err := tx.GetContext(ctx, &row, selectSignup+" WHERE id = ?", b.ID)
		if errors.Is(err, sql.ErrNoRows) {
			if err := insertSignup(ctx, tx, b, now); err != nil {
				return err
			}
			err = tx.GetContext(ctx, &row, selectSignup+" WHERE id = ?", b.ID)
			if err != nil {
				return err
			}
			out = row.signup()
			return nil
		}
		if err != nil {
			return err
		}
		if Done(row.State) {
			out = row.signup()
			return nil
		}
		if until := parseTime(row.LeaseUntil); row.LeaseOwner != "" && row.LeaseOwner != b.Owner &&
			until.After(now) {
			return &LeasedError{Owner: row.LeaseOwner, Until: until}
		}
		_, err = tx.ExecContext(ctx, `UPDATE signups SET lease_owner = ?, lease_until = ? WHERE id = ?`,
			b.Owner, formatTime(now.Add(b.Lease)), b.ID)
		if err != nil {
			return err
		}
		out = row.signup()
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrLeased) {
			return nil, err
		}
		return nil, fmt.Errorf("acquire signup: %w", err)
	}
	return out, nil
}

// insertSignup records a new signup, leased to b.Owner, with its
// "receive" journal entry. It fails with ErrExists if the row is there.
func insertSignup(ctx context.Context, tx *sqlx.Tx, b Begin, now time.Time) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO signups (id, tenant, state, subdomain,
		org_host, app_name, app_label, lease_owner, lease_until, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		b.ID, b.Tenant, StateReceived, b.Subdomain, b.OrgHost, b.AppName, b.AppLabel,
		b.Owner, formatTime(now.Add(b.Lease)), formatTime(now), formatTime(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExists
	}
	return insertStep(ctx, tx, b.ID, "receive", "done", 1, "", now)
}

// ErrExists is Record's error when Change.Insert finds the signup already
// recorded: another worker took it meanwhile. Nothing was committed.
var ErrExists = errors.New("outbox: signup already recorded")

// New returns the row a signup will have once Change.Insert records it.
// A worker that finds no row for a signup (Get) may start it without a
// write and record it with its first durable step, which fails with
// ErrExists if another worker was quicker.
func (b Begin) New() *Signup {
	return &Signup{ID: b.ID, Tenant: b.Tenant, State: StateReceived, Subdomain: b.Subdomain,
		OrgHost: b.OrgHost, AppName: b.AppName, AppLabel: b.AppLabel}
}

// LeasedError is Acquire's error when another worker holds the signup:
// who, and until when (on the store's clock) unless renewed. It matches
// ErrLeased with errors.Is.
type LeasedError struct {
	Owner string
	Until time.Time
}

func (e *LeasedError) Error() string {
	return ErrLeased.Error() + " until " + e.Until.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrLeased) true.
func (e *LeasedError) Is(target error) bool { return target == ErrLeased }

// Renew extends owner's lease on a signup to lease from now (lazily, see
// withLazyTx). It does nothing when owner no longer holds the lease (the
// signup was finished, released or taken over).
func (s *Store) Renew(ctx context.Context, id, owner string, lease time.Duration) error {
	err := s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE signups SET lease_until = ?
			WHERE id = ? AND lease_owner = ?`, formatTime(s.now().Add(lease)), id, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("renew lease: %w", err)
	}
	return nil
}

// Release gives up owner's lease on a signup, if it holds it (lazily, see
// withLazyTx).
func (s *Store) Release(ctx context.Context, id, owner string) error {
	return s.withLazyTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE signups SET lease_owner = '', lease_until = ''
			WHERE id = ? AND lease_owner = ?`, id, owner)
		return err
	})
}

// Get returns a signup's row, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Signup, error) {
	var row signupRow
	err := s.r.GetContext(ctx, &row, selectSignup+" WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get signup: %w", err)
	}
	return row.signup(), nil
}

// OrgToken opens the signup's sealed org token; "" when none is stored.
func (s *Store) OrgToken(sg *Signup) (string, error) {
	if len(sg.orgToken) == 0 {
		return "", nil
	}
	plain, err := s.keys.OpenBytes(sg.orgToken, []byte("org-token:"+sg.ID))
	if err != nil {
		return "", fmt.Errorf("open org token: %w", err)
	}
	return string(plain), nil
}

// Step is one journal entry.
type Step struct {
	Seq     int64           `db:"seq" json:"seq"`
	Step    string          `db:"step" json:"step"`
	Status  string          `db:"status" json:"status"`
	Attempt int             `db:"attempt" json:"attempt"`
	Detail  json.RawMessage `db:"-" json:"detail,omitempty"`
	At      time.Time       `db:"-" json:"at"`
}

// Journal returns a signup's steps in order.
func (s *Store) Journal(ctx context.Context, id string) ([]Step, error) {
	var rows []struct {
		Step
		DetailRaw string `db:"detail"`
		AtRaw     string `db:"at"`
	}
	err := s.r.SelectContext(ctx, &rows, `SELECT seq, step, status, attempt, detail, at
		FROM steps WHERE signup_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	out := make([]Step, len(rows))
	for i, r := range rows {
		out[i] = r.Step
		if r.DetailRaw != "" {
			out[i].Detail = json.RawMessage(r.DetailRaw)
		}
		out[i].At = parseTime(r.AtRaw)
	}
	return out, nil
}

// insertStep adds a journal entry; detail is JSON or "".
func insertStep(ctx context.Context, tx *sqlx.Tx, id, step, status string, attempt int,
	detail string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO steps (signup_id, step, status, attempt, detail, at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, step, status, attempt, detail, formatTime(at))
	return err
}

// marshalDetail encodes a journal entry's detail, "" for none. Callers do
// it before queueing their change, so that the one writer does not.
func marshalDetail(detail any) (string, error) {
	if detail == nil {
		return "", nil
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return "", fmt.Errorf("journal detail: %w", err)
	}
	return string(raw), nil
}
