//! One flow as the rows hold it: a [`skein::FlowRecord`], each value in its
//! own column (or log row) in the `skein-store` JSON encoding, read and
//! written as SQLite's store does, so both hold the same text.

use postgres::{GenericClient, Row};
use skein::{Answer, FlowRecord, FlowStatus, LogEntry, PendingRequest, Value};
use skein_runtime::{FlowInfo, Source, State};

use crate::error::StoreError;

/// A row that breaks the schema's promises (edited by hand, or damaged).
pub(crate) use skein_runtime::columns::{
    args_column, millis, time_column, timestamp, value_column, DeadLetterRow, LogRow, RowError,
};

/// The columns [`RawFlow::from_row`] reads, in order.
pub(crate) const FLOW_COLUMNS: &str =
    "id, flow, args, status, pending_tag, pending_payload, pending_timeout, pending_deadline, result, error";
/// How many columns [`FLOW_COLUMNS`] names.
pub(crate) const FLOW_COLUMN_COUNT: usize = 10;

/// The length of a flow's log, read from its last entry: the cost does not
/// grow with the history (the log's key is (flow, position)).
pub(crate) const LOG_LENGTH: &str =
    "coalesce((SELECT position + 1 FROM skein_log WHERE flow_id = skein_flows.id
                                                ORDER BY position DESC LIMIT 1), 0)";

/// A time as `created_at` and `updated_at` are shown: UTC, ISO 8601, as
/// SQLite's store writes them.
pub(crate) fn iso_time(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

/// `v` as column text: its store encoding.
pub(crate) fn text(v: &Value) -> Result<String, StoreError> {
    Ok(v.to_store_json_string()?)
}

/// A flow id or position as a bigint column holds it.
pub(crate) fn key(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The columns of a flow's row that hold its record, as written.
pub(crate) struct FlowColumns {
    pub(crate) args: String,
    pub(crate) status: &'static str,
    pub(crate) pending_tag: Option<String>,
    pub(crate) pending_payload: Option<String>,
    pub(crate) pending_timeout: Option<f64>,
    pub(crate) pending_deadline: Option<String>,
    pub(crate) result: Option<String>,
}

impl FlowColumns {
    pub(crate) fn of(r: &FlowRecord) -> Result<FlowColumns, StoreError> {
        let args = r.args.iter().map(text).collect::<Result<Vec<_>, _>>()?;
        let pending = r.pending.as_ref();
        Ok(FlowColumns {
            args: format!("[{}]", args.join(",")),
            status: r.status.name(),
            pending_tag: pending.map(|p| text(&p.tag)).transpose()?,
            pending_payload: pending.map(|p| text(&p.payload)).transpose()?,
            pending_timeout: pending.and_then(|p| p.timeout),
            pending_deadline: pending.and_then(|p| p.deadline).map(|d| d.to_string()),
            result: r.result.as_ref().map(text).transpose()?,
        })
    }
}

/// Log entries as the columns of one `INSERT ... SELECT FROM unnest(...)`:
/// a step's new entries, or a whole imported log, in one round trip.
#[derive(Default)]
pub(crate) struct LogColumns {
    pub(crate) flow: Vec<i64>,
    pub(crate) position: Vec<i64>,
    pub(crate) tag: Vec<String>,
    pub(crate) payload: Vec<String>,
    pub(crate) response: Vec<Option<String>>,
    pub(crate) failure: Vec<Option<String>>,
    pub(crate) at: Vec<Option<String>>,
}

/// The statement [`LogColumns::write`] runs.
pub(crate) const APPEND_LOG: &str =
    "INSERT INTO skein_log (flow_id, position, tag, payload, response, failure, at)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                          $6::text[], $7::text[])";

impl LogColumns {
    /// Add flow `id`'s `entries`, which answer positions `from` on.
    pub(crate) fn push(
        &mut self,
        id: u64,
        from: u64,
        entries: &[LogEntry],
    ) -> Result<(), StoreError> {
        for (e, position) in entries.iter().zip(from..) {
            let (response, failure) = match &e.answer {
                Answer::Response(v) => (Some(text(v)?), None),
                Answer::Failure(f) => (
                    None,
                    Some(serde_json::to_string(f).map_err(|e| skein::Error::Host(e.to_string()))?),
                ),
            };
            self.flow.push(key(id));
            self.position.push(key(position));
            self.tag.push(text(&e.tag)?);
            self.payload.push(text(&e.payload)?);
            self.response.push(response);
            self.failure.push(failure);
            self.at.push(e.at.map(|t| t.to_string()));
        }
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.flow.is_empty()
    }

    /// Insert the entries gathered, through `append` (a prepared
    /// [`APPEND_LOG`]).
    pub(crate) fn write(
        &self,
        client: &mut impl GenericClient,
        append: &postgres::Statement,
    ) -> Result<(), postgres::Error> {
        if self.is_empty() {
            return Ok(());
        }
        client.execute(
            append,
            &[
                &self.flow,
                &self.position,
                &self.tag,
                &self.payload,
                &self.response,
                &self.failure,
                &self.at,
            ],
        )?;
        Ok(())
    }
}

/// A log row before its columns are checked.
fn log_row(r: &Row) -> Result<LogRow, postgres::Error> {
    Ok(LogRow {
        flow: r.try_get(0)?,
        position: r.try_get(1)?,
        tag: r.try_get(2)?,
        payload: r.try_get(3)?,
        response: r.try_get(4)?,
        failure: r.try_get(5)?,
        at: r.try_get(6)?,
    })
}

type CheckedEntry = Result<LogEntry, RowError>;

/// Log entries by flow and position: of one flow, or of all.
pub(crate) fn read_log(
    client: &mut impl GenericClient,
    id: Option<i64>,
) -> Result<Vec<(i64, CheckedEntry)>, postgres::Error> {
    let rows = client.query(
        "SELECT flow_id, position, tag, payload, response, failure, at FROM skein_log
         WHERE $1::bigint IS NULL OR flow_id = $1 ORDER BY flow_id, position",
        &[&id],
    )?;
    let mut expected: Option<(i64, i64)> = None;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let raw = log_row(row)?;
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

/// A `skein_flows` row before its JSON columns are checked.
pub(crate) struct RawFlow {
    pub(crate) id: i64,
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
    /// The [`FLOW_COLUMNS`] of `r`, from its first column on.
    pub(crate) fn from_row(r: &Row) -> Result<RawFlow, postgres::Error> {
        Ok(RawFlow {
            id: r.try_get(0)?,
            flow: r.try_get(1)?,
            args: r.try_get(2)?,
            status: r.try_get(3)?,
            pending: (r.try_get(4)?, r.try_get(5)?),
            timeout: r.try_get(6)?,
            deadline: r.try_get(7)?,
            result: r.try_get(8)?,
            error: r.try_get(9)?,
        })
    }

    /// The record, with `log` as its log.
    pub(crate) fn into_record(
        self,
        log: impl IntoIterator<Item = CheckedEntry>,
    ) -> Result<FlowRecord, RowError> {
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

    /// The flow as a listing shows it, without its log: `answered` is the
    /// log's length, the pending request's position.
    pub(crate) fn into_info(
        self,
        source: Option<Source>,
        created_at: String,
        updated_at: String,
        answered: u64,
    ) -> Result<FlowInfo, RowError> {
        let mut r = self.into_record([])?;
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
            _ => return Err(format!("flow {}: its status and columns disagree", r.id)),
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
}

/// A `skein_dead_letters` row before its columns are checked.
pub(crate) fn dead_letter_row(r: &Row) -> Result<DeadLetterRow, postgres::Error> {
    Ok(DeadLetterRow {
        flow: r.try_get(0)?,
        position: r.try_get(1)?,
        tag: r.try_get(2)?,
        payload: r.try_get(3)?,
        handler: r.try_get(4)?,
        attempts: r.try_get(5)?,
        error: r.try_get(6)?,
        at: r.try_get(7)?,
    })
}
