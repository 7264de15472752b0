-- The accounts read model: a projection of the event stream, kept by the
-- worker, read by the accounts service.  It can be deleted at any time
-- and rebuilt with `worker --rebuild`.  Every statement run against it
-- is in db/read_model.c.

-- Totals must stay integers: SQLite turns an overflowing sum into a
-- float, which the CHECKs refuse (the event is then a dead letter).  The
-- command side bounds every total at 2^53-1, so none ever gets there.
CREATE TABLE IF NOT EXISTS accounts (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    owned_by            TEXT NOT NULL,
    created_date        TEXT NOT NULL,
    total_revenue_cents INTEGER NOT NULL DEFAULT 0
                        CHECK (typeof(total_revenue_cents) = 'integer'
                               AND total_revenue_cents >= 0)
);
CREATE INDEX IF NOT EXISTS accounts_owned_by ON accounts (owned_by, id);

CREATE TABLE IF NOT EXISTS customers (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL REFERENCES accounts (id),
    name                TEXT NOT NULL,
    created_date        TEXT NOT NULL,
    total_revenue_cents INTEGER NOT NULL DEFAULT 0
                        CHECK (typeof(total_revenue_cents) = 'integer'
                               AND total_revenue_cents >= 0)
);
CREATE INDEX IF NOT EXISTS customers_account ON customers (account_id, id);

-- An account's total is its customers' sum, so that a page of an
-- account with 100,000 customers needs no sum over them.  The projector
-- keeps it: it adds up the changes a batch makes to each account's
-- customers and writes each account's total once, in the batch's own
-- transaction (worker/projector.c).  Until layout 5 a trigger per
-- customer row did, one more row written per invoice.

-- The last stream entry applied, written in the same transaction as the
-- effects of the entries before it: this row, not the checkpoint file,
-- is what makes each event count exactly once.  batches and batch_us
-- are the projector's timing for /metrics; reconciliations, the times
-- the stream had lost what this file had applied, and it was rebuilt
-- (worker/reconcile.c).
CREATE TABLE IF NOT EXISTS projector_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id   TEXT NOT NULL,
    events_seen     INTEGER NOT NULL,
    unknown_skipped INTEGER NOT NULL,
    batches         INTEGER NOT NULL,
    batch_us        INTEGER NOT NULL,
    reconciliations INTEGER NOT NULL
);
INSERT OR IGNORE INTO projector_state VALUES (1, '0-0', 0, 0, 0, 0, 0);

-- Entries the projector could not apply, kept for an operator.
CREATE TABLE IF NOT EXISTS dead_letters (
    stream_id   TEXT PRIMARY KEY,
    event_type  TEXT,
    payload     TEXT,
    reason      TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- What the projector did with each event type ('other': an entry with
-- no known type), added to in each batch's own transaction, so that it
-- counts what was committed, exactly.
CREATE TABLE IF NOT EXISTS projector_events (
    event_type TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('applied', 'dead_letter')),
    events     INTEGER NOT NULL,
    PRIMARY KEY (event_type, outcome)
) WITHOUT ROWID;

-- The layout's version (READ_MODEL_VERSION in db/read_model.h): a file
-- of another one is rebuilt from the stream, not misread.
PRAGMA user_version = 5;
