//! [`Store`]: an open store file, what it holds, and its exchange with
//! `skein-store` documents. Steps (start, resume, cancel) are in `step.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use skein::{Engine, FlowRecord, FlowStatus, Limits, LogEntry, StoreDocument, Value};

use crate::error::{classify, damaged, StoreError};
use crate::record::{self, Bookkeeping, RawFlow, FLOW_COLUMNS, LOG_LENGTH};
use crate::schema::{self, Unpublished};
use skein_runtime::{DeadLetter, Filter, FlowInfo, Source, State};

/// A skein store: a SQLite file holding flow instances and their replay
/// logs. Each operation is one transaction; several processes may use one
/// store at once (their steps take turns).
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// For the engine of every step.
    pub(crate) limits: Limits,
    /// The source files a runtime's inserts named, read once each: a
    /// server loads its files once, so the hash of that reading is the
    /// code its flows run, and a hot loop of starts hashes nothing.
    pub(crate) sources: HashMap<PathBuf, Source>,
}

impl Store {
    /// Open an existing store; a missing file is [`StoreError::Missing`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path.as_ref(), false)
    }

    /// Open a store, creating the file if there is none.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path.as_ref(), true)
    }

    fn open_with(path: &Path, create: bool) -> Result<Store, StoreError> {
        if create && !path.exists() {
            let (aside, conn) = Unpublished::create(path)?;
            // `false`: another process created it first; open theirs.
            aside.publish(conn)?;
        }
        Ok(Store {
            conn: schema::open(path)?,
            path: path.to_path_buf(),
            limits: Limits::default(),
            sources: HashMap::new(),
        })
    }

    /// SQLite's own check of every page of the store (`PRAGMA
    /// quick_check`), refusing a damaged one with [`StoreError::Damaged`].
    /// Opening a store checks its header, schema and `store` row only, a few
    /// rows whatever its size; this reads the whole file once (`skein
    /// flow` runs it before every command).
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        schema::check_integrity(&self.conn, &self.path.display().to_string())
    }

    /// [`Store::import_json`] into the store at `path`, creating it if no
    /// file is there. A new store is built aside and appears at `path` only
    /// once it holds the whole document: a refused import leaves no file
    /// behind, and an existing store exactly as it was.
    pub fn import_json_at(
        path: impl AsRef<Path>,
        json: &str,
        source: Option<&Path>,
    ) -> Result<usize, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            let (aside, conn) = Unpublished::create(path)?;
            let mut store = Store {
                conn,
                path: path.to_path_buf(),
                limits: Limits::default(),
                sources: HashMap::new(),
            };
            // Refused: `store`, then `aside` (removing the file), are dropped.
            let count = store.import_json(json, source)?;
            if aside.publish(store.conn)? {
                return Ok(count);
            }
            // Another process created a store there first: import into it,
            // which is refused unless it is empty.
        }
        let mut store = Store::open(path)?;
        store.check_integrity()?;
        store.import_json(json, source)
    }

    /// Limits for the engine of every later step. A step holds the store
    /// while its flow runs, so a runaway flow blocks other processes' steps
    /// until a limit stops it; the step is then refused and nothing changes.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let flow = dir.path().join("spin.flow");
    /// # std::fs::write(&flow, "(defflow spin (lambda () (request 'go '()) (let loop () (loop))))")?;
    /// use skein::{Limits, Value};
    /// use skein_sqlite::{Store, StoreError};
    ///
    /// let mut store = Store::open_or_create(dir.path().join("skein.db"))?;
    /// let id = store.start(&flow, "spin", vec![])?.id;
    /// store.set_limits(Limits { max_steps: Some(100_000), ..Limits::default() });
    /// let refused = store.resume(id, Value::symbol("go"), None);
    /// assert!(matches!(refused, Err(StoreError::Engine(skein::Error::Limit(_)))));
    /// assert!(store.log(id)?.is_empty()); // still waiting on its first request
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Name this store in a database error.
    pub(crate) fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| classify(&self.path.display().to_string(), e)
    }

    /// The store's name for messages, and an immediate transaction: a step
    /// (or an import) holds the store from its first read to its commit,
    /// so processes racing on one store take turns.
    pub(crate) fn begin(&mut self) -> Result<(String, Transaction<'_>), StoreError> {
        let path = self.path.display().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        Ok((path, tx))
    }

    pub(crate) fn damaged(&self) -> impl Fn(String) -> StoreError + '_ {
        move |detail| damaged(&self.path.display().to_string(), detail)
    }

    /// The flows `filter` keeps (`Filter::default()`: every flow), by id.
    pub fn flows(&self, filter: &Filter) -> Result<Vec<FlowInfo>, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(self.sql())?;
        let mut stmt = tx
            .prepare(&select_info("WHERE ?1 IS NULL OR status = ?1 ORDER BY id"))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([filter.status.map(FlowStatus::name)], info_row)
            .map_err(self.sql())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.sql())?;
        let mut flows = Vec::new();
        for row in rows {
            let info = self.info(row)?;
            if filter.matches(&info) {
                flows.push(info);
            }
        }
        Ok(flows)
    }

    /// Flow `id`; [`StoreError::UnknownFlow`] if there is none.
    pub fn flow(&self, id: u64) -> Result<FlowInfo, StoreError> {
        let key = i64::try_from(id).map_err(|_| StoreError::UnknownFlow(id))?;
        let row = self
            .conn
            .query_row(&select_info("WHERE id = ?1"), [key], info_row)
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::UnknownFlow(id),
                e => self.sql()(e),
            })?;
        self.info(row)
    }

    /// The replay log of flow `id`: every answered request as `(tag,
    /// response)`, a failed one's response being `(request-failed
    /// "message")` or `(request-timed-out "message")`, as `Engine::log`
    /// gives it. [`Store::history`] has the entries whole.
    pub fn log(&self, id: u64) -> Result<Vec<(Value, Value)>, StoreError> {
        Ok(self
            .history(id)?
            .into_iter()
            .map(|e| (e.tag, e.answer.to_value()))
            .collect())
    }

    /// The replay log of flow `id`, entry P answering position P: tag,
    /// payload, answer and when it was recorded.
    pub fn history(&self, id: u64) -> Result<Vec<LogEntry>, StoreError> {
        let record = read_record(&self.conn, id, &self.path.display().to_string())?;
        Ok(record.log)
    }

    /// Every dead letter ([`skein_runtime::DeadLetter`]: a request whose
    /// handler failed every attempt), oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT flow_id, position, tag, payload, handler, attempts, error, at
                 FROM dead_letters ORDER BY at, flow_id, position",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], record::dead_letter_row)
            .map_err(self.sql())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.sql())?;
        rows.into_iter()
            .map(|row| row.into_dead_letter().map_err(self.damaged()))
            .collect()
    }

    fn info(
        &self,
        (raw, source, created_at, updated_at, answered): InfoRow,
    ) -> Result<FlowInfo, StoreError> {
        let mut r = raw.into_record([]).map_err(self.damaged())?;
        // Read without its log: the pending request's position is the log's length.
        if let Some(p) = &mut r.pending {
            p.position = answered;
        }
        let pending = r.pending.clone();
        let state = match (r.status, r.pending, r.result, r.error) {
            (FlowStatus::Suspended, Some(p), _, _) => State::Suspended {
                tag: p.tag,
                payload: p.payload,
            },
            (FlowStatus::Done, _, Some(result), _) => State::Done(result),
            (FlowStatus::Failed, _, _, error) => State::Failed(error.unwrap_or_default()),
            (FlowStatus::Cancelled, _, _, _) => State::Cancelled,
            _ => {
                return Err(self.damaged()(format!(
                    "flow {}: its status and columns disagree",
                    r.id
                )))
            }
        };
        Ok(FlowInfo {
            id: r.id,
            flow: r.flow,
            args: r.args,
            state,
            pending,
            source,
            created_at,
            updated_at,
        })
    }

    /// The whole store as a `skein-store` document (docs/store-format.md),
    /// exactly as [`Engine::export_json`] writes one: any host's
    /// [`Engine::import_json`] reads it.
    pub fn export_json(&self) -> Result<String, StoreError> {
        // One read transaction: a consistent snapshot while steps go on.
        let tx = self.conn.unchecked_transaction().map_err(self.sql())?;
        let next_id = next_id(&tx).map_err(self.sql())?;
        let records = record::read_all(&tx)
            .map_err(self.sql())?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.damaged())?;
        drop(tx);
        // The engine's validation: the rows could have been edited by hand.
        let mut engine = Engine::new();
        engine
            .import(StoreDocument {
                next_id,
                flows: records,
            })
            .map_err(|e| self.damaged()(e.to_string()))?;
        Ok(engine.export_json()?)
    }

    /// Fill an empty store from a `skein-store` document, keeping its ids.
    /// Each flow gets `source` (if given) as its source file. A document
    /// that fails validation, or a store that already holds flows, is
    /// refused and nothing changes. Returns how many flows came in.
    pub fn import_json(&mut self, json: &str, source: Option<&Path>) -> Result<usize, StoreError> {
        let mut engine = Engine::new();
        engine.import_json(json).map_err(|e| match e {
            skein::Error::Store(m) => StoreError::Document(m),
            other => StoreError::Document(other.to_string()),
        })?;
        // Keep the engine's normal form (maps in key order, ...): later
        // steps compare the log they replay with the rows entry by entry.
        let StoreDocument {
            next_id,
            flows: records,
        } = engine.export()?;
        let source = source.map(Source::read).transpose()?;
        let book = Bookkeeping::now();
        let (path, tx) = self.begin()?;
        let sql = |e| classify(&path, e);
        let held: i64 = tx
            .query_row("SELECT count(*) FROM flows", [], |r| r.get(0))
            .map_err(sql)?;
        if held > 0 {
            return Err(StoreError::NotEmpty(held as u64));
        }
        for r in &records {
            record::insert(&tx, r, source.as_ref(), &book).map_err(sql)?;
        }
        set_next_id(&tx, next_id).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(records.len())
    }
}

type InfoRow = (RawFlow, Option<Source>, String, String, u64);

/// `SELECT` of the columns `info_row` reads, from the rows `which` picks.
fn select_info(which: &str) -> String {
    format!(
        "SELECT {FLOW_COLUMNS}, source_path, source_sha256, created_at, updated_at, {LOG_LENGTH}
         FROM flows {which}"
    )
}

fn info_row(r: &rusqlite::Row) -> rusqlite::Result<InfoRow> {
    let raw = RawFlow::from_row(r)?;
    let at = record::FLOW_COLUMN_COUNT;
    let source = Source::from_columns(r.get(at)?, r.get(at + 1)?);
    let answered: i64 = r.get(at + 4)?;
    Ok((raw, source, r.get(at + 2)?, r.get(at + 3)?, answered as u64))
}

/// Flow `id` as a document record, read through `conn` (the store at
/// `path`, or a transaction on it).
pub(crate) fn read_record(
    conn: &Connection,
    id: u64,
    path: &str,
) -> Result<FlowRecord, StoreError> {
    record::read(conn, id)
        .map_err(|e| classify(path, e))?
        .ok_or(StoreError::UnknownFlow(id))?
        .map_err(|d| damaged(path, d))
}

pub(crate) fn next_id(conn: &Connection) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT next_id FROM store", [], |r| r.get(0))?;
    // Checked when the store was opened; a row edited since is damage.
    u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, n))
}

pub(crate) fn set_next_id(conn: &Connection, next_id: u64) -> rusqlite::Result<()> {
    let n = i64::try_from(next_id).unwrap_or(i64::MAX);
    conn.execute("UPDATE store SET next_id = ?1", [n])?;
    Ok(())
}
