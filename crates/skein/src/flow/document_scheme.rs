//! A [`StoreDocument`] as Scheme data, for `flow-store-export` and
//! `flow-store-import!`: a map with keyword keys
//! (`{:format "skein-store" :version 2 :next-id 2 :flows (...)}`) holding
//! the values themselves rather than their JSON encoding. A log entry is a
//! map (`{:tag t :payload p :response r :at "..."}`, or `:failure "message"`
//! and `:timeout #t` instead of `:response`); version 1's `(tag response)`
//! lists still read.

use crate::flow::document::{
    Answer, FlowRecord, LogEntry, PendingRequest, RequestFailure, StoreDocument, FORMAT, VERSION,
};
use crate::flow::status::FlowStatus;
use crate::flow::timestamp::Timestamp;
use crate::values::plain::{check_plain, NotPlain, Value};
use crate::values::symbol::Symbol;
use crate::values::value::{BoolBits, MapImpl, Val};

fn kw(s: &str) -> Val {
    Val::Keyword(Symbol::intern(s))
}

/// A count as an integer; ids and `next-id` are below `i64::MAX` in a
/// store, which `StoreDocument::validate` checks on the way in.
/// Flow `id`'s value `v` as plain data. One nested deeper than
/// `MAX_VALUE_DEPTH` is refused here, by name; any other that is not plain
/// data is left for validation to refuse.
fn value(id: u64, v: &Val) -> Result<Value, String> {
    if check_plain(v) == Err(NotPlain::TooDeep) {
        return Err(NotPlain::too_deep(&format!("flow {id}: a value")));
    }
    Ok(Value::from_val(v))
}

fn int(n: u64) -> Val {
    Val::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl StoreDocument {
    /// The document as a Scheme map; refused if it holds a value that is not
    /// plain data.
    pub(crate) fn to_val(&self) -> Result<Val, String> {
        let mut flows = Vec::with_capacity(self.flows.len());
        for r in &self.flows {
            let val = |v: &Value| v.to_val().map_err(|e| format!("flow {}: {e}", r.id));
            let mut m = MapImpl::default();
            m.insert(kw("id"), int(r.id));
            m.insert(
                kw("flow"),
                r.flow
                    .as_deref()
                    .map_or(Val::bool(false), |name| Val::Sym(Symbol::intern(name))),
            );
            let args = r.args.iter().map(val).collect::<Result<Vec<_>, _>>()?;
            m.insert(kw("args"), Val::list(args));
            m.insert(kw("status"), Val::sym(r.status.name()));
            let mut log = Vec::with_capacity(r.log.len());
            for e in &r.log {
                let mut entry = MapImpl::default();
                entry.insert(kw("tag"), val(&e.tag)?);
                entry.insert(kw("payload"), val(&e.payload)?);
                match &e.answer {
                    Answer::Response(v) => {
                        entry.insert(kw("response"), val(v)?);
                    }
                    Answer::Failure(f) => {
                        entry.insert(kw("failure"), Val::str(f.message.clone()));
                        entry.insert(kw("timeout"), Val::bool(f.timeout));
                    }
                }
                if let Some(at) = e.at {
                    entry.insert(kw("at"), Val::str(at.to_string()));
                }
                log.push(Val::map(entry));
            }
            m.insert(kw("log"), Val::list(log));
            if let Some(p) = &r.pending {
                let mut pending = MapImpl::default();
                pending.insert(kw("tag"), val(&p.tag)?);
                pending.insert(kw("payload"), val(&p.payload)?);
                pending.insert(kw("position"), int(p.position));
                if let Some(t) = p.timeout {
                    pending.insert(kw("timeout"), Val::real(t));
                }
                if let Some(d) = p.deadline {
                    pending.insert(kw("deadline"), Val::str(d.to_string()));
                }
                m.insert(kw("pending"), Val::map(pending));
            }
            if let Some(v) = &r.result {
                m.insert(kw("result"), val(v)?);
            }
            if let Some(e) = &r.error {
                m.insert(kw("error"), Val::str(e.clone()));
            }
            flows.push(Val::map(m));
        }
        let mut doc = MapImpl::default();
        doc.insert(kw("format"), Val::str(FORMAT));
        doc.insert(kw("version"), Val::Int(VERSION));
        doc.insert(kw("next-id"), int(self.next_id));
        doc.insert(kw("flows"), Val::list(flows));
        Ok(Val::map(doc))
    }

    /// The document a Scheme map describes; its shape only (import validates).
    pub(crate) fn from_val(v: &Val) -> Result<StoreDocument, String> {
        let Val::Map(doc) = v else {
            return Err("expected a store document (a map)".into());
        };
        let get = |m: &MapImpl, k: &str| m.get(&kw(k)).cloned();
        match get(doc, "format") {
            Some(Val::Str(s)) if s.as_str() == FORMAT => {}
            _ => return Err(format!("not a {FORMAT} document (:format)")),
        }
        let version = match get(doc, "version") {
            Some(Val::Int(v @ 1..=VERSION)) => v,
            Some(other) => {
                return Err(format!(
                    "unsupported version {} (this engine reads versions 1 to {VERSION})",
                    crate::values::printer::write_string(&other)
                ))
            }
            None => return Err("missing :version".into()),
        };
        let next_id = match get(doc, "next-id") {
            Some(Val::Int(n)) if n >= 1 => n as u64,
            _ => return Err("missing or invalid :next-id".into()),
        };
        let flows = get(doc, "flows")
            .and_then(|f| f.to_vec())
            .ok_or("missing or invalid :flows")?;
        let mut records = Vec::new();
        for f in &flows {
            let Val::Map(m) = f else {
                return Err("each flow must be a map".into());
            };
            let id = match get(m, "id") {
                Some(Val::Int(n)) if n >= 1 => n as u64,
                _ => return Err("a flow has a missing or invalid :id".into()),
            };
            let flow = match get(m, "flow") {
                Some(Val::Sym(s)) => Some(s.name().to_string()),
                Some(Val::Bool(BoolBits::FALSE)) | None => None,
                _ => return Err(format!("flow {id}: invalid :flow")),
            };
            let args = get(m, "args")
                .and_then(|a| a.to_vec())
                .ok_or_else(|| format!("flow {id}: missing or invalid :args"))?;
            let status = match get(m, "status") {
                Some(Val::Sym(s)) => FlowStatus::parse(s.name()),
                _ => None,
            }
            .ok_or_else(|| format!("flow {id}: missing or invalid :status"))?;
            let log: Vec<LogEntry> = get(m, "log")
                .and_then(|l| l.to_vec())
                .ok_or_else(|| format!("flow {id}: missing or invalid :log"))?
                .iter()
                .enumerate()
                .map(|(position, e)| {
                    log_entry(id, e, version)
                        .map_err(|why| format!("flow {id}, log position {position}, {why}"))
                })
                .collect::<Result<_, String>>()?;
            let pending = match get(m, "pending") {
                Some(p) => Some(
                    pending(id, &p, version, log.len())
                        .map_err(|why| format!("flow {id}, :pending, {why}"))?,
                ),
                None => None,
            };
            let error = match get(m, "error") {
                Some(Val::Str(s)) => Some(s.to_string()),
                None => None,
                Some(_) => return Err(format!("flow {id}: :error must be a string")),
            };
            let result = get(m, "result").map(|v| value(id, &v)).transpose()?;
            records.push(FlowRecord {
                args: args
                    .iter()
                    .map(|a| value(id, a))
                    .collect::<Result<_, _>>()?,
                error,
                flow,
                id,
                log,
                pending,
                result,
                status,
            });
        }
        Ok(StoreDocument {
            next_id,
            flows: records,
        })
    }
}

fn entry_field(m: &MapImpl, key: &str) -> Result<Val, String> {
    m.get(&kw(key))
        .cloned()
        .ok_or_else(|| format!("missing :{key}"))
}

fn time_entry(m: &MapImpl, key: &str) -> Result<Option<Timestamp>, String> {
    match m.get(&kw(key)) {
        None => Ok(None),
        Some(Val::Str(s)) => s.as_str().parse().map(Some),
        Some(_) => Err(format!(":{key} must be a time string")),
    }
}

/// A log entry: a map, or in version 1 the list `(tag response)`.
fn log_entry(id: u64, e: &Val, version: i64) -> Result<LogEntry, String> {
    if version == 1 {
        return match e.to_vec().as_deref() {
            Some([tag, response]) => Ok(LogEntry {
                answer: Answer::Response(value(id, response)?),
                at: None,
                payload: Value::List(vec![]),
                tag: value(id, tag)?,
            }),
            _ => Err("expected (tag response)".into()),
        };
    }
    let Val::Map(m) = e else {
        return Err("expected a map".into());
    };
    let answer = match (m.get(&kw("response")), m.get(&kw("failure"))) {
        (Some(r), None) => Answer::Response(value(id, r)?),
        (None, Some(Val::Str(message))) => Answer::Failure(RequestFailure {
            message: message.to_string(),
            timeout: matches!(m.get(&kw("timeout")), Some(Val::Bool(BoolBits::TRUE))),
        }),
        _ => return Err("expected :response, or :failure with a message".into()),
    };
    Ok(LogEntry {
        answer,
        at: time_entry(m, "at")?,
        payload: value(id, &entry_field(m, "payload")?)?,
        tag: value(id, &entry_field(m, "tag")?)?,
    })
}

/// The pending request: a map, or in version 1 the list `(tag payload)`.
fn pending(id: u64, p: &Val, version: i64, position: usize) -> Result<PendingRequest, String> {
    if version == 1 {
        return match p.to_vec().as_deref() {
            Some([tag, payload]) => Ok(PendingRequest {
                deadline: None,
                payload: value(id, payload)?,
                position: position as u64,
                tag: value(id, tag)?,
                timeout: None,
            }),
            _ => Err("expected (tag payload)".into()),
        };
    }
    let Val::Map(m) = p else {
        return Err("expected a map".into());
    };
    let position = match m.get(&kw("position")) {
        Some(Val::Int(n)) if *n >= 0 => *n as u64,
        _ => return Err("missing or invalid :position".into()),
    };
    let timeout = match m.get(&kw("timeout")) {
        None => None,
        Some(v) => {
            Some(crate::values::number::to_f64(v).ok_or(":timeout must be a number of seconds")?)
        }
    };
    Ok(PendingRequest {
        deadline: time_entry(m, "deadline")?,
        payload: value(id, &entry_field(m, "payload")?)?,
        position,
        tag: value(id, &entry_field(m, "tag")?)?,
        timeout,
    })
}
