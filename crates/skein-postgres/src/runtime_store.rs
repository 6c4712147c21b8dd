//! [`RuntimeStore`] for [`Store`]: claims that several servers can take
//! at once without taking the same flow, and batches of steps checked
//! against each flow's version, in one transaction each.

use std::collections::HashMap;
use std::path::Path;

use postgres::error::SqlState;
use postgres::{GenericClient, Statement};
use skein::{FlowRecord, FlowStatus, LogEntry, Timestamp, MAX_FLOW_ID};
use skein_runtime::{
    Applied, DeadLetter, Due, Filter, FlowInfo, Loaded, RuntimeStore, Schedule, Source,
    StoreResult, Write,
};

use crate::error::{damaged, database, StoreError};
use crate::rows::{
    self, key, millis, text, timestamp, FlowColumns, LogColumns, RawFlow, FLOW_COLUMN_COUNT,
};
use crate::store::{notify, read_record, Store};

/// The channel every write that leaves a flow due notifies, with the
/// earliest due time it wrote (ms since the Unix epoch) as the payload.
pub const DUE_CHANNEL: &str = "skein_due";

/// What a write sets besides the flow itself: the runtime's bookkeeping.
/// A flow that is not suspended has none (NULL and 0, whatever is given
/// here), so no server looks at it again.
pub(crate) struct Bookkeeping {
    /// When the pending request was made; `None`: the stored time stands.
    pub(crate) since: Option<Timestamp>,
    pub(crate) schedule: Schedule,
}

/// The statement `sql`, prepared once per connection: a commit runs the
/// same few statements many times.
pub(crate) fn prepared(
    client: &mut impl GenericClient,
    cache: &mut HashMap<&'static str, Statement>,
    sql: &'static str,
) -> Result<Statement, postgres::Error> {
    if let Some(statement) = cache.get(sql) {
        return Ok(statement.clone());
    }
    let statement = client.prepare(sql)?;
    cache.insert(sql, statement.clone());
    Ok(statement)
}

const INSERT: &str = "
INSERT INTO skein_flows (id, flow, args, status, pending_tag, pending_payload, pending_timeout,
                         pending_deadline, result, error, source_path, source_sha256,
                         version, pending_since, due_at, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, nextval('skein_versions'), $13, $14, $15)
RETURNING version";

/// Add a new flow's row (not its log: the caller appends it); its version.
/// An id already taken is [`StoreError::IdNotFree`], naming `next_id`, the
/// store's next id (the transaction is aborted by then: it cannot be read).
pub(crate) fn insert(
    client: &mut impl GenericClient,
    cache: &mut HashMap<&'static str, Statement>,
    r: &FlowRecord,
    source: Option<&Source>,
    book: &Bookkeeping,
    next_id: u64,
    url: &str,
) -> Result<u64, StoreError> {
    let sql = database(url);
    let c = FlowColumns::of(r)?;
    let suspended = r.status == FlowStatus::Suspended;
    let statement = prepared(client, cache, INSERT).map_err(&sql)?;
    let row = client.query_one(
        &statement,
        &[
            &key(r.id),
            &r.flow,
            &c.args,
            &c.status,
            &c.pending_tag,
            &c.pending_payload,
            &c.pending_timeout,
            &c.pending_deadline,
            &c.result,
            &r.error,
            &source.map(|s| s.path.display().to_string()),
            &source.map(|s| s.sha256.clone()),
            &book.since.filter(|_| suspended).map(millis),
            &book.schedule.due_at.filter(|_| suspended).map(millis),
            &if suspended {
                i64::from(book.schedule.attempts)
            } else {
                0
            },
        ],
    );
    match row {
        Ok(row) => Ok(row.try_get::<_, i64>(0).map_err(&sql)? as u64),
        // The id check before this makes it rare (a store edited by hand).
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(StoreError::IdNotFree { id: r.id, next_id })
        }
        Err(e) => Err(sql(e)),
    }
}

const UPDATE: &str = "
UPDATE skein_flows SET status = $2, pending_tag = $3, pending_payload = $4, result = $5, error = $6,
                       pending_timeout = $7, pending_deadline = $8, updated_at = now(),
                       version = nextval('skein_versions'),
                       pending_since = CASE WHEN $2 = 'suspended' THEN coalesce($9, pending_since) END,
                       due_at = $10, attempts = $11
WHERE id = $1
RETURNING version";

const RESCHEDULE: &str = "
UPDATE skein_flows SET due_at = CASE WHEN status = 'suspended' THEN $2::bigint END,
                       attempts = CASE WHEN status = 'suspended' THEN $3::bigint ELSE 0 END,
                       version = nextval('skein_versions')
WHERE id = $1
RETURNING version, status = 'suspended'";

/// The rows of the flows a batch writes, locked in id order (so two
/// batches never wait on each other in a cycle), with their versions and
/// log lengths.
const LOCK: &str = "
SELECT id, version, coalesce((SELECT position + 1 FROM skein_log WHERE flow_id = skein_flows.id
                                                   ORDER BY position DESC LIMIT 1), 0)
FROM skein_flows WHERE id = ANY($1) ORDER BY id FOR UPDATE";

const DEAD_LETTER: &str = "
INSERT INTO skein_dead_letters (flow_id, position, tag, payload, handler, attempts, error, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (flow_id, position) DO UPDATE SET
    tag = excluded.tag, payload = excluded.payload, handler = excluded.handler,
    attempts = excluded.attempts, error = excluded.error, at = excluded.at";

impl Store {
    /// The source at `path`, read the first time this store is asked for it.
    fn source(&mut self, path: &Path) -> Result<Source, StoreError> {
        if let Some(known) = self.sources.get(path) {
            return Ok(known.clone());
        }
        let read = Source::read(path)?;
        self.sources.insert(path.to_path_buf(), read.clone());
        Ok(read)
    }

    pub(crate) fn load_flow(&mut self, id: u64) -> Result<Loaded, StoreError> {
        self.reconnect_if_lost()?;
        let url = self.url.clone();
        let sql = database(&url);
        // One snapshot: the version is the one of the rows read.
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&sql)?;
        let record = read_record(&mut tx, id, &url)?;
        let row = tx
            .query_one(
                "SELECT version, pending_since, attempts FROM skein_flows WHERE id = $1",
                &[&key(id)],
            )
            .map_err(&sql)?;
        let (version, since, attempts): (i64, Option<i64>, i64) = (
            row.try_get(0).map_err(&sql)?,
            row.try_get(1).map_err(&sql)?,
            row.try_get(2).map_err(&sql)?,
        );
        tx.commit().map_err(&sql)?;
        Ok(Loaded {
            record,
            version: version as u64,
            since: since.map(timestamp),
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        })
    }

    /// The flows due at `now`, earliest first, each leased until
    /// `lease_until`, in one statement. `FOR UPDATE SKIP LOCKED`: a flow
    /// another server is claiming or writing right now is left to it, and
    /// one it claimed a moment ago is no longer due (the row is read again
    /// once its lock is free). A claim is not a change to the flow: its
    /// version stays, so a warm copy of it stays good.
    fn claim(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        const CLAIM: &str = "WITH due AS (
                 SELECT id AS due_id, due_at AS was_due FROM skein_flows
                 WHERE due_at <= $1 ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED
             )
             UPDATE skein_flows SET due_at = $2 FROM due WHERE skein_flows.id = due.due_id
             RETURNING id, flow, args, status, pending_tag, pending_payload, pending_timeout,
                       pending_deadline, result, error, version, pending_since, attempts,
                       coalesce((SELECT position + 1 FROM skein_log WHERE flow_id = skein_flows.id
                                 ORDER BY position DESC LIMIT 1), 0),
                       was_due";
        self.reconnect_if_lost()?;
        let url = self.url.clone();
        let sql = database(&url);
        // One transaction: claims whose rows turn out damaged are not kept.
        let mut tx = self.client.transaction().map_err(&sql)?;
        let statement = prepared(&mut tx, &mut self.statements, CLAIM).map_err(&sql)?;
        let rows = tx
            .query(
                &statement,
                &[
                    &millis(now),
                    &millis(lease_until),
                    &i64::try_from(limit).unwrap_or(i64::MAX),
                ],
            )
            .map_err(&sql)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let at = FLOW_COLUMN_COUNT;
            let raw = RawFlow::from_row(row).map_err(&sql)?;
            let (version, since, attempts, length, was_due): (i64, Option<i64>, i64, i64, i64) = (
                row.try_get(at).map_err(&sql)?,
                row.try_get(at + 1).map_err(&sql)?,
                row.try_get(at + 2).map_err(&sql)?,
                row.try_get(at + 3).map_err(&sql)?,
                row.try_get(at + 4).map_err(&sql)?,
            );
            let r = raw.into_record([]).map_err(|d| damaged(&url, d))?;
            // The schema's checks make a due flow suspended, with a request and its time.
            let (Some(mut pending), Some(since)) = (r.pending, since) else {
                return Err(damaged(
                    &url,
                    format!("flow {}: due, but waits on no request", r.id),
                ));
            };
            pending.position = length as u64;
            let due = Due {
                id: r.id,
                version: version as u64,
                pending,
                since: timestamp(since),
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            };
            claimed.push((was_due, due));
        }
        tx.commit().map_err(&sql)?;
        // RETURNING keeps no order: earliest first, as the trait promises.
        claimed.sort_by_key(|(was_due, due)| (*was_due, due.id));
        Ok(claimed.into_iter().map(|(_, due)| due).collect())
    }

    pub(crate) fn commit_batch(&mut self, writes: &[Write]) -> Result<Vec<Applied>, StoreError> {
        self.commit_recording(writes, None)
    }

    /// [`Store::commit_batch`], also recording `recorded.1` as the source
    /// file of flow `recorded.0` if its write was applied (a resume with
    /// `--source`), in the same transaction.
    pub(crate) fn commit_recording(
        &mut self,
        writes: &[Write],
        recorded: Option<(u64, &Source)>,
    ) -> Result<Vec<Applied>, StoreError> {
        // Sources are read before the transaction: hashing holds no lock.
        let sources = writes
            .iter()
            .map(|w| match w {
                Write::Insert {
                    source: Some(path), ..
                } => self.source(path).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let now = Timestamp::now();
        self.reconnect_if_lost()?;
        let url = self.url.clone();
        let sql = database(&url);
        let Store {
            client, statements, ..
        } = self;
        let mut tx = client.transaction().map_err(&sql)?;
        let mut batch = Batch {
            held: HashMap::new(),
            next_id: None,
            log: LogColumns::default(),
            earliest_due: None,
        };
        let mut ids: Vec<i64> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Insert { .. } => None,
                Write::Update { tail, .. } => Some(key(tail.id)),
                Write::Reschedule { id, .. } => Some(key(*id)),
                Write::DeadLetter(letter) => Some(key(letter.flow)),
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            let lock = prepared(&mut tx, statements, LOCK).map_err(&sql)?;
            for row in tx.query(&lock, &[&ids]).map_err(&sql)? {
                let (id, version, length): (i64, i64, i64) = (
                    row.try_get(0).map_err(&sql)?,
                    row.try_get(1).map_err(&sql)?,
                    row.try_get(2).map_err(&sql)?,
                );
                batch
                    .held
                    .insert(id as u64, (version as u64, length as u64));
            }
        }
        if writes.iter().any(|w| matches!(w, Write::Insert { .. })) {
            // Held to the commit: inserts from several servers take turns,
            // and each sees the ids the others gave.
            let n: i64 = tx
                .query_one("SELECT next_id FROM skein_store FOR UPDATE", &[])
                .and_then(|r| r.try_get(0))
                .map_err(&sql)?;
            batch.next_id = Some((n as u64, false));
        }
        let mut applied = Vec::with_capacity(writes.len());
        for (write, source) in writes.iter().zip(&sources) {
            let one = batch.apply(&mut tx, statements, write, source.as_ref(), now, &url)?;
            applied.push(one);
        }
        if let Some((id, source)) = recorded {
            let written = writes.iter().zip(&applied).any(|(w, a)| {
                matches!((w, a), (Write::Update { tail, .. }, Applied::Written { .. }) if tail.id == id)
            });
            if written {
                tx.execute(
                    "UPDATE skein_flows SET source_path = $2, source_sha256 = $3 WHERE id = $1",
                    &[&key(id), &source.path.display().to_string(), &source.sha256],
                )
                .map_err(&sql)?;
            }
        }
        if let Some((next_id, true)) = batch.next_id {
            tx.execute("UPDATE skein_store SET next_id = $1", &[&key(next_id)])
                .map_err(&sql)?;
        }
        let append = prepared(&mut tx, statements, rows::APPEND_LOG).map_err(&sql)?;
        batch.log.write(&mut tx, &append).map_err(&sql)?;
        if let Some(due) = batch.earliest_due {
            notify(&mut tx, due).map_err(&sql)?;
        }
        // The default synchronous_commit: on the server's disk before this returns.
        tx.commit().map_err(&sql)?;
        Ok(applied)
    }
}

/// What a commit knows as it applies its writes one by one.
struct Batch {
    /// The flows it holds locked: version and log length, as its own
    /// writes leave them.
    held: HashMap<u64, (u64, u64)>,
    /// The store's next id, and whether an insert moved it.
    next_id: Option<(u64, bool)>,
    /// Every log entry the batch adds, written together at the end.
    log: LogColumns,
    /// The earliest due time a write set: announced on commit.
    earliest_due: Option<Timestamp>,
}

impl Batch {
    fn due(&mut self, at: Option<Timestamp>) {
        if let Some(at) = at {
            self.earliest_due = Some(self.earliest_due.map_or(at, |e| e.min(at)));
        }
    }

    fn apply(
        &mut self,
        tx: &mut postgres::Transaction,
        statements: &mut HashMap<&'static str, Statement>,
        write: &Write,
        source: Option<&Source>,
        now: Timestamp,
        url: &str,
    ) -> Result<Applied, StoreError> {
        let sql = database(url);
        match write {
            Write::Insert {
                record, schedule, ..
            } => {
                let next_id = self.next_id.map_or(1, |(n, _)| n);
                if record.id < next_id || record.id > MAX_FLOW_ID {
                    return Err(StoreError::IdNotFree {
                        id: record.id,
                        next_id,
                    });
                }
                // The step that made its request ran just before this commit.
                let book = Bookkeeping {
                    since: Some(now),
                    schedule: *schedule,
                };
                let version = insert(tx, statements, record, source, &book, next_id, url)?;
                self.log.push(record.id, 0, &record.log)?;
                self.held
                    .insert(record.id, (version, record.log.len() as u64));
                self.next_id = Some((record.id + 1, true));
                if record.status == FlowStatus::Suspended {
                    self.due(schedule.due_at);
                }
                Ok(Applied::Written { version })
            }
            Write::Update {
                tail,
                from,
                version,
                schedule,
                since,
            } => {
                // An unknown flow is a conflict too: the runtime reloads it
                // and learns that it is gone.
                let Some(&(stored, length)) = self.held.get(&tail.id) else {
                    return Ok(Applied::Conflict);
                };
                if stored != *version {
                    return Ok(Applied::Conflict);
                }
                if length != *from {
                    return Err(StoreError::LogMismatch {
                        id: tail.id,
                        from: *from,
                        length,
                    });
                }
                let c = FlowColumns::of(tail)?;
                let suspended = tail.status == FlowStatus::Suspended;
                let statement = prepared(tx, statements, UPDATE).map_err(&sql)?;
                let row = tx
                    .query_one(
                        &statement,
                        &[
                            &key(tail.id),
                            &c.status,
                            &c.pending_tag,
                            &c.pending_payload,
                            &c.result,
                            &tail.error,
                            &c.pending_timeout,
                            &c.pending_deadline,
                            &since.map(millis),
                            &schedule.due_at.filter(|_| suspended).map(millis),
                            &if suspended {
                                i64::from(schedule.attempts)
                            } else {
                                0
                            },
                        ],
                    )
                    .map_err(&sql)?;
                let written = row.try_get::<_, i64>(0).map_err(&sql)? as u64;
                self.log.push(tail.id, *from, &tail.log)?;
                self.held
                    .insert(tail.id, (written, from + tail.log.len() as u64));
                if suspended {
                    self.due(schedule.due_at);
                }
                Ok(Applied::Written { version: written })
            }
            Write::Reschedule {
                id,
                version,
                schedule,
            } => {
                let Some(&(stored, length)) = self.held.get(id) else {
                    return Ok(Applied::Conflict);
                };
                if stored != *version {
                    return Ok(Applied::Conflict);
                }
                let statement = prepared(tx, statements, RESCHEDULE).map_err(&sql)?;
                let row = tx
                    .query_one(
                        &statement,
                        &[
                            &key(*id),
                            &schedule.due_at.map(millis),
                            &i64::from(schedule.attempts),
                        ],
                    )
                    .map_err(&sql)?;
                let written = row.try_get::<_, i64>(0).map_err(&sql)? as u64;
                if row.try_get::<_, bool>(1).map_err(&sql)? {
                    self.due(schedule.due_at);
                }
                self.held.insert(*id, (written, length));
                Ok(Applied::Written { version: written })
            }
            Write::DeadLetter(letter) => {
                let Some(&(version, _)) = self.held.get(&letter.flow) else {
                    return Err(StoreError::UnknownFlow(letter.flow));
                };
                put_dead_letter(tx, statements, letter, url)?;
                Ok(Applied::Written { version })
            }
        }
    }
}

/// Keep dead letter `d`, replacing an earlier one for the same request.
fn put_dead_letter(
    tx: &mut postgres::Transaction,
    statements: &mut HashMap<&'static str, Statement>,
    d: &DeadLetter,
    url: &str,
) -> Result<(), StoreError> {
    let sql = database(url);
    let statement = prepared(tx, statements, DEAD_LETTER).map_err(&sql)?;
    tx.execute(
        &statement,
        &[
            &key(d.flow),
            &key(d.position),
            &text(&d.tag)?,
            &text(&d.payload)?,
            &d.handler,
            &i64::from(d.attempts),
            &d.error,
            &d.at.to_string(),
        ],
    )
    .map_err(&sql)?;
    Ok(())
}

impl RuntimeStore for Store {
    fn name(&self) -> String {
        self.url.clone()
    }

    fn next_id(&mut self) -> StoreResult<u64> {
        Ok(Store::next_id(self)?)
    }

    fn load(&mut self, id: u64) -> StoreResult<Loaded> {
        Ok(self.load_flow(id)?)
    }

    fn claim_due(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Due>> {
        Ok(self.claim(now, lease_until, limit)?)
    }

    fn make_waiting_due(&mut self, now: Timestamp) -> StoreResult<u64> {
        self.reconnect_if_lost()?;
        let woken = self
            .client
            .execute(
                "UPDATE skein_flows SET due_at = $1 WHERE status = 'suspended' AND due_at IS NULL",
                &[&millis(now)],
            )
            .map_err(database(&self.url))?;
        if woken > 0 {
            self.client
                .execute(
                    "SELECT pg_notify('skein_due', $1)",
                    &[&millis(now).to_string()],
                )
                .map_err(database(&self.url))?;
        }
        Ok(woken)
    }

    fn next_due(&mut self) -> StoreResult<Option<Timestamp>> {
        self.reconnect_if_lost()?;
        let due: Option<i64> = self
            .client
            .query_one(
                "SELECT min(due_at) FROM skein_flows WHERE due_at IS NOT NULL",
                &[],
            )
            .and_then(|r| r.try_get(0))
            .map_err(database(&self.url))?;
        Ok(due.map(timestamp))
    }

    fn notifier(&mut self) -> StoreResult<Option<Box<dyn skein_runtime::Notifier>>> {
        Ok(Some(Box::new(self.new_listener())))
    }

    fn commit(&mut self, writes: &[Write]) -> StoreResult<Vec<Applied>> {
        Ok(self.commit_batch(writes)?)
    }

    fn flows(&mut self, filter: &Filter) -> StoreResult<Vec<FlowInfo>> {
        Ok(Store::flows(self, filter)?)
    }

    fn flow(&mut self, id: u64) -> StoreResult<FlowInfo> {
        Ok(Store::flow(self, id)?)
    }

    fn history(&mut self, id: u64) -> StoreResult<Vec<LogEntry>> {
        Ok(Store::history(self, id)?)
    }

    fn dead_letters(&mut self) -> StoreResult<Vec<DeadLetter>> {
        Ok(Store::dead_letters(self)?)
    }

    fn export_json(&mut self) -> StoreResult<String> {
        Ok(Store::export_json(self)?)
    }
}
