//! The store's tables and their migrations: a database is brought to
//! [`SCHEMA_VERSION`] when a store connects, once, however many servers
//! connect at the same moment.

use postgres::error::SqlState;
use postgres::{Client, GenericClient, Transaction};

use crate::error::{database, StoreError};

/// The version of the tables below. Its own line, apart from SQLite's
/// `user_version`: version 1 holds what SQLite's version 3 does.
pub const SCHEMA_VERSION: i32 = 1;

/// The advisory lock migrations hold: "skn1" in ASCII, as SQLite stores
/// mark their files. Held for one transaction; other servers wait on it.
pub const MIGRATION_LOCK: i64 = 0x736b_6e31;

/// What each version adds to the one before, in order: `MIGRATIONS[n]`
/// brings a store of version `n` to `n + 1`. Every name starts `skein_`,
/// so a store can share a database (and its `search_path`) with others.
const MIGRATIONS: &[&str] = &[V1];

/// Version 1. Values are kept in the `skein-store` JSON encoding
/// (docs/store-format.md), times of the record as its RFC 3339 text, and the
/// runtime's bookkeeping times as milliseconds since the Unix epoch, as in
/// SQLite's store, so a document is assembled from columns as they are.
const V1: &str = "
CREATE TABLE skein_store (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- the id the next start gets; ids are never reused
    next_id bigint NOT NULL CHECK (next_id >= 1)
);
INSERT INTO skein_store (next_id) VALUES (1);

-- Every write to a flow sets its version to the next value: a flow's
-- versions only grow, and a write checked against a version that is gone
-- is a conflict.
CREATE SEQUENCE skein_versions AS bigint;

CREATE TABLE skein_flows (
    id bigint PRIMARY KEY CHECK (id >= 1),
    flow text,                    -- the defflow name; NULL only for an imported finished anonymous flow
    args text NOT NULL,           -- JSON array of values
    status text NOT NULL CHECK (status IN ('suspended', 'done', 'failed', 'cancelled')),
    pending_tag text,             -- JSON value; set exactly when suspended
    pending_payload text,         -- JSON value; set exactly when suspended
    pending_timeout double precision, -- seconds, when the request has a timeout
    pending_deadline text,        -- RFC 3339, when the request has a timeout
    result text,                  -- JSON value; set when done
    error text,                   -- the message; set when failed
    source_path text,             -- absolute path of the .flow file; NULL if imported without one
    source_sha256 text,           -- of the file's bytes when recorded
    created_at timestamptz NOT NULL DEFAULT now(), -- metadata only: never read by a flow
    updated_at timestamptz NOT NULL DEFAULT now(),
    version bigint NOT NULL,      -- from skein_versions, at the flow's last write
    pending_since bigint,         -- ms since the Unix epoch: when the pending request was made; set exactly when suspended
    due_at bigint,                -- ms since the Unix epoch: when a server should next look at the flow (or a claim's end); NULL: nothing to do
    attempts bigint NOT NULL DEFAULT 0, -- handler attempts on the pending request
    CHECK ((status = 'suspended') = (pending_tag IS NOT NULL AND pending_payload IS NOT NULL)),
    CHECK (status <> 'done' OR result IS NOT NULL),
    CHECK ((status = 'suspended') = (pending_since IS NOT NULL)),
    CHECK (status = 'suspended' OR due_at IS NULL)
);

-- What servers claim from: the few flows with something to do, earliest first.
CREATE INDEX skein_flows_due ON skein_flows (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE skein_log (
    flow_id bigint NOT NULL REFERENCES skein_flows (id),
    position bigint NOT NULL CHECK (position >= 0),
    tag text NOT NULL,            -- JSON value
    payload text NOT NULL,        -- JSON value
    response text,                -- JSON value; or else
    failure text,                 -- JSON object: message, timeout
    at text,                      -- RFC 3339: when the answer was recorded (metadata)
    CHECK ((response IS NULL) <> (failure IS NULL)),
    -- one answer per position: a request is never answered twice in a log
    PRIMARY KEY (flow_id, position)
);

CREATE FUNCTION skein_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the replay log is append-only';
END
$$;
CREATE TRIGGER skein_log_is_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON skein_log
    FOR EACH STATEMENT EXECUTE FUNCTION skein_log_is_append_only();

-- Requests whose handler failed every attempt, for people to inspect. One
-- per request: a second dead letter for a position replaces the first.
CREATE TABLE skein_dead_letters (
    flow_id bigint NOT NULL REFERENCES skein_flows (id),
    position bigint NOT NULL CHECK (position >= 0),
    tag text NOT NULL,            -- JSON value
    payload text NOT NULL,        -- JSON value
    handler text NOT NULL,        -- as configured: a command or a URL
    attempts bigint NOT NULL,
    error text NOT NULL,          -- the last attempt's
    at text NOT NULL,             -- RFC 3339: when it was given up on
    PRIMARY KEY (flow_id, position)
);
";

/// The names a skein store's tables have: a database holding one of them
/// without `skein_schema` is another program's.
const TABLES: &[&str] = &[
    "skein_store",
    "skein_flows",
    "skein_log",
    "skein_dead_letters",
];

/// Bring the database `client` is connected to up to [`SCHEMA_VERSION`]:
/// create the tables in an empty one, apply the migrations a store of an
/// older version lacks, refuse a newer one or another program's. The
/// migrations run in one transaction under [`MIGRATION_LOCK`], so servers
/// starting together migrate once and the others find it done; a store is
/// migrated whole or not at all.
pub(crate) fn migrate(client: &mut Client, url: &str) -> Result<(), StoreError> {
    let sql = database(url);
    // Most connections find the store current: no lock, one read.
    if version(client).map_err(&sql)? == Some(SCHEMA_VERSION) {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(&sql)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(&sql)?;
    // Read again under the lock: another server may have migrated meanwhile.
    let from = match version_in(&mut tx).map_err(&sql)? {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                url: url.to_string(),
                found,
                supported: SCHEMA_VERSION,
            })
        }
        Some(found) if found < 0 => {
            return Err(StoreError::Damaged {
                url: url.to_string(),
                detail: format!("unknown store schema version {found}"),
            })
        }
        Some(found) => found,
        None => {
            let foreign = tx
                .query_one(
                    "SELECT array_to_string(array_agg(t), ', ') FROM unnest($1::text[]) AS t
                     WHERE to_regclass(t) IS NOT NULL",
                    &[&TABLES],
                )
                .map_err(&sql)?
                .try_get::<_, Option<String>>(0)
                .map_err(&sql)?;
            if let Some(tables) = foreign {
                return Err(StoreError::NotAStore {
                    url: url.to_string(),
                    reason: format!("it has tables named {tables} but no skein_schema"),
                });
            }
            tx.batch_execute(
                "CREATE TABLE skein_schema (
                     singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                     version integer NOT NULL
                 );
                 INSERT INTO skein_schema (version) VALUES (0);",
            )
            .map_err(&sql)?;
            0
        }
    };
    for step in &MIGRATIONS[from as usize..] {
        tx.batch_execute(step).map_err(&sql)?;
    }
    tx.execute("UPDATE skein_schema SET version = $1", &[&SCHEMA_VERSION])
        .map_err(&sql)?;
    tx.commit().map_err(&sql)
}

/// The schema version of the store, or `None` in a database without one.
///
/// Read from the table itself, not asked of `to_regclass`: a name that
/// was not found is remembered by the session's catalog cache, and only
/// a lookup that locks the table (this one) catches up with a table
/// another server created meanwhile; `to_regclass` would go on saying it
/// is not there after the migration lock was granted.
pub(crate) fn version(client: &mut impl GenericClient) -> Result<Option<i32>, postgres::Error> {
    let row = match client.query_opt("SELECT version FROM skein_schema", &[]) {
        Ok(row) => row,
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => return Ok(None),
        Err(e) => return Err(e),
    };
    row.map(|r| r.try_get(0)).transpose()
}

/// [`version`] in a transaction, which a missing table must not abort.
fn version_in(tx: &mut Transaction) -> Result<Option<i32>, postgres::Error> {
    let mut probe = tx.savepoint("skein_schema_probe")?;
    let found = version(&mut probe)?;
    // Released if found; rolled back (the error undone) if not.
    if found.is_some() {
        probe.commit()?;
    }
    Ok(found)
}

/// Check the one `skein_store` row: a `next_id` above every flow id and at
/// most [`skein::MAX_FLOW_ID`] + 1. Two index reads whatever the store's size.
pub(crate) fn verify(client: &mut Client, url: &str) -> Result<(), StoreError> {
    let row = client
        .query_opt(
            "SELECT next_id, (SELECT max(id) FROM skein_flows) FROM skein_store",
            &[],
        )
        .map_err(database(url))?;
    let damaged = |detail: String| StoreError::Damaged {
        url: url.to_string(),
        detail,
    };
    let Some(row) = row else {
        return Err(damaged("the store row is missing".into()));
    };
    let (next_id, highest): (i64, Option<i64>) = (
        row.try_get(0).map_err(database(url))?,
        row.try_get(1).map_err(database(url))?,
    );
    let limit = skein::MAX_FLOW_ID as i64 + 1;
    if !(1..=limit).contains(&next_id) {
        return Err(damaged(format!(
            "the store's next id {next_id} is outside 1..={limit}"
        )));
    }
    if let Some(h) = highest.filter(|h| *h >= next_id) {
        return Err(damaged(format!(
            "flow {h} is not below the store's next id {next_id}"
        )));
    }
    Ok(())
}
