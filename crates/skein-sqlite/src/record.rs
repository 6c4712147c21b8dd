//! One flow instance as the rows hold it: a [`skein::FlowRecord`], each
//! value in its own column (or log row) in the `skein-store` JSON encoding,
//! so a step reads and writes one flow, and only what changed.

use rusqlite::{params, Connection, OptionalExtension};
use skein::{Answer, FlowRecord, FlowStatus, LogEntry, PendingRequest, Timestamp, Value};

use skein_runtime::{DeadLetter, Schedule, Source};

/// A row that breaks the schema's promises (edited by hand, or damaged).
pub(crate) use skein_runtime::columns::{
    args_column, millis, time_column, timestamp, value_column, DeadLetterRow, LogRow, RowError,
};

// ---- rows ----

pub(crate) const FLOW_COLUMNS: &str =
    "id, flow, args, status, pending_tag, pending_payload, pending_timeout, pending_deadline, result, error";
/// How many columns [`FLOW_COLUMNS`] names.
pub(crate) const FLOW_COLUMN_COUNT: usize = 10;

/// A flow's row and log, or `None` if there is no flow `id`.
pub(crate) fn read(conn: &Connection, id: u64) -> rusqlite::Result<Option<RowResult>> {
    let Ok(key) = i64::try_from(id) else {
        return Ok(None);
    };
    let row = conn
        .query_row(
            &format!("SELECT {FLOW_COLUMNS} FROM flows WHERE id = ?1"),
            [key],
            RawFlow::from_row,
        )
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let log = read_log(conn, Some(key))?;
    Ok(Some(row.into_record(log.into_iter().map(|(_, e)| e))))
}

/// Every flow, by id, with its log.
pub(crate) fn read_all(conn: &Connection) -> rusqlite::Result<Vec<RowResult>> {
    let mut stmt = conn.prepare(&format!("SELECT {FLOW_COLUMNS} FROM flows ORDER BY id"))?;
    let rows = stmt
        .query_map([], RawFlow::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut log = read_log(conn, None)?.into_iter().peekable();
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            let mine = std::iter::from_fn(|| log.next_if(|(f, _)| *f == id));
            let entries: Vec<_> = mine.map(|(_, e)| e).collect();
            row.into_record(entries)
        })
        .collect())
}

/// A record, or what is wrong with its row.
pub(crate) type RowResult = Result<FlowRecord, RowError>;

type CheckedEntry = Result<LogEntry, RowError>;

/// Log entries by flow and position: of one flow, or of all.
fn read_log(conn: &Connection, id: Option<i64>) -> rusqlite::Result<Vec<(i64, CheckedEntry)>> {
    let mut stmt = conn.prepare(
        "SELECT flow_id, position, tag, payload, response, failure, at FROM log
         WHERE ?1 IS NULL OR flow_id = ?1 ORDER BY flow_id, position",
    )?;
    let mut expected: Option<(i64, i64)> = None;
    let rows = stmt.query_map([id], |r| {
        Ok(LogRow {
            flow: r.get(0)?,
            position: r.get(1)?,
            tag: r.get(2)?,
            payload: r.get(3)?,
            response: r.get(4)?,
            failure: r.get(5)?,
            at: r.get(6)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let raw = row?;
        let (flow, position) = (raw.flow, raw.position);
        let want = match expected {
            Some((f, p)) if f == flow => p,
            _ => 0,
        };
        expected = Some((flow, position + 1));
        let entry = if position != want {
            Err(format!(
                "flow {flow}: the log skips from position {want} to {position}"
            ))
        } else {
            raw.into_entry()
        };
        out.push((flow, entry));
    }
    Ok(out)
}

/// A `flows` row before its JSON columns are checked.
pub(crate) struct RawFlow {
    id: i64,
    flow: Option<String>,
    args: String,
    status: String,
    pending: (Option<String>, Option<String>),
    timeout: Option<f64>,
    deadline: Option<String>,
    result: Option<String>,
    error: Option<String>,
}

impl RawFlow {
    pub(crate) fn from_row(r: &rusqlite::Row) -> rusqlite::Result<RawFlow> {
        Ok(RawFlow {
            id: r.get(0)?,
            flow: r.get(1)?,
            args: r.get(2)?,
            status: r.get(3)?,
            pending: (r.get(4)?, r.get(5)?),
            timeout: r.get(6)?,
            deadline: r.get(7)?,
            result: r.get(8)?,
            error: r.get(9)?,
        })
    }

    pub(crate) fn into_record(self, log: impl IntoIterator<Item = CheckedEntry>) -> RowResult {
        let id = self.id;
        let col = |what, text: &str| value_column(id, what, text);
        let args = args_column(id, &self.args)?;
        let log: Vec<LogEntry> = log.into_iter().collect::<Result<_, _>>()?;
        let pending = match self.pending {
            (Some(tag), Some(payload)) => Some(PendingRequest {
                deadline: self
                    .deadline
                    .as_deref()
                    .map(|t| time_column(id, "pending deadline", t))
                    .transpose()?,
                payload: col("pending payload", &payload)?,
                position: log.len() as u64,
                tag: col("pending tag", &tag)?,
                timeout: self.timeout,
            }),
            _ => None,
        };
        Ok(FlowRecord {
            args,
            error: self.error,
            flow: self.flow,
            id: u64::try_from(id).map_err(|_| format!("flow id {id} is not positive"))?,
            log,
            pending,
            result: self.result.map(|r| col("result", &r)).transpose()?,
            status: FlowStatus::parse(&self.status)
                .ok_or_else(|| format!("flow {id}: unknown status {}", self.status))?,
        })
    }
}

/// The source columns of flow `id`, if one was recorded.
pub(crate) fn read_source(conn: &Connection, id: u64) -> rusqlite::Result<Option<Source>> {
    let key = i64::try_from(id).unwrap_or(-1);
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT source_path, source_sha256 FROM flows WHERE id = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(path, sha256)| Source::from_columns(path, sha256)))
}

/// The time of a write, as SQLite tells it: metadata for people, never read by a flow.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// `v` as column text: its store encoding.
pub(crate) fn text(v: &Value) -> rusqlite::Result<String> {
    v.to_store_json_string()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.to_string().into()))
}

/// What a write sets besides the flow itself: the runtime's bookkeeping.
/// A flow that is not suspended has none (its columns become NULL and 0,
/// whatever is given here), so a server never looks at it again.
pub(crate) struct Bookkeeping {
    /// When the pending request was made; `None`: the stored time stands
    /// (the flow waits on the request it waited on).
    pub(crate) since: Option<Timestamp>,
    pub(crate) schedule: Schedule,
}

impl Bookkeeping {
    /// What a plain step (`skein flow start|resume|fail`, an import)
    /// writes: it leaves a flow on a new request (a resume logs an answer),
    /// due now, so a running server notices the flow and classifies it.
    pub(crate) fn now() -> Bookkeeping {
        let now = Timestamp::now();
        Bookkeeping {
            since: Some(now),
            schedule: Schedule {
                due_at: Some(now),
                attempts: 0,
            },
        }
    }
}

/// A flow's new version: the store's change counter after this write.
/// The write stamps it first, then [`count_change`] moves the counter, so
/// a write that matched no row (a conflict) changes nothing at all.
const NEXT_VERSION: &str = "(SELECT seq + 1 FROM store)";

fn count_change(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE store SET seq = seq + 1")?
        .execute([])?;
    Ok(())
}

/// Add a new flow's row and its log; its version.
pub(crate) fn insert(
    conn: &Connection,
    r: &FlowRecord,
    source: Option<&Source>,
    book: &Bookkeeping,
) -> rusqlite::Result<u64> {
    let args = r
        .args
        .iter()
        .map(text)
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let suspended = r.status == FlowStatus::Suspended;
    let sql = format!(
        "INSERT INTO flows (id, flow, args, status, pending_tag, pending_payload, result, error,
                            source_path, source_sha256, pending_timeout, pending_deadline,
                            created_at, updated_at, version, pending_since, due_at, attempts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, {NOW}, {NOW}, {NEXT_VERSION},
                 ?13, ?14, ?15)
         RETURNING version"
    );
    let version: i64 = conn.prepare_cached(&sql)?.query_row(
        params![
            r.id as i64,
            r.flow,
            format!("[{}]", args.join(",")),
            r.status.name(),
            r.pending.as_ref().map(|p| text(&p.tag)).transpose()?,
            r.pending.as_ref().map(|p| text(&p.payload)).transpose()?,
            r.result.as_ref().map(text).transpose()?,
            r.error,
            source.map(|s| s.path.display().to_string()),
            source.map(|s| s.sha256.clone()),
            r.pending.as_ref().and_then(|p| p.timeout),
            r.pending
                .as_ref()
                .and_then(|p| p.deadline)
                .map(|d| d.to_string()),
            book.since.filter(|_| suspended).map(millis),
            book.schedule.due_at.filter(|_| suspended).map(millis),
            if suspended { book.schedule.attempts } else { 0 },
        ],
        |row| row.get(0),
    )?;
    count_change(conn)?;
    append_log(conn, r.id, 0, &r.log)?;
    Ok(version as u64)
}

/// Write what a step changed: `tail`'s log entries, which answer positions
/// `from` on, its state, its bookkeeping, and, if given, a newly recorded
/// source. With `version`, only if the flow is still at it. The flow's new
/// version, or `None` if it is not at `version` (then nothing is written).
/// Its cost does not grow with the flow's history.
pub(crate) fn update(
    conn: &Connection,
    tail: &FlowRecord,
    from: u64,
    book: &Bookkeeping,
    source: Option<&Source>,
    version: Option<u64>,
) -> rusqlite::Result<Option<u64>> {
    let suspended = tail.status == FlowStatus::Suspended;
    let written: Option<i64> = conn
        .prepare_cached(&format!(
            "UPDATE flows SET status = ?2, pending_tag = ?3, pending_payload = ?4, result = ?5,
                          error = ?6, updated_at = {NOW},
                          source_path = coalesce(?7, source_path),
                          source_sha256 = coalesce(?8, source_sha256),
                          pending_timeout = ?9, pending_deadline = ?10,
                          version = {NEXT_VERSION},
                          pending_since = iif(?2 = 'suspended', coalesce(?11, pending_since), NULL),
                          due_at = ?12, attempts = ?13
             WHERE id = ?1 AND (?14 IS NULL OR version = ?14)
             RETURNING version"
        ))?
        .query_row(
            params![
                tail.id as i64,
                tail.status.name(),
                tail.pending.as_ref().map(|p| text(&p.tag)).transpose()?,
                tail.pending
                    .as_ref()
                    .map(|p| text(&p.payload))
                    .transpose()?,
                tail.result.as_ref().map(text).transpose()?,
                tail.error,
                source.map(|s| s.path.display().to_string()),
                source.map(|s| s.sha256.clone()),
                tail.pending.as_ref().and_then(|p| p.timeout),
                tail.pending
                    .as_ref()
                    .and_then(|p| p.deadline)
                    .map(|d| d.to_string()),
                book.since.map(millis),
                book.schedule.due_at.filter(|_| suspended).map(millis),
                if suspended { book.schedule.attempts } else { 0 },
                version.map(|v| v as i64),
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(written) = written else {
        return Ok(None);
    };
    count_change(conn)?;
    append_log(conn, tail.id, from, &tail.log)?;
    Ok(Some(written as u64))
}

/// New bookkeeping alone for flow `id`, if it is still at `version`: its
/// new version, or `None` (then nothing is written).
pub(crate) fn reschedule(
    conn: &Connection,
    id: u64,
    version: u64,
    schedule: &Schedule,
) -> rusqlite::Result<Option<u64>> {
    let written: Option<i64> = conn
        .prepare_cached(&format!(
            "UPDATE flows SET due_at = iif(status = 'suspended', ?3, NULL),
                              attempts = iif(status = 'suspended', ?4, 0),
                              version = {NEXT_VERSION}
             WHERE id = ?1 AND version = ?2
             RETURNING version"
        ))?
        .query_row(
            params![
                id as i64,
                version as i64,
                schedule.due_at.map(millis),
                schedule.attempts
            ],
            |row| row.get(0),
        )
        .optional()?;
    if written.is_some() {
        count_change(conn)?;
    }
    Ok(written.map(|v| v as u64))
}

/// The length of flow `id`'s log, read from its last entry: the cost does
/// not grow with the history (the log's key is (flow, position)).
pub(crate) const LOG_LENGTH: &str =
    "coalesce((SELECT position + 1 FROM log WHERE flow_id = flows.id
                                               ORDER BY position DESC LIMIT 1), 0)";

fn append_log(conn: &Connection, id: u64, from: u64, entries: &[LogEntry]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO log (flow_id, position, tag, payload, response, failure, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (e, position) in entries.iter().zip(from..) {
        let (response, failure) =
            match &e.answer {
                Answer::Response(v) => (Some(text(v)?), None),
                Answer::Failure(f) => (
                    None,
                    Some(serde_json::to_string(f).map_err(|e| {
                        rusqlite::Error::ToSqlConversionFailure(e.to_string().into())
                    })?),
                ),
            };
        stmt.execute(params![
            id as i64,
            position as i64,
            text(&e.tag)?,
            text(&e.payload)?,
            response,
            failure,
            e.at.map(|t| t.to_string()),
        ])?;
    }
    Ok(())
}

/// A `dead_letters` row before its columns are checked.
pub(crate) fn dead_letter_row(r: &rusqlite::Row) -> rusqlite::Result<DeadLetterRow> {
    Ok(DeadLetterRow {
        flow: r.get(0)?,
        position: r.get(1)?,
        tag: r.get(2)?,
        payload: r.get(3)?,
        handler: r.get(4)?,
        attempts: r.get(5)?,
        error: r.get(6)?,
        at: r.get(7)?,
    })
}

/// Keep dead letter `d`, replacing an earlier one for the same request
/// (a request is given up on once per position; a second is the newer word).
pub(crate) fn put_dead_letter(conn: &Connection, d: &DeadLetter) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO dead_letters
             (flow_id, position, tag, payload, handler, attempts, error, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        d.flow as i64,
        d.position as i64,
        text(&d.tag)?,
        text(&d.payload)?,
        d.handler,
        d.attempts,
        d.error,
        d.at.to_string(),
    ])?;
    Ok(())
}
