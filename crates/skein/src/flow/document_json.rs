//! Reading a [`StoreDocument`] from JSON: its header first (a document of
//! another format or version is refused before its flows are looked at),
//! then each flow record, with messages that say what is wrong and where.
//! Shape only: [`StoreDocument::validate`] checks the rest on import.

use serde_json::Value as Json;

use crate::flow::document::{
    Answer, FlowRecord, LogEntry, PendingRequest, RequestFailure, StoreDocument, FORMAT, VERSION,
};
use crate::flow::encoding::decode_value;
use crate::flow::status::FlowStatus;
use crate::flow::timestamp::Timestamp;
use crate::values::plain::Value;

impl TryFrom<Json> for StoreDocument {
    type Error = String;

    fn try_from(doc: Json) -> Result<StoreDocument, String> {
        let obj = doc.as_object().ok_or("expected a JSON object")?;
        if obj.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(format!("not a {FORMAT} document (\"format\")"));
        }
        let version = match obj.get("version") {
            Some(v) if matches!(v.as_i64(), Some(1..=VERSION)) => v.as_i64().unwrap_or(VERSION),
            Some(v) => {
                return Err(format!(
                    "unsupported version {v} (this engine reads versions 1 to {VERSION})"
                ))
            }
            None => return Err("missing \"version\"".into()),
        };
        let next_id = obj
            .get("next_id")
            .and_then(Json::as_u64)
            .filter(|n| *n >= 1)
            .ok_or("missing or invalid \"next_id\"")?;
        let flows = obj
            .get("flows")
            .and_then(Json::as_array)
            .ok_or("missing or invalid \"flows\"")?
            .iter()
            .map(|f| record(f, version))
            .collect::<Result<_, _>>()?;
        Ok(StoreDocument { next_id, flows })
    }
}

impl TryFrom<Json> for FlowRecord {
    type Error = String;

    /// A flow record as the current version writes it.
    fn try_from(record_json: Json) -> Result<FlowRecord, String> {
        record(&record_json, VERSION)
    }
}

fn record(f: &Json, version: i64) -> Result<FlowRecord, String> {
    let m = f.as_object().ok_or("each flow must be an object")?;
    let id = m
        .get("id")
        .and_then(Json::as_u64)
        .ok_or("a flow has a missing or invalid \"id\"")?;
    let flow = match m.get("flow") {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Null) | None => None,
        _ => return Err(format!("flow {id}: invalid \"flow\"")),
    };
    let args = m
        .get("args")
        .and_then(Json::as_array)
        .ok_or_else(|| format!("flow {id}: missing or invalid \"args\""))?
        .iter()
        .enumerate()
        .map(|(i, a)| decode_value(a).map_err(|e| format!("flow {id}, argument {}: {e}", i + 1)))
        .collect::<Result<_, _>>()?;
    let status = m
        .get("status")
        .and_then(Json::as_str)
        .and_then(FlowStatus::parse)
        .ok_or_else(|| format!("flow {id}: missing or invalid \"status\""))?;
    let log: Vec<LogEntry> = m
        .get("log")
        .and_then(Json::as_array)
        .ok_or_else(|| format!("flow {id}: missing or invalid \"log\""))?
        .iter()
        .enumerate()
        .map(|(position, e)| {
            let at = format!("flow {id}, log position {position}");
            let o = e
                .as_object()
                .ok_or_else(|| format!("{at}, expected an object"))?;
            log_entry(o, version).map_err(|e| format!("{at}, {e}"))
        })
        .collect::<Result<_, String>>()?;
    let pending = match m.get("pending") {
        Some(p) => {
            let o = p
                .as_object()
                .ok_or_else(|| format!("flow {id}: \"pending\" must be an object"))?;
            Some(
                pending(o, version, log.len())
                    .map_err(|e| format!("flow {id}, the pending request, {e}"))?,
            )
        }
        None => None,
    };
    let result = m
        .get("result")
        .map(|r| decode_value(r).map_err(|e| format!("flow {id}, \"result\": {e}")))
        .transpose()?;
    let error = match m.get("error") {
        Some(Json::String(s)) => Some(s.clone()),
        None => None,
        Some(_) => return Err(format!("flow {id}: \"error\" must be a string")),
    };
    Ok(FlowRecord {
        args,
        error,
        flow,
        id,
        log,
        pending,
        result,
        status,
    })
}

type Object = serde_json::Map<String, Json>;

fn field<'a>(o: &'a Object, key: &str) -> Result<&'a Json, String> {
    o.get(key).ok_or_else(|| format!("missing \"{key}\""))
}

fn value_field(o: &Object, key: &str) -> Result<Value, String> {
    decode_value(field(o, key)?).map_err(|e| format!("\"{key}\": {e}"))
}

fn time_field(o: &Object, key: &str) -> Result<Option<Timestamp>, String> {
    match o.get(key) {
        None => Ok(None),
        Some(Json::String(text)) => text.parse().map(Some),
        Some(_) => Err(format!("\"{key}\" must be an RFC 3339 time")),
    }
}

/// An answered request; version 1 kept only its tag and response.
fn log_entry(o: &Object, version: i64) -> Result<LogEntry, String> {
    let tag = value_field(o, "tag")?;
    if version == 1 {
        return Ok(LogEntry {
            answer: Answer::Response(value_field(o, "response")?),
            at: None,
            payload: Value::List(vec![]),
            tag,
        });
    }
    let answer = match (o.get("response"), o.get("failure")) {
        (Some(r), None) => {
            Answer::Response(decode_value(r).map_err(|e| format!("\"response\": {e}"))?)
        }
        (None, Some(f)) => Answer::Failure(
            serde_json::from_value::<RequestFailure>(f.clone())
                .map_err(|e| format!("\"failure\": {e}"))?,
        ),
        _ => return Err("expected one of \"response\" and \"failure\"".into()),
    };
    Ok(LogEntry {
        answer,
        at: time_field(o, "at")?,
        payload: value_field(o, "payload")?,
        tag,
    })
}

/// The pending request; at `position`, the length of the log (version 1
/// did not write it).
fn pending(o: &Object, version: i64, position: usize) -> Result<PendingRequest, String> {
    let position = match (version, o.get("position")) {
        (1, _) => position as u64,
        (_, Some(p)) => p.as_u64().ok_or("\"position\" must be a count")?,
        (_, None) => return Err("missing \"position\"".into()),
    };
    let timeout = match o.get("timeout") {
        None => None,
        Some(t) => Some(
            t.as_f64()
                .ok_or("\"timeout\" must be a number of seconds")?,
        ),
    };
    Ok(PendingRequest {
        deadline: time_field(o, "deadline")?,
        payload: value_field(o, "payload")?,
        position,
        tag: value_field(o, "tag")?,
        timeout,
    })
}
