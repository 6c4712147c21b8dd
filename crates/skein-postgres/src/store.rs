//! [`Store`]: a connection to a PostgreSQL store, what it holds, its
//! exchange with `skein-store` documents, and waiting for new work.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Statement};
use skein::{Engine, FlowRecord, FlowStatus, LogEntry, StoreDocument, Timestamp};
use skein_runtime::{DeadLetter, Filter, FlowInfo, Schedule, Source};

use crate::error::{damaged, database, StoreError};
use crate::rows::{self, iso_time, key, RawFlow, FLOW_COLUMNS, FLOW_COLUMN_COUNT, LOG_LENGTH};
use crate::runtime_store::{insert, Bookkeeping, DUE_CHANNEL};
use crate::schema;

/// A skein store in a PostgreSQL database: flow instances, their replay
/// logs and the runtime's bookkeeping, in tables named `skein_*`. Each
/// operation is one transaction. Several processes, on several machines,
/// may use one store at once: writes are checked against each flow's
/// version, and claims lock the rows they take (`FOR UPDATE SKIP LOCKED`).
///
/// The client is synchronous ([`postgres`]): a store is driven from one
/// thread, the runtime's worker, as its [`RuntimeStore`] trait is. A
/// connection that was lost is made again by the next operation.
///
/// [`RuntimeStore`]: skein_runtime::RuntimeStore
pub struct Store {
    pub(crate) client: Client,
    /// The server process of `client`: its own notifications are no news.
    backend_pid: i32,
    config: postgres::Config,
    /// The URL without its password: the store's name in messages.
    pub(crate) url: String,
    /// Statements prepared on `client`, by their text.
    pub(crate) statements: HashMap<&'static str, Statement>,
    /// Listens on [`DUE_CHANNEL`] for [`Store::wait_for_work`].
    listener: Listener,
    /// The source files a runtime's inserts named, read once each (as
    /// SQLite's store does: the hash of that reading is the code its flows run).
    pub(crate) sources: HashMap<PathBuf, Source>,
    /// The limits plain steps run under ([`Store::set_limits`]).
    pub(crate) limits: skein::Limits,
}

impl Store {
    /// Connect to the database at `url` (`postgres://user:password@host:port/db`,
    /// or the client's `key=value` form), creating the store's tables in an
    /// empty database and migrating an older store; see [`crate::SCHEMA_VERSION`].
    /// TLS is not used: the server is expected on loopback or a trusted network.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        let name = redact(url);
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| StoreError::BadUrl {
                    url: name.clone(),
                    reason: e.to_string(),
                })?;
        if config.get_application_name().is_none() {
            config.application_name("skein");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let (mut client, backend_pid) = connect(&config, &name)?;
        schema::migrate(&mut client, &name)?;
        schema::verify(&mut client, &name)?;
        let listener = Listener::new(config.clone(), name.clone(), backend_pid);
        Ok(Store {
            client,
            backend_pid,
            config,
            url: name,
            statements: HashMap::new(),
            listener,
            sources: HashMap::new(),
            limits: skein::Limits::default(),
        })
    }

    /// The limits plain steps ([`Store::start`], [`Store::resume_with`], ...)
    /// run under.
    pub fn set_limits(&mut self, limits: skein::Limits) {
        self.limits = limits;
    }

    /// The store's name in messages: its URL without the password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connect again if the connection was lost (a server restart, a
    /// network cut): the next operation then runs on a new one.
    pub(crate) fn reconnect_if_lost(&mut self) -> Result<(), StoreError> {
        if self.client.is_closed() {
            (self.client, self.backend_pid) = connect(&self.config, &self.url)?;
            self.statements.clear();
        }
        Ok(())
    }

    /// A read-only transaction that sees one state of the store throughout.
    fn snapshot(&mut self) -> Result<postgres::Transaction<'_>, StoreError> {
        self.reconnect_if_lost()?;
        self.client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(database(&self.url))
    }

    /// The id the next flow gets; ids are never reused.
    pub fn next_id(&mut self) -> Result<u64, StoreError> {
        self.reconnect_if_lost()?;
        next_id(&mut self.client).map_err(database(&self.url))
    }

    /// The flows `filter` keeps (`Filter::default()`: every flow), by id.
    pub fn flows(&mut self, filter: &Filter) -> Result<Vec<FlowInfo>, StoreError> {
        self.reconnect_if_lost()?;
        let url = self.url.clone();
        let rows = self
            .client
            .query(
                &select_info("WHERE $1::text IS NULL OR status = $1 ORDER BY id"),
                &[&filter.status.map(FlowStatus::name)],
            )
            .map_err(database(&url))?;
        let mut flows = Vec::new();
        for row in &rows {
            let info = info(row, &url)?;
            if filter.matches(&info) {
                flows.push(info);
            }
        }
        Ok(flows)
    }

    /// Flow `id` without its log; [`StoreError::UnknownFlow`] if there is none.
    pub fn flow(&mut self, id: u64) -> Result<FlowInfo, StoreError> {
        self.reconnect_if_lost()?;
        let row = self
            .client
            .query_opt(&select_info("WHERE id = $1"), &[&key(id)])
            .map_err(database(&self.url))?
            .ok_or(StoreError::UnknownFlow(id))?;
        info(&row, &self.url)
    }

    /// The replay log of flow `id`, entry P answering position P: tag,
    /// payload, answer and when it was recorded.
    pub fn history(&mut self, id: u64) -> Result<Vec<LogEntry>, StoreError> {
        let url = self.url.clone();
        let mut tx = self.snapshot()?;
        let record = read_record(&mut tx, id, &url)?;
        tx.commit().map_err(database(&url))?;
        Ok(record.log)
    }

    /// Every dead letter (a request whose handler failed every attempt),
    /// oldest first.
    pub fn dead_letters(&mut self) -> Result<Vec<DeadLetter>, StoreError> {
        self.reconnect_if_lost()?;
        let rows = self
            .client
            .query(
                "SELECT flow_id, position, tag, payload, handler, attempts, error, at
                 FROM skein_dead_letters ORDER BY at, flow_id, position",
                &[],
            )
            .map_err(database(&self.url))?;
        rows.iter()
            .map(|row| {
                rows::dead_letter_row(row)
                    .map_err(database(&self.url))?
                    .into_dead_letter()
                    .map_err(|d| damaged(&self.url, d))
            })
            .collect()
    }

    /// The whole store as a `skein-store` document (docs/store-format.md),
    /// exactly as [`Engine::export_json`] writes one, and as SQLite's store
    /// exports the same flows: any host's [`Engine::import_json`] reads it,
    /// and [`Store::import_json`] of either store fills another with it.
    pub fn export_json(&mut self) -> Result<String, StoreError> {
        let url = self.url.clone();
        // One snapshot: a consistent document while steps go on.
        let mut tx = self.snapshot()?;
        let next_id = next_id(&mut tx).map_err(database(&url))?;
        let records = read_all(&mut tx)
            .map_err(database(&url))?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|d| damaged(&url, d))?;
        tx.commit().map_err(database(&url))?;
        // The engine's validation: the rows could have been edited by hand.
        let mut engine = Engine::new();
        engine
            .import(StoreDocument {
                next_id,
                flows: records,
            })
            .map_err(|e| damaged(&url, e.to_string()))?;
        Ok(engine.export_json()?)
    }

    /// Fill an empty store from a `skein-store` document, keeping its ids.
    /// Each flow gets `source` (if given) as its source file; each
    /// suspended one is due at once, so a running server notices it. A
    /// document that fails validation, or a store that already holds flows,
    /// is refused and nothing changes. Returns how many flows came in.
    pub fn import_json(&mut self, json: &str, source: Option<&Path>) -> Result<usize, StoreError> {
        let mut engine = Engine::new();
        engine.import_json(json).map_err(|e| match e {
            skein::Error::Store(m) => StoreError::Document(m),
            other => StoreError::Document(other.to_string()),
        })?;
        // Keep the engine's normal form (maps in key order, ...), as
        // SQLite's store does: a later step compares the log it replays
        // with the rows entry by entry.
        let StoreDocument {
            next_id,
            flows: records,
        } = engine.export()?;
        let source = source.map(Source::read).transpose()?;
        let now = Timestamp::now();
        let book = Bookkeeping {
            since: Some(now),
            schedule: Schedule {
                due_at: Some(now),
                attempts: 0,
            },
        };
        self.reconnect_if_lost()?;
        let url = self.url.clone();
        let sql = database(&url);
        let mut tx = self.client.transaction().map_err(&sql)?;
        // Held to the end: an import racing a start waits for it.
        tx.execute("SELECT 1 FROM skein_store FOR UPDATE", &[])
            .map_err(&sql)?;
        let held: i64 = tx
            .query_one("SELECT count(*) FROM skein_flows", &[])
            .and_then(|r| r.try_get(0))
            .map_err(&sql)?;
        if held > 0 {
            return Err(StoreError::NotEmpty(held as u64));
        }
        let mut log = rows::LogColumns::default();
        for r in &records {
            insert(
                &mut tx,
                &mut self.statements,
                r,
                source.as_ref(),
                &book,
                next_id,
                &url,
            )?;
            log.push(r.id, 0, &r.log)?;
        }
        let append =
            crate::runtime_store::prepared(&mut tx, &mut self.statements, rows::APPEND_LOG)
                .map_err(&sql)?;
        log.write(&mut tx, &append).map_err(&sql)?;
        tx.execute("UPDATE skein_store SET next_id = $1", &[&key(next_id)])
            .map_err(&sql)?;
        if records.iter().any(|r| r.status == FlowStatus::Suspended) {
            notify(&mut tx, now).map_err(&sql)?;
        }
        tx.commit().map_err(&sql)?;
        Ok(records.len())
    }

    /// Wait until another process (or another handle in this one) commits
    /// work that may be due (a start, an answer, a retry or timer put at
    /// some time) or `timeout` passes:
    /// `true` if work was announced, `false` on the timeout. Every write
    /// that leaves a flow due at some time sends a notification on
    /// [`DUE_CHANNEL`] (`NOTIFY`, delivered when its transaction commits)
    /// whose payload is the earliest due time written, in milliseconds
    /// since the Unix epoch.
    ///
    /// The first call opens a second connection and `LISTEN`s on it; as
    /// work committed before then was not heard, that call returns `true` at
    /// once. So a caller polls ([`RuntimeStore::claim_due`],
    /// [`RuntimeStore::next_due`]) after each return, and waits at most
    /// until the next due time it knows of: a lease that runs out, or a
    /// timer, announces itself to nobody.
    ///
    /// [`RuntimeStore::claim_due`]: skein_runtime::RuntimeStore::claim_due
    /// [`RuntimeStore::next_due`]: skein_runtime::RuntimeStore::next_due
    pub fn wait_for_work(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        self.listener.wait(timeout)
    }

    /// A listener of its own, for a runtime's thread that waits for news.
    pub(crate) fn new_listener(&self) -> Listener {
        Listener::new(self.config.clone(), self.url.clone(), self.backend_pid)
    }
}

/// A second connection that `LISTEN`s on [`DUE_CHANNEL`], made on the first
/// wait: news of due work committed by other connections.
pub(crate) struct Listener {
    config: postgres::Config,
    url: String,
    /// The server process of the store's own connection: its news is none.
    own: i32,
    client: Option<Client>,
}

impl Listener {
    fn new(config: postgres::Config, url: String, own: i32) -> Listener {
        Listener {
            config,
            url,
            own,
            client: None,
        }
    }

    pub(crate) fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let sql = database(&self.url);
        let listener = match &mut self.client {
            Some(listener) if !listener.is_closed() => listener,
            _ => {
                self.client = None;
                let (mut listener, _) = connect(&self.config, &self.url)?;
                listener
                    .batch_execute(&format!("LISTEN {DUE_CHANNEL}"))
                    .map_err(&sql)?;
                self.client = Some(listener);
                return Ok(true);
            }
        };
        // This store's own commits are no news to it: it knows its work.
        let own = self.own;
        let mut notifications = listener.notifications();
        let mut heard = false;
        let until = std::time::Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match notifications.timeout_iter(left).next().map_err(&sql)? {
                Some(n) if n.process_id() == own => continue,
                Some(_) => {
                    heard = true;
                    break;
                }
                // The timeout, or a lost connection: the next call
                // connects again (and says there may be work).
                None => break,
            }
        }
        if heard {
            // One wake-up for everything announced so far.
            while notifications.iter().next().map_err(&sql)?.is_some() {}
        }
        Ok(heard)
    }
}

impl skein_runtime::Notifier for Listener {
    fn wait(&mut self, timeout: Duration) -> skein_runtime::StoreResult<bool> {
        Ok(Listener::wait(self, timeout)?)
    }
}

/// A connection, and its server process's id. A server configured with
/// `synchronous_commit = off` would acknowledge commits it could still
/// lose: this connection turns it back on (any other setting keeps at
/// least a local flush).
fn connect(config: &postgres::Config, url: &str) -> Result<(Client, i32), StoreError> {
    let mut client = config
        .connect(NoTls)
        .map_err(|source| StoreError::Connect {
            url: url.to_string(),
            source,
        })?;
    let row = client
        .query_one(
            "SELECT pg_backend_pid(), current_setting('synchronous_commit')",
            &[],
        )
        .map_err(database(url))?;
    let (pid, synchronous): (i32, String) = (
        row.try_get(0).map_err(database(url))?,
        row.try_get(1).map_err(database(url))?,
    );
    if synchronous == "off" {
        client
            .batch_execute("SET synchronous_commit = on")
            .map_err(database(url))?;
    }
    Ok((client, pid))
}

/// Announce, when the transaction commits, that work is due at `due`.
pub(crate) fn notify(
    client: &mut impl GenericClient,
    due: Timestamp,
) -> Result<(), postgres::Error> {
    client.execute(
        "SELECT pg_notify($1, $2)",
        &[&DUE_CHANNEL, &due.millis().to_string()],
    )?;
    Ok(())
}

/// `url` without its password, to name the store in messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let scheme = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|s| url.starts_with(s));
    let Some(scheme) = scheme else {
        // The key=value form.
        return url
            .split_whitespace()
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let rest = &url[scheme.len()..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    match authority.rfind('@').map(|at| &authority[..at]) {
        Some(userinfo) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}{user}:***{}", &rest[userinfo.len()..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

pub(crate) fn next_id(client: &mut impl GenericClient) -> Result<u64, postgres::Error> {
    let n: i64 = client
        .query_one("SELECT next_id FROM skein_store", &[])?
        .try_get(0)?;
    // Checked when the store was connected (1 ..= MAX_FLOW_ID + 1).
    Ok(u64::try_from(n).unwrap_or(1))
}

/// `SELECT` of the columns [`info`] reads, from the rows `which` picks.
fn select_info(which: &str) -> String {
    format!(
        "SELECT {FLOW_COLUMNS}, source_path, source_sha256, {}, {}, {LOG_LENGTH}
         FROM skein_flows {which}",
        iso_time("created_at"),
        iso_time("updated_at"),
    )
}

fn info(row: &postgres::Row, url: &str) -> Result<FlowInfo, StoreError> {
    let sql = database(url);
    let raw = RawFlow::from_row(row).map_err(&sql)?;
    let at = FLOW_COLUMN_COUNT;
    let source = Source::from_columns(
        row.try_get(at).map_err(&sql)?,
        row.try_get(at + 1).map_err(&sql)?,
    );
    let answered: i64 = row.try_get(at + 4).map_err(&sql)?;
    raw.into_info(
        source,
        row.try_get(at + 2).map_err(&sql)?,
        row.try_get(at + 3).map_err(&sql)?,
        answered as u64,
    )
    .map_err(|d| damaged(url, d))
}

/// Flow `id` as a document record, or [`StoreError::UnknownFlow`].
pub(crate) fn read_record(
    client: &mut impl GenericClient,
    id: u64,
    url: &str,
) -> Result<FlowRecord, StoreError> {
    let sql = database(url);
    let row = client
        .query_opt(
            &format!("SELECT {FLOW_COLUMNS} FROM skein_flows WHERE id = $1"),
            &[&key(id)],
        )
        .map_err(&sql)?
        .ok_or(StoreError::UnknownFlow(id))?;
    let raw = RawFlow::from_row(&row).map_err(&sql)?;
    let log = rows::read_log(client, Some(raw.id)).map_err(&sql)?;
    raw.into_record(log.into_iter().map(|(_, e)| e))
        .map_err(|d| damaged(url, d))
}

/// Every flow, by id, with its log; a flow whose rows are damaged is an `Err`.
fn read_all(
    client: &mut impl GenericClient,
) -> Result<Vec<Result<FlowRecord, rows::RowError>>, postgres::Error> {
    let rows = client.query(
        &format!("SELECT {FLOW_COLUMNS} FROM skein_flows ORDER BY id"),
        &[],
    )?;
    let flows = rows
        .iter()
        .map(RawFlow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut log = rows::read_log(client, None)?.into_iter().peekable();
    Ok(flows
        .into_iter()
        .map(|raw| {
            let id = raw.id;
            let mine: Vec<_> = std::iter::from_fn(|| log.next_if(|(f, _)| *f == id))
                .map(|(_, e)| e)
                .collect();
            raw.into_record(mine)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[cfg(feature = "test-cluster")]
    #[test]
    fn a_database_that_would_acknowledge_commits_it_can_lose_is_made_to_wait_for_the_disk() {
        let url = crate::testing::shared().create_database();
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .batch_execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$")
            .unwrap();
        let mut store = super::Store::connect(&url).unwrap();
        let setting: String = store
            .client
            .query_one("SHOW synchronous_commit", &[])
            .unwrap()
            .get(0);
        assert_eq!(setting, "on");
    }

    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(
            redact("postgres://skein:s3cret@db.local:5432/flows?sslmode=disable"),
            "postgres://skein:***@db.local:5432/flows?sslmode=disable"
        );
        assert_eq!(
            redact("postgresql://skein@127.0.0.1/flows"),
            "postgresql://skein@127.0.0.1/flows"
        );
        assert_eq!(
            redact("host=db user=skein password=s3cret dbname=flows"),
            "host=db user=skein password=*** dbname=flows"
        );
    }
}
