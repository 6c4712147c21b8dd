//! [`RuntimeStore`] for [`Store`]: what `skein serve` reads and writes,
//! over the same rows `skein flow` steps write.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use skein::{LogEntry, Timestamp, MAX_FLOW_ID};
use skein_runtime::{
    Applied, DeadLetter, Due, Filter, FlowInfo, Loaded, RuntimeStore, Source, StoreResult, Write,
};

use crate::error::{classify, StoreError};
use crate::record::{self, millis, timestamp, Bookkeeping, RawFlow, FLOW_COLUMNS, LOG_LENGTH};
use crate::store::{next_id, read_record, set_next_id, Store};

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
}

impl RuntimeStore for Store {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn next_id(&mut self) -> StoreResult<u64> {
        Ok(next_id(&self.conn).map_err(self.sql())?)
    }

    fn load(&mut self, id: u64) -> StoreResult<Loaded> {
        let name = self.name();
        // One read transaction: the version is the one of the rows read.
        let tx = self.conn.unchecked_transaction().map_err(self.sql())?;
        let record = read_record(&tx, id, &name)?;
        let (version, since, attempts): (i64, Option<i64>, u32) = tx
            .query_row(
                "SELECT version, pending_since, attempts FROM flows WHERE id = ?1",
                [id as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(self.sql())?;
        Ok(Loaded {
            record,
            version: version as u64,
            since: since.map(timestamp),
            attempts,
        })
    }

    fn claim_due(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Due>> {
        let (path, tx) = self.begin()?;
        let claimed = claim(&tx, now, lease_until, limit, &path)?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(claimed)
    }

    fn make_waiting_due(&mut self, now: Timestamp) -> StoreResult<u64> {
        let (path, tx) = self.begin()?;
        let woken = tx
            .execute(
                "UPDATE flows SET due_at = ?1 WHERE status = 'suspended' AND due_at IS NULL",
                [millis(now)],
            )
            .map_err(|e| classify(&path, e))?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(woken as u64)
    }

    fn next_due(&mut self) -> StoreResult<Option<Timestamp>> {
        let due: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(due_at) FROM flows WHERE due_at IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(due.map(timestamp))
    }

    fn commit(&mut self, writes: &[Write]) -> StoreResult<Vec<Applied>> {
        // Sources are read before the store is held: hashing needs no lock.
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
        let (path, tx) = self.begin()?;
        let mut applied = Vec::with_capacity(writes.len());
        for (write, source) in writes.iter().zip(&sources) {
            applied.push(apply(&tx, write, source.as_ref(), now, &path)?);
        }
        // synchronous = FULL: on disk before this returns.
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(applied)
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

/// The flows due at `now`, earliest first, each leased until `lease_until`.
/// A claim is not a change to the flow: its version stays, so a warm copy
/// of it stays good.
fn claim(
    tx: &Transaction,
    now: Timestamp,
    lease_until: Timestamp,
    limit: usize,
    path: &str,
) -> Result<Vec<Due>, StoreError> {
    let sql = |e| classify(path, e);
    let rows = tx
        .prepare_cached(&format!(
            "SELECT {FLOW_COLUMNS}, version, pending_since, attempts, {LOG_LENGTH}
             FROM flows WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2"
        ))
        .map_err(sql)?
        .query_map(
            params![millis(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                let at = record::FLOW_COLUMN_COUNT;
                let bookkeeping: (i64, Option<i64>, u32, i64) =
                    (r.get(at)?, r.get(at + 1)?, r.get(at + 2)?, r.get(at + 3)?);
                Ok((RawFlow::from_row(r)?, bookkeeping))
            },
        )
        .map_err(sql)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql)?;
    let mut lease = tx
        .prepare_cached("UPDATE flows SET due_at = ?2 WHERE id = ?1")
        .map_err(sql)?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (raw, (version, since, attempts, length)) in rows {
        let r = raw
            .into_record([])
            .map_err(|d| crate::error::damaged(path, d))?;
        // The schema's checks make a due flow suspended, with a request and its time.
        let (Some(mut pending), Some(since)) = (r.pending, since) else {
            return Err(crate::error::damaged(
                path,
                format!("flow {}: due, but waits on no request", r.id),
            ));
        };
        pending.position = length as u64;
        lease
            .execute(params![r.id as i64, millis(lease_until)])
            .map_err(sql)?;
        claimed.push(Due {
            id: r.id,
            version: version as u64,
            pending,
            since: timestamp(since),
            attempts,
        });
    }
    Ok(claimed)
}

/// Write one change of a batch.
fn apply(
    tx: &Connection,
    write: &Write,
    source: Option<&Source>,
    now: Timestamp,
    path: &str,
) -> Result<Applied, StoreError> {
    let sql = |e| classify(path, e);
    let applied = |version: Option<u64>| match version {
        Some(version) => Applied::Written { version },
        None => Applied::Conflict,
    };
    match write {
        Write::Insert {
            record, schedule, ..
        } => {
            let next_id = next_id(tx).map_err(sql)?;
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
            let version = record::insert(tx, record, source, &book).map_err(sql)?;
            set_next_id(tx, record.id + 1).map_err(sql)?;
            Ok(Applied::Written { version })
        }
        Write::Update {
            tail,
            from,
            version,
            schedule,
            since,
        } => {
            let stored: Option<(i64, i64)> = tx
                .prepare_cached(&format!(
                    "SELECT version, {LOG_LENGTH} FROM flows WHERE id = ?1"
                ))
                .map_err(sql)?
                .query_row([tail.id as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(sql)?;
            // An unknown flow is a conflict too: the runtime reloads it and
            // learns that it is gone.
            let Some((stored, length)) = stored.filter(|(v, _)| *v as u64 == *version) else {
                return Ok(Applied::Conflict);
            };
            if length as u64 != *from {
                return Err(StoreError::LogMismatch {
                    id: tail.id,
                    from: *from,
                    length: length as u64,
                });
            }
            let book = Bookkeeping {
                since: *since,
                schedule: *schedule,
            };
            let written = record::update(tx, tail, *from, &book, None, Some(stored as u64));
            Ok(applied(written.map_err(sql)?))
        }
        Write::Reschedule {
            id,
            version,
            schedule,
        } => Ok(applied(
            record::reschedule(tx, *id, *version, schedule).map_err(sql)?,
        )),
        Write::DeadLetter(letter) => {
            let version: Option<i64> = tx
                .query_row(
                    "SELECT version FROM flows WHERE id = ?1",
                    [letter.flow as i64],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql)?;
            let version = version.ok_or(StoreError::UnknownFlow(letter.flow))?;
            record::put_dead_letter(tx, letter).map_err(sql)?;
            Ok(Applied::Written {
                version: version as u64,
            })
        }
    }
}
