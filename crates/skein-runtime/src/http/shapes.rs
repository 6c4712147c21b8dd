//! What the HTTP API answers with, as JSON: a step report, a flow with its
//! history, a dead letter. Values are written in the `skein-store` value
//! encoding, straight from the value as text, so that one nested as deep
//! as the store allows is written whole.

use serde::Serialize;
use serde_json::value::RawValue;
use skein::{Answer, LogEntry, PendingRequest, Timestamp, Value};

use super::error::ApiError;
use crate::flow_info::{FlowInfo, State};
use crate::runtime::StepReport;
use crate::store::DeadLetter;

/// A value's encoding, to embed as it is.
fn raw(v: &Value) -> Result<Box<RawValue>, ApiError> {
    // What a store kept is plain data, so this fails only on a bug.
    let refused = |e: String| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "unencodable-value",
            format!("a value the store holds cannot be written as JSON: {e}"),
        )
    };
    let text = v
        .to_store_json_string()
        .map_err(|e| refused(e.to_string()))?;
    RawValue::from_string(text).map_err(|e| refused(e.to_string()))
}

fn raws(vs: &[Value]) -> Result<Vec<Box<RawValue>>, ApiError> {
    vs.iter().map(raw).collect()
}

/// Where a flow stands: its status and what goes with it.
#[derive(Serialize)]
pub(crate) struct Standing<'a> {
    status: &'static str,
    /// For a suspended flow, the request it waits on, as the store format
    /// writes it: `position`, `tag`, `payload`, and `timeout` and
    /// `deadline` when it has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<&'a PendingRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> Standing<'a> {
    fn new(state: &'a State, pending: Option<&'a PendingRequest>) -> Result<Self, ApiError> {
        let mut standing = Standing {
            status: "suspended",
            pending: None,
            result: None,
            error: None,
        };
        match state {
            State::Suspended { .. } => standing.pending = pending,
            State::Done(v) => {
                standing.status = "done";
                standing.result = Some(raw(v)?);
            }
            State::Failed(message) => {
                standing.status = "failed";
                standing.error = Some(message);
            }
            State::Cancelled => standing.status = "cancelled",
        }
        Ok(standing)
    }
}

/// `{"id": 3, "status": "suspended", "pending": {...}}`, `{"id": 3,
/// "status": "done", "result": ...}`, `{"id": 3, "status": "failed",
/// "error": "..."}` or `{"id": 3, "status": "cancelled"}`.
#[derive(Serialize)]
pub(crate) struct StepJson<'a> {
    id: u64,
    #[serde(flatten)]
    standing: Standing<'a>,
}

impl<'a> StepJson<'a> {
    pub(crate) fn new(report: &'a StepReport) -> Result<Self, ApiError> {
        Ok(StepJson {
            id: report.id,
            standing: Standing::new(&report.state, report.pending.as_ref())?,
        })
    }
}

/// A flow as `GET /flows` lists it; `GET /flows/{id}` adds its history.
#[derive(Serialize)]
pub(crate) struct FlowJson<'a> {
    id: u64,
    flow: Option<&'a str>,
    args: Vec<Box<RawValue>>,
    #[serde(flatten)]
    standing: Standing<'a>,
    created_at: &'a str,
    updated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<EntryJson<'a>>>,
}

impl<'a> FlowJson<'a> {
    pub(crate) fn new(info: &'a FlowInfo) -> Result<Self, ApiError> {
        Ok(FlowJson {
            id: info.id,
            flow: info.flow.as_deref(),
            args: raws(&info.args)?,
            standing: Standing::new(&info.state, info.pending.as_ref())?,
            created_at: &info.created_at,
            updated_at: &info.updated_at,
            history: None,
        })
    }

    pub(crate) fn with_history(info: &'a FlowInfo, log: &'a [LogEntry]) -> Result<Self, ApiError> {
        let history = log
            .iter()
            .zip(0u64..)
            .map(|(entry, position)| EntryJson::new(position, entry))
            .collect::<Result<_, _>>()?;
        Ok(FlowJson {
            history: Some(history),
            ..FlowJson::new(info)?
        })
    }
}

/// One answered request: `position`, `tag`, `payload`, then `response`
/// or `failure` (`{"message", "timeout"}`), and `at` when it was recorded.
#[derive(Serialize)]
pub(crate) struct EntryJson<'a> {
    position: u64,
    tag: Box<RawValue>,
    payload: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<FailureJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<Timestamp>,
}

#[derive(Serialize)]
struct FailureJson<'a> {
    message: &'a str,
    timeout: bool,
}

impl<'a> EntryJson<'a> {
    fn new(position: u64, entry: &'a LogEntry) -> Result<Self, ApiError> {
        let (response, failure) = match &entry.answer {
            Answer::Response(v) => (Some(raw(v)?), None),
            Answer::Failure(f) => (
                None,
                Some(FailureJson {
                    message: &f.message,
                    timeout: f.timeout,
                }),
            ),
        };
        Ok(EntryJson {
            position,
            tag: raw(&entry.tag)?,
            payload: raw(&entry.payload)?,
            response,
            failure,
            at: entry.at,
        })
    }
}

/// A request given up on after its handler's last attempt.
#[derive(Serialize)]
pub(crate) struct DeadLetterJson<'a> {
    flow: u64,
    position: u64,
    tag: Box<RawValue>,
    payload: Box<RawValue>,
    handler: &'a str,
    attempts: u32,
    error: &'a str,
    at: Timestamp,
}

impl<'a> DeadLetterJson<'a> {
    pub(crate) fn new(d: &'a DeadLetter) -> Result<Self, ApiError> {
        Ok(DeadLetterJson {
            flow: d.flow,
            position: d.position,
            tag: raw(&d.tag)?,
            payload: raw(&d.payload)?,
            handler: &d.handler,
            attempts: d.attempts,
            error: &d.error,
            at: d.at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(state: State, pending: Option<PendingRequest>) -> serde_json::Value {
        let report = StepReport {
            id: 3,
            state,
            pending,
        };
        serde_json::to_value(StepJson::new(&report).unwrap()).unwrap()
    }

    #[test]
    fn a_step_report_says_what_goes_with_its_status() {
        let pending = PendingRequest {
            deadline: Some(Timestamp::from_millis(1_000)),
            payload: Value::from("o-1"),
            position: 1,
            tag: Value::symbol("payment"),
            timeout: Some(60.0),
        };
        let suspended = State::Suspended {
            tag: pending.tag.clone(),
            payload: pending.payload.clone(),
        };
        assert_eq!(
            step(suspended, Some(pending)),
            json!({"id": 3, "status": "suspended", "pending": {
                "deadline": "1970-01-01T00:00:01.000Z", "payload": "o-1", "position": 1,
                "tag": {"symbol": "payment"}, "timeout": 60}})
        );
        let paid = Value::list([Value::symbol("paid"), Value::from(1800)]);
        assert_eq!(
            step(State::Done(paid), None),
            json!({"id": 3, "status": "done", "result": [{"symbol": "paid"}, 1800]})
        );
        assert_eq!(
            step(State::Failed("card declined".into()), None),
            json!({"id": 3, "status": "failed", "error": "card declined"})
        );
        assert_eq!(
            step(State::Cancelled, None),
            json!({"id": 3, "status": "cancelled"})
        );
    }

    #[test]
    fn a_flow_shows_its_history_entry_by_position() {
        let info = FlowInfo {
            id: 1,
            flow: Some("order".into()),
            args: vec![Value::from("o-1")],
            state: State::Done(Value::symbol("shipped")),
            pending: None,
            source: None,
            created_at: "2026-12-05T20:30:00.000Z".into(),
            updated_at: "2026-12-05T20:31:00.000Z".into(),
        };
        let log = [
            LogEntry {
                answer: Answer::Failure(skein::RequestFailure::new("card declined")),
                at: Some(Timestamp::from_millis(0)),
                payload: Value::from("o-1"),
                tag: Value::symbol("payment"),
            },
            LogEntry {
                answer: Answer::Response(Value::keyword("ok")),
                at: None,
                payload: Value::from("o-1"),
                tag: Value::symbol("payment"),
            },
        ];
        let shown = serde_json::to_value(FlowJson::with_history(&info, &log).unwrap()).unwrap();
        assert_eq!(
            shown,
            json!({
                "id": 1, "flow": "order", "args": ["o-1"], "status": "done",
                "result": {"symbol": "shipped"},
                "created_at": "2026-12-05T20:30:00.000Z", "updated_at": "2026-12-05T20:31:00.000Z",
                "history": [
                    {"position": 0, "tag": {"symbol": "payment"}, "payload": "o-1",
                     "failure": {"message": "card declined", "timeout": false},
                     "at": "1970-01-01T00:00:00.000Z"},
                    {"position": 1, "tag": {"symbol": "payment"}, "payload": "o-1",
                     "response": {"keyword": "ok"}},
                ]
            })
        );
        let listed = serde_json::to_value(FlowJson::new(&info).unwrap()).unwrap();
        assert!(listed.get("history").is_none(), "{listed}");
    }
}
