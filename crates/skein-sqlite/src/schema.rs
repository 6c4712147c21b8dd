//! The store's tables, and opening a file as a store: recognise it, create
//! the schema in a fresh file, refuse anything else.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{classify, StoreError};

/// `PRAGMA application_id` of every skein store: "skn1" in ASCII, so
/// `file(1)` and a reader of the header can tell the file apart.
pub const APPLICATION_ID: i32 = 0x736b_6e31;

/// `PRAGMA user_version`: bumped with every change to the tables below.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a step waits for another process's step to finish. Steps hold
/// the write lock while the flow runs, so this bounds a flow's step too.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Version 1. Values are kept in the `skein-store` JSON encoding
/// (docs/store-format.md), so a document is assembled from columns as they are.
pub const SCHEMA: &str = "
CREATE TABLE store (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- the id the next start gets; ids are never reused
    next_id INTEGER NOT NULL CHECK (next_id >= 1)
);
INSERT INTO store (singleton, next_id) VALUES (1, 1);

CREATE TABLE flows (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    flow TEXT,                    -- the defflow name; NULL only for an imported finished anonymous flow
    args TEXT NOT NULL,           -- JSON array of values
    status TEXT NOT NULL CHECK (status IN ('suspended', 'done', 'failed', 'cancelled')),
    pending_tag TEXT,             -- JSON value; set exactly when suspended
    pending_payload TEXT,         -- JSON value; set exactly when suspended
    result TEXT,                  -- JSON value; set when done
    error TEXT,                   -- the message; set when failed
    source_path TEXT,             -- absolute path of the .flow file; NULL if imported without one
    source_sha256 TEXT,           -- of the file's bytes when recorded
    created_at TEXT NOT NULL,     -- metadata only: never read by a flow
    updated_at TEXT NOT NULL,
    CHECK ((status = 'suspended') = (pending_tag IS NOT NULL AND pending_payload IS NOT NULL)),
    CHECK (status <> 'done' OR result IS NOT NULL)
);

CREATE TABLE log (
    flow_id INTEGER NOT NULL REFERENCES flows (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    tag TEXT NOT NULL,            -- JSON value
    response TEXT NOT NULL,       -- JSON value
    PRIMARY KEY (flow_id, position)
) WITHOUT ROWID;

CREATE TRIGGER log_is_append_only_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the replay log is append-only'); END;
CREATE TRIGGER log_is_append_only_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the replay log is append-only'); END;
";

/// Open `path` as a store. With `create`, a missing file becomes a new store;
/// an empty SQLite file (one a killed first step left behind) always does.
pub fn open(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let name = path.display().to_string();
    let err = |e| classify(&name, e);
    if !create && !path.exists() {
        return Err(StoreError::Missing(name));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // The first read of the header: where a foreign file shows itself.
    let (app_id, version) = identify(&conn).map_err(err)?;
    match (app_id, version) {
        (APPLICATION_ID, SCHEMA_VERSION) => {}
        (APPLICATION_ID, found) if found > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                path: name,
                found,
                supported: SCHEMA_VERSION,
            })
        }
        (APPLICATION_ID, found) => {
            return Err(StoreError::Damaged {
                path: name,
                detail: format!("unknown store schema version {found}"),
            })
        }
        (0, 0) if table_count(&conn).map_err(err)? == 0 => initialise(&mut conn).map_err(err)?,
        _ => {
            return Err(StoreError::NotAStore {
                path: name,
                reason: "an SQLite database of another program".into(),
            })
        }
    }
    // FULL: a step acknowledged to the caller survives a power cut too,
    // not only a killed process.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(err)?;
    Ok(conn)
}

fn identify(conn: &Connection) -> rusqlite::Result<(i32, i64)> {
    let app_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((app_id, version))
}

fn table_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
}

/// Create the schema. Processes racing to create one store serialise on the
/// write lock; the loser finds the schema there and leaves it.
fn initialise(conn: &mut Connection) -> rusqlite::Result<()> {
    // Outside any transaction, as SQLite requires; WAL lets readers (list,
    // show, export) run while a step writes.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (app_id, _) = identify(&tx)?;
    if app_id == 0 && table_count(&tx)? == 0 {
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()
}
