//! A flow's data as a store keeps it in text columns, each value in the
//! `skein-store` JSON encoding, and the checks that turn the columns back
//! into typed data: shared by every store, so SQLite and PostgreSQL read the
//! same text the same way and report a damaged row in the same words.

use skein::{Answer, LogEntry, RequestFailure, Timestamp, Value};

use crate::store::DeadLetter;

/// Why a row breaks the schema's promises (edited by hand, or damaged).
pub type RowError = String;

/// A log row before its columns are checked.
#[allow(missing_docs)]
pub struct LogRow {
    pub flow: i64,
    pub position: i64,
    pub tag: String,
    pub payload: String,
    pub response: Option<String>,
    pub failure: Option<String>,
    pub at: Option<String>,
}

impl LogRow {
    /// The entry, once each column checks out.
    pub fn into_entry(self) -> Result<LogEntry, RowError> {
        let flow = self.flow;
        let answer = match (self.response, self.failure) {
            (Some(r), None) => Answer::Response(value_column(flow, "log response", &r)?),
            (None, Some(f)) => Answer::Failure(
                serde_json::from_str::<RequestFailure>(&f)
                    .map_err(|e| format!("flow {flow}: log failure: {e}"))?,
            ),
            _ => {
                return Err(format!(
                    "flow {flow}: a log entry must have a response or a failure"
                ))
            }
        };
        Ok(LogEntry {
            answer,
            at: self
                .at
                .as_deref()
                .map(|t| time_column(flow, "log at", t))
                .transpose()?,
            payload: value_column(flow, "log payload", &self.payload)?,
            tag: value_column(flow, "log tag", &self.tag)?,
        })
    }
}

/// A dead letter's row before its columns are checked.
#[allow(missing_docs)]
pub struct DeadLetterRow {
    pub flow: i64,
    pub position: i64,
    pub tag: String,
    pub payload: String,
    pub handler: String,
    pub attempts: i64,
    pub error: String,
    pub at: String,
}

impl DeadLetterRow {
    /// The dead letter, once each column checks out.
    pub fn into_dead_letter(self) -> Result<DeadLetter, RowError> {
        let id = self.flow;
        let count = |what, n: i64| {
            u64::try_from(n).map_err(|_| format!("flow {id}: dead letter {what} {n}"))
        };
        Ok(DeadLetter {
            flow: count("flow", id)?,
            position: count("position", self.position)?,
            tag: value_column(id, "dead letter tag", &self.tag)?,
            payload: value_column(id, "dead letter payload", &self.payload)?,
            handler: self.handler,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| format!("flow {id}: dead letter attempts {}", self.attempts))?,
            error: self.error,
            at: time_column(id, "dead letter at", &self.at)?,
        })
    }
}

/// A column of flow `id` holding a time (RFC 3339).
pub fn time_column(id: i64, what: &str, text: &str) -> Result<Timestamp, RowError> {
    text.parse().map_err(|e| format!("flow {id}: {what}: {e}"))
}

/// A column of flow `id` holding one value in the store encoding, read as
/// the engine reads a document: values up to `skein::MAX_VALUE_DEPTH`
/// levels deep, without overflowing the stack however deep the text nests.
pub fn value_column(id: i64, what: &str, text: &str) -> Result<Value, RowError> {
    Value::from_store_json_str(text).map_err(|e| format!("flow {id}: {what}: {}", message(e)))
}

/// The `args` column of flow `id`: a JSON array of values.
pub fn args_column(id: i64, text: &str) -> Result<Vec<Value>, RowError> {
    Value::vec_from_store_json_str(text).map_err(|e| format!("flow {id}: args: {}", message(e)))
}

/// `t` as an integer column holds it: milliseconds since the Unix epoch.
pub fn millis(t: Timestamp) -> i64 {
    i64::try_from(t.millis()).unwrap_or(i64::MAX)
}

/// An integer column of milliseconds as a time.
pub fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// An engine refusal without its "store document" prefix.
fn message(e: skein::Error) -> String {
    match e {
        skein::Error::Store(m) => m,
        other => other.to_string(),
    }
}
