//! Reading a [`StoreDocument`] from JSON: its header first (a document of
//! another format or version is refused before its flows are looked at),
//! then each flow record, with messages that say what is wrong and where.
//! Shape only: [`StoreDocument::validate`] checks the rest on import.

use serde_json::Value as Json;

use crate::flow::document::{FlowRecord, LogEntry, PendingRequest, StoreDocument, FORMAT, VERSION};
use crate::flow::encoding::decode_value;
use crate::flow::status::FlowStatus;

impl TryFrom<Json> for StoreDocument {
    type Error = String;

    fn try_from(doc: Json) -> Result<StoreDocument, String> {
        let obj = doc.as_object().ok_or("expected a JSON object")?;
        if obj.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(format!("not a {FORMAT} document (\"format\")"));
        }
        match obj.get("version") {
            Some(v) if v.as_i64() == Some(VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "unsupported version {v} (this engine reads version {VERSION})"
                ))
            }
            None => return Err("missing \"version\"".into()),
        }
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
            .map(record)
            .collect::<Result<_, _>>()?;
        Ok(StoreDocument { next_id, flows })
    }
}

impl TryFrom<Json> for FlowRecord {
    type Error = String;

    fn try_from(record_json: Json) -> Result<FlowRecord, String> {
        record(&record_json)
    }
}

fn record(f: &Json) -> Result<FlowRecord, String> {
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
    // `place` says which entry, so a refusal names the flow and the position.
    let entry = |e: &Json, place: &str, a: &str, b: &str| -> Result<(_, _), String> {
        let o = e
            .as_object()
            .ok_or_else(|| format!("flow {id}, {place}: expected {{\"{a}\", \"{b}\"}}"))?;
        let field = |name: &str| {
            let json = o
                .get(name)
                .ok_or_else(|| format!("flow {id}, {place}: missing \"{name}\""))?;
            decode_value(json).map_err(|e| format!("flow {id}, {place}, \"{name}\": {e}"))
        };
        Ok((field(a)?, field(b)?))
    };
    let log = m
        .get("log")
        .and_then(Json::as_array)
        .ok_or_else(|| format!("flow {id}: missing or invalid \"log\""))?
        .iter()
        .enumerate()
        .map(|(position, e)| {
            let place = format!("log position {position}");
            let (tag, response) = entry(e, &place, "tag", "response")?;
            Ok(LogEntry { response, tag })
        })
        .collect::<Result<_, String>>()?;
    let pending = match m.get("pending") {
        Some(p) => {
            let (tag, payload) = entry(p, "the pending request", "tag", "payload")?;
            Some(PendingRequest { payload, tag })
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
