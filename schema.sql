-- The provisioner's SQLite schema. Applied at start-up; every statement is
-- idempotent. Secrets are never stored in plain text: org tokens are sealed
-- with the storage key (AES-256-GCM) before they reach this file.

-- One row per signup event id: where the signup stands.
CREATE TABLE IF NOT EXISTS signups (
    id            TEXT PRIMARY KEY,          -- the CloudEvent id
    tenant        TEXT NOT NULL,             -- new | existing
    state         TEXT NOT NULL,             -- see outbox.State*
    subdomain     TEXT NOT NULL DEFAULT '',
    org_host      TEXT NOT NULL DEFAULT '',
    org_id        TEXT NOT NULL DEFAULT '',
    org_token     BLOB,                      -- sealed new-org token
    app_name      TEXT NOT NULL DEFAULT '',
    app_label     TEXT NOT NULL DEFAULT '',
    app_id        TEXT NOT NULL DEFAULT '',
    step          TEXT NOT NULL DEFAULT '',  -- last step touched
    attempts      INTEGER NOT NULL DEFAULT 0,-- attempts of that step
    generation    INTEGER NOT NULL DEFAULT 0,-- bumped by each replay
    last_error    TEXT NOT NULL DEFAULT '',  -- JSON events.FailureError
    lease_owner   TEXT NOT NULL DEFAULT '',  -- worker holding the signup
    lease_until   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The journal: every step outcome, in order.
CREATE TABLE IF NOT EXISTS steps (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    signup_id  TEXT NOT NULL REFERENCES signups(id),
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,                -- started | done | failed | retry
    attempt    INTEGER NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',     -- JSON, never a secret
    at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_signup ON steps(signup_id, seq);

-- The outbox: result events waiting for the relay.
CREATE TABLE IF NOT EXISTS outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id        TEXT NOT NULL UNIQUE,      -- Nats-Msg-Id, same every attempt
    subject       TEXT NOT NULL,
    payload       BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TEXT NOT NULL DEFAULT '',
    published_at  TEXT NOT NULL DEFAULT '',
    stream_seq    INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(published_at, seq);

-- Facts about the file itself: "keycheck" holds a value sealed with the
-- storage key, so a wrong key is refused at start-up, not at first use.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
