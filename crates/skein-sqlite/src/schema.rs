//! The store's tables, and opening a file as a store: recognise it, create
//! the schema in a fresh file, refuse anything else.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{classify, StoreError};

/// `PRAGMA application_id` of every skein store: "skn1" in ASCII, so
/// `file(1)` and a reader of the header can tell the file apart.
pub const APPLICATION_ID: i32 = 0x736b_6e31;

/// `PRAGMA user_version`: bumped with every change to the tables below.
/// Stores of versions 1 (no payloads, failures, times or deadlines) and 2
/// (no runtime bookkeeping) are migrated when opened (by a rebuild of the tables in one transaction).
pub const SCHEMA_VERSION: i64 = 3;

/// How long a step waits for another process's step to finish. Steps hold
/// the write lock while the flow runs, so this bounds a flow's step too.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Every table, index and trigger of version 3, as a new store and a
/// migration create them.
macro_rules! TABLES {
    () => {
        "
CREATE TABLE store (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- the id the next start gets; ids are never reused
    next_id INTEGER NOT NULL CHECK (next_id >= 1),
    -- the change counter: every write to a flow adds one and sets the flow's version to it
    seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE flows (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    flow TEXT,                    -- the defflow name; NULL only for an imported finished anonymous flow
    args TEXT NOT NULL,           -- JSON array of values
    status TEXT NOT NULL CHECK (status IN ('suspended', 'done', 'failed', 'cancelled')),
    pending_tag TEXT,             -- JSON value; set exactly when suspended
    pending_payload TEXT,         -- JSON value; set exactly when suspended
    pending_timeout REAL,         -- seconds, when the request has a timeout
    pending_deadline TEXT,        -- RFC 3339, when the request has a timeout
    result TEXT,                  -- JSON value; set when done
    error TEXT,                   -- the message; set when failed
    source_path TEXT,             -- absolute path of the .flow file; NULL if imported without one
    source_sha256 TEXT,           -- of the file's bytes when recorded
    created_at TEXT NOT NULL,     -- metadata only: never read by a flow
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0, -- store.seq at the flow's last write
    pending_since INTEGER,        -- ms since the Unix epoch: when the pending request was made; set exactly when suspended
    due_at INTEGER,               -- ms since the Unix epoch: when a server should next look at the flow; NULL: nothing to do
    attempts INTEGER NOT NULL DEFAULT 0, -- handler attempts on the pending request
    CHECK ((status = 'suspended') = (pending_tag IS NOT NULL AND pending_payload IS NOT NULL)),
    CHECK (status <> 'done' OR result IS NOT NULL),
    CHECK ((status = 'suspended') = (pending_since IS NOT NULL)),
    CHECK (status = 'suspended' OR due_at IS NULL)
);

-- What a server polls: the few flows with something to do, earliest first.
CREATE INDEX flows_due ON flows (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE log (
    flow_id INTEGER NOT NULL REFERENCES flows (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    tag TEXT NOT NULL,            -- JSON value
    payload TEXT NOT NULL,        -- JSON value
    response TEXT,                -- JSON value; or else
    failure TEXT,                 -- JSON object: message, timeout
    at TEXT,                      -- RFC 3339: when the answer was recorded (metadata)
    CHECK ((response IS NULL) <> (failure IS NULL)),
    PRIMARY KEY (flow_id, position)
) WITHOUT ROWID;

CREATE TRIGGER log_is_append_only_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the replay log is append-only'); END;
CREATE TRIGGER log_is_append_only_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the replay log is append-only'); END;

-- Requests whose handler failed every attempt, for people to inspect. One
-- per request: a second dead letter for a position replaces the first.
CREATE TABLE dead_letters (
    flow_id INTEGER NOT NULL REFERENCES flows (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    tag TEXT NOT NULL,            -- JSON value
    payload TEXT NOT NULL,        -- JSON value
    handler TEXT NOT NULL,        -- as configured: a command or a URL
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,          -- the last attempt's
    at TEXT NOT NULL,             -- RFC 3339: when it was given up on
    PRIMARY KEY (flow_id, position)
) WITHOUT ROWID;
"
    };
}

/// Version 3. Values are kept in the `skein-store` JSON encoding
/// (docs/store-format.md), so a document is assembled from columns as they are.
pub const SCHEMA: &str = concat!(
    TABLES!(),
    "INSERT INTO store (singleton, next_id) VALUES (1, 1);\n"
);

/// The columns of `flows` and `log` a store of version `from` has, as the
/// migration copies them: (flows columns, log columns as inserted, log
/// columns as selected). A version 1 log entry has no payload (`[]`, the
/// empty list), failure or time.
fn old_columns(from: i64) -> Option<(&'static str, &'static str, &'static str)> {
    const FLOWS_V1: &str = "id, flow, args, status, pending_tag, pending_payload, result, error,
        source_path, source_sha256, created_at, updated_at";
    const FLOWS_V2: &str = "id, flow, args, status, pending_tag, pending_payload, result, error,
        source_path, source_sha256, created_at, updated_at, pending_timeout, pending_deadline";
    const LOG_V2: &str = "flow_id, position, tag, payload, response, failure, at";
    match from {
        1 => Some((
            FLOWS_V1,
            "flow_id, position, tag, payload, response",
            "flow_id, position, tag, '[]', response",
        )),
        2 => Some((FLOWS_V2, LOG_V2, LOG_V2)),
        _ => None,
    }
}

/// A version 1 or 2 store becomes version 3: its tables are rebuilt under
/// their names and their rows copied (`open` compares the tables' SQL
/// with [`SCHEMA`] exactly, which `ALTER TABLE ... ADD COLUMN` would not
/// give). Each flow's version is its id, below the new change counter; a
/// suspended flow's request counts as made `now`, and it is due `now`, so
/// the first server to look classifies it (a sleep then wakes a full
/// sleep after the migration, never early). One transaction: a store is
/// migrated whole or not at all.
fn migrate(conn: &mut Connection, now: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated it while this one waited.
    let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let Some((flows, log_into, log_from)) = old_columns(from) else {
        return tx.commit();
    };
    tx.execute_batch(concat!(
        "
DROP TRIGGER log_is_append_only_update;
DROP TRIGGER log_is_append_only_delete;
ALTER TABLE log RENAME TO log_old;
ALTER TABLE flows RENAME TO flows_old;
ALTER TABLE store RENAME TO store_old;
",
        TABLES!()
    ))?;
    tx.execute(
        &format!(
            "INSERT INTO flows ({flows}, version, pending_since, due_at)
             SELECT {flows}, id, iif(status = 'suspended', ?1, NULL),
                    iif(status = 'suspended', ?1, NULL) FROM flows_old"
        ),
        [now],
    )?;
    tx.execute_batch(&format!(
        "
INSERT INTO log ({log_into}) SELECT {log_from} FROM log_old;
INSERT INTO store (singleton, next_id, seq)
    SELECT singleton, next_id, (SELECT coalesce(max(id), 0) FROM flows) FROM store_old;
DROP TABLE log_old;
DROP TABLE flows_old;
DROP TABLE store_old;
PRAGMA user_version = {SCHEMA_VERSION};
"
    ))?;
    tx.commit()
}

/// Open the existing store at `path`, and check it before anything is
/// read or written: the file is a skein store of this schema version
/// (`application_id`, `user_version`), its tables, indexes and triggers are
/// exactly those of [`SCHEMA`], and its one `store` row holds a `next_id`
/// above every flow id and at most [`skein::MAX_FLOW_ID`] + 1. These read a
/// few rows whatever the store's size; [`check_integrity`] reads it all.
///
/// Nothing here creates or writes: an empty file, or an SQLite database
/// without tables, is not a store ([`StoreError::NotAStore`]); only
/// [`Unpublished`] makes new stores, and they appear whole.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let name = path.display().to_string();
    let err = |e| classify(&name, e);
    let not_a_store = |reason: &str| StoreError::NotAStore {
        path: name.clone(),
        reason: reason.into(),
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing(name))
        }
        Ok(meta) if meta.is_file() && meta.len() == 0 => {
            return Err(not_a_store(
                "an empty file: a store is created only where no file is",
            ))
        }
        _ => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // The first read of the header: where a foreign file shows itself.
    let (app_id, version) = identify(&conn).map_err(err)?;
    match (app_id, version) {
        (APPLICATION_ID, SCHEMA_VERSION) => {}
        (APPLICATION_ID, 1 | 2) => {
            conn.pragma_update(None, "foreign_keys", "OFF")
                .map_err(err)?;
            migrate(&mut conn, crate::record::millis(skein::Timestamp::now())).map_err(err)?;
        }
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
        (0, 0) if table_count(&conn).map_err(err)? == 0 => {
            return Err(not_a_store(
                "an SQLite database without tables: a store is created only where no file is",
            ))
        }
        _ => return Err(not_a_store("an SQLite database of another program")),
    }
    // FULL: a step acknowledged to the caller survives a power cut too,
    // not only a killed process.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(err)?;
    // Checkpoint every 8 MiB of WAL rather than SQLite's 1,000 pages: a
    // flow's log page written by many steps goes to the file once per
    // checkpoint, and a store whose logs are long is not checkpointed (in
    // scattered writes) eight times as often (docs/performance.md).
    conn.pragma_update(None, "wal_autocheckpoint", 8192)
        .map_err(err)?;
    verify(&conn, &name)?;
    Ok(conn)
}

/// The cheap checks of [`open`]: the schema objects, and the `store` row.
fn verify(conn: &Connection, path: &str) -> Result<(), StoreError> {
    let err = |e| classify(path, e);
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_string(),
        detail,
    };
    // One read transaction: the checks see one state of the file.
    let tx = conn.unchecked_transaction().map_err(err)?;
    if schema_objects(&tx).map_err(err)? != expected_objects().map_err(err)? {
        return Err(damaged(
            format!("its tables, indexes or triggers differ from those of store schema version {SCHEMA_VERSION}"),
        ));
    }
    let (rows, next_id): (i64, Option<i64>) = tx
        .query_row("SELECT count(*), max(next_id) FROM store", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(err)?;
    let highest: Option<i64> = tx
        .query_row("SELECT max(id) FROM flows", [], |r| r.get(0))
        .map_err(err)?;
    let limit = skein::MAX_FLOW_ID as i64 + 1;
    match (rows, next_id) {
        (1, Some(n)) if (1..=limit).contains(&n) => {
            if let Some(h) = highest.filter(|h| *h >= n) {
                return Err(damaged(format!(
                    "flow {h} is not below the store's next id {n}"
                )));
            }
        }
        (1, Some(n)) => {
            return Err(damaged(format!(
                "the store's next id {n} is outside 1..={limit}"
            )))
        }
        _ => return Err(damaged("the store row is missing".into())),
    }
    Ok(())
}

/// Every table, index and trigger with its SQL, by name.
type Objects = Vec<(String, String, Option<String>)>;

fn schema_objects(conn: &Connection) -> rusqlite::Result<Objects> {
    let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// What [`SCHEMA`] creates, as SQLite records it (in a scratch memory database).
fn expected_objects() -> rusqlite::Result<Objects> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    schema_objects(&conn)
}

/// SQLite's own check of every page (`PRAGMA quick_check`): O(size of the
/// store), so [`open`] leaves it to the commands that need it.
pub(crate) fn check_integrity(conn: &Connection, path: &str) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check")
        .map_err(|e| classify(path, e))?;
    let problems = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| classify(path, e))?;
    if problems.iter().all(|p| p == "ok") {
        return Ok(());
    }
    Err(StoreError::Damaged {
        path: path.to_string(),
        detail: format!("SQLite's quick_check: {}", problems.join("; ")),
    })
}

/// A new store being built beside `path` under a name of its own: it
/// appears at `path` only when [published](Unpublished::publish), whole, and
/// only if no file is there by then. Dropped unpublished, it is removed, so
/// a refused creation (an import whose document is refused) leaves nothing.
/// A process killed while creating a store leaves at most this aside file
/// (`NAME.new-PID-NANOS`), never an empty file at `path`.
pub(crate) struct Unpublished {
    aside: PathBuf,
    path: PathBuf,
}

impl Unpublished {
    /// Create the file aside, with the schema; the connection to fill it.
    pub(crate) fn create(path: &Path) -> Result<(Unpublished, Connection), StoreError> {
        let name = path.display().to_string();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".new-{}-{nanos}", std::process::id()));
        let made = Unpublished {
            aside: PathBuf::from(aside),
            path: path.to_path_buf(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(&made.aside, flags).map_err(|e| classify(&name, e))?;
        initialise(&mut conn).map_err(|e| classify(&name, e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| classify(&name, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| classify(&name, e))?;
        Ok((made, conn))
    }

    /// Close `conn` (its writes reach the file) and put the store at its
    /// path, unless a file appeared there meanwhile (another process
    /// created the store first): then `false`, and this one is removed.
    pub(crate) fn publish(self, conn: Connection) -> Result<bool, StoreError> {
        let name = self.path.display().to_string();
        conn.close().map_err(|(_, e)| classify(&name, e))?;
        // A link, not a rename: it fails rather than replace a file.
        match std::fs::hard_link(&self.aside, &self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(err) => return Err(StoreError::Create { path: name, err }),
        }
        // The new name survives a power cut too (where the system allows).
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(true)
    }
}

impl Drop for Unpublished {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = self.aside.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

fn identify(conn: &Connection) -> rusqlite::Result<(i32, i64)> {
    let app_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((app_id, version))
}

fn table_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
}

/// Create the schema in a new, empty file (no other process knows it).
fn initialise(conn: &mut Connection) -> rusqlite::Result<()> {
    // Outside any transaction, as SQLite requires; WAL lets readers (list,
    // show, export) run while a step writes. Kept in the file's header.
    // Small pages: a step appends ~200 bytes to one flow's log and rewrites
    // its row, and a commit holds the steps of many flows, each on its own
    // page once their logs are long. 1 KiB pages keep what a commit syncs
    // close to what it changed, so a step costs about the same at history
    // 10 and 10,000 (docs/performance.md, "skein serve").
    conn.execute_batch("PRAGMA page_size = 1024")?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}
