//! One flow instance as the rows hold it and as a `skein-store` document's
//! flow record: values stay in their JSON encoding from end to end, so the
//! engine's own export is what the rows hold, and what export assembles.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value as Json};
use skein::FlowStatus;

use crate::source::Source;

/// One flow instance: the fields of a document's flow record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Record {
    pub id: u64,
    pub flow: Option<String>,
    pub args: Vec<Json>,
    pub status: FlowStatus,
    pub log: Vec<(Json, Json)>,
    pub pending: Option<(Json, Json)>,
    pub result: Option<Json>,
    pub error: Option<String>,
}

/// A row that breaks the schema's promises (edited by hand, or damaged).
pub(crate) type RowError = String;

/// A whole `skein-store` document (version 1) holding `records`.
pub(crate) fn document(next_id: u64, records: &[Record]) -> String {
    json!({
        "format": "skein-store",
        "version": 1,
        "next_id": next_id,
        "flows": records.iter().map(Record::to_json).collect::<Vec<_>>(),
    })
    .to_string()
}

/// The records of a document the engine exported (so already validated).
pub(crate) fn records_of(doc: &str) -> Result<(u64, Vec<Record>), RowError> {
    let doc: Json = serde_json::from_str(doc).map_err(|e| e.to_string())?;
    let next_id = doc["next_id"].as_u64().ok_or("no next_id")?;
    let flows = doc["flows"].as_array().ok_or("no flows")?;
    let records = flows
        .iter()
        .map(Record::from_json)
        .collect::<Result<_, _>>()?;
    Ok((next_id, records))
}

impl Record {
    fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("flow".into(), json!(self.flow));
        m.insert("args".into(), Json::Array(self.args.clone()));
        m.insert("status".into(), json!(self.status.name()));
        let log = self
            .log
            .iter()
            .map(|(t, r)| json!({"tag": t, "response": r}));
        m.insert("log".into(), Json::Array(log.collect()));
        if let Some((tag, payload)) = &self.pending {
            m.insert("pending".into(), json!({"tag": tag, "payload": payload}));
        }
        if let Some(result) = &self.result {
            m.insert("result".into(), result.clone());
        }
        if let Some(error) = &self.error {
            m.insert("error".into(), json!(error));
        }
        Json::Object(m)
    }

    fn from_json(j: &Json) -> Result<Record, RowError> {
        let pair = |v: &Json, a: &str, b: &str| (v[a].clone(), v[b].clone());
        Ok(Record {
            id: j["id"].as_u64().ok_or("a flow without an id")?,
            flow: j["flow"].as_str().map(str::to_string),
            args: j["args"].as_array().cloned().ok_or("a flow without args")?,
            status: j["status"]
                .as_str()
                .and_then(FlowStatus::parse)
                .ok_or("a flow without a status")?,
            log: j["log"]
                .as_array()
                .ok_or("a flow without a log")?
                .iter()
                .map(|e| pair(e, "tag", "response"))
                .collect(),
            pending: j.get("pending").map(|p| pair(p, "tag", "payload")),
            result: j.get("result").cloned(),
            error: j["error"].as_str().map(str::to_string),
        })
    }
}

// ---- rows ----

pub(crate) const FLOW_COLUMNS: &str =
    "id, flow, args, status, pending_tag, pending_payload, result, error";

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
pub(crate) type RowResult = Result<Record, RowError>;

type RawEntry = Result<(Json, Json), RowError>;

/// Log entries by flow and position: of one flow, or of all.
fn read_log(conn: &Connection, id: Option<i64>) -> rusqlite::Result<Vec<(i64, RawEntry)>> {
    let mut stmt = conn.prepare(
        "SELECT flow_id, position, tag, response FROM log
         WHERE ?1 IS NULL OR flow_id = ?1 ORDER BY flow_id, position",
    )?;
    let mut expected: Option<(i64, i64)> = None;
    let rows = stmt.query_map([id], |r| {
        let flow: i64 = r.get(0)?;
        let position: i64 = r.get(1)?;
        let tag: String = r.get(2)?;
        let response: String = r.get(3)?;
        Ok((flow, position, tag, response))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (flow, position, tag, response) = row?;
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
            json_column(flow, "log tag", &tag)
                .and_then(|t| Ok((t, json_column(flow, "log response", &response)?)))
        };
        out.push((flow, entry));
    }
    Ok(out)
}

fn json_column(id: i64, what: &str, text: &str) -> Result<Json, RowError> {
    serde_json::from_str(text).map_err(|e| format!("flow {id}: {what} is not JSON: {e}"))
}

/// A `flows` row before its JSON columns are checked.
pub(crate) struct RawFlow {
    id: i64,
    flow: Option<String>,
    args: String,
    status: String,
    pending: (Option<String>, Option<String>),
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
            result: r.get(6)?,
            error: r.get(7)?,
        })
    }

    pub(crate) fn into_record(self, log: impl IntoIterator<Item = RawEntry>) -> RowResult {
        let id = self.id;
        let col = |what, text: &str| json_column(id, what, text);
        let args = match col("args", &self.args)? {
            Json::Array(items) => items,
            _ => return Err(format!("flow {id}: args is not a JSON array")),
        };
        let pending = match self.pending {
            (Some(tag), Some(payload)) => {
                Some((col("pending tag", &tag)?, col("pending payload", &payload)?))
            }
            _ => None,
        };
        Ok(Record {
            id: u64::try_from(id).map_err(|_| format!("flow id {id} is not positive"))?,
            flow: self.flow,
            args,
            status: FlowStatus::parse(&self.status)
                .ok_or_else(|| format!("flow {id}: unknown status {}", self.status))?,
            log: log.into_iter().collect::<Result<_, _>>()?,
            pending,
            result: self.result.map(|r| col("result", &r)).transpose()?,
            error: self.error,
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

fn text(j: &Json) -> String {
    j.to_string()
}

/// Add a new flow's row and its log.
pub(crate) fn insert(
    conn: &Connection,
    r: &Record,
    source: Option<&Source>,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO flows (id, flow, args, status, pending_tag, pending_payload, result, error,
                            source_path, source_sha256, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {NOW}, {NOW})"),
        params![
            r.id as i64,
            r.flow,
            text(&Json::Array(r.args.clone())),
            r.status.name(),
            r.pending.as_ref().map(|(t, _)| text(t)),
            r.pending.as_ref().map(|(_, p)| text(p)),
            r.result.as_ref().map(text),
            r.error,
            source.map(|s| s.path.display().to_string()),
            source.map(|s| s.sha256.clone()),
        ],
    )?;
    append_log(conn, r.id, 0, &r.log)
}

/// Write what a step changed: the log entries past `from`, the new state,
/// and, if given, a newly recorded source.
pub(crate) fn update(
    conn: &Connection,
    r: &Record,
    from: usize,
    source: Option<&Source>,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "UPDATE flows SET status = ?2, pending_tag = ?3, pending_payload = ?4, result = ?5,
                          error = ?6, updated_at = {NOW},
                          source_path = coalesce(?7, source_path),
                          source_sha256 = coalesce(?8, source_sha256)
         WHERE id = ?1"
        ),
        params![
            r.id as i64,
            r.status.name(),
            r.pending.as_ref().map(|(t, _)| text(t)),
            r.pending.as_ref().map(|(_, p)| text(p)),
            r.result.as_ref().map(text),
            r.error,
            source.map(|s| s.path.display().to_string()),
            source.map(|s| s.sha256.clone()),
        ],
    )?;
    append_log(conn, r.id, from, r.log.get(from..).unwrap_or_default())
}

fn append_log(
    conn: &Connection,
    id: u64,
    from: usize,
    entries: &[(Json, Json)],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO log (flow_id, position, tag, response) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, (tag, response)) in entries.iter().enumerate() {
        stmt.execute(params![
            id as i64,
            (from + i) as i64,
            text(tag),
            text(response)
        ])?;
    }
    Ok(())
}
