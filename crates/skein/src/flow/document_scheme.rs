//! A [`StoreDocument`] as Scheme data, for `flow-store-export` and
//! `flow-store-import!`: a map with keyword keys
//! (`{:format "skein-store" :version 1 :next-id 2 :flows (...)}`) holding
//! the values themselves rather than their JSON encoding.

use crate::flow::document::{FlowRecord, LogEntry, PendingRequest, StoreDocument, FORMAT, VERSION};
use crate::flow::status::FlowStatus;
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
            let pair = |a: &Value, b: &Value| Ok::<_, String>(Val::list([val(a)?, val(b)?]));
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
            let log = r.log.iter().map(|e| pair(&e.tag, &e.response));
            m.insert(kw("log"), Val::list(log.collect::<Result<Vec<_>, _>>()?));
            if let Some(p) = &r.pending {
                m.insert(kw("pending"), pair(&p.tag, &p.payload)?);
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
        match get(doc, "version") {
            Some(Val::Int(VERSION)) => {}
            Some(other) => {
                return Err(format!(
                    "unsupported version {} (this engine reads version {VERSION})",
                    crate::values::printer::write_string(&other)
                ))
            }
            None => return Err("missing :version".into()),
        }
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
            let pair = |v: &Val, shape: &str| -> Result<(Value, Value), String> {
                match v.to_vec().as_deref() {
                    Some([a, b]) => Ok((value(id, a)?, value(id, b)?)),
                    _ => Err(format!("flow {id}: {shape}")),
                }
            };
            let log = get(m, "log")
                .and_then(|l| l.to_vec())
                .ok_or_else(|| format!("flow {id}: missing or invalid :log"))?
                .iter()
                .map(|e| {
                    let (tag, response) = pair(e, "each log entry is (tag response)")?;
                    Ok(LogEntry { response, tag })
                })
                .collect::<Result<_, String>>()?;
            let pending = match get(m, "pending") {
                Some(p) => {
                    let (tag, payload) = pair(&p, ":pending is (tag payload)")?;
                    Some(PendingRequest { payload, tag })
                }
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
