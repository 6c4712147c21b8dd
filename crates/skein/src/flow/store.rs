//! The portable store document (`"format": "skein-store"`, version 1): the
//! replay logs of every flow, as Scheme data or as JSON. See docs/store-format.md.
//!
//! Documents are validated completely before anything is imported: a refused
//! document changes nothing.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map as JsonMap, Value as Json};

use crate::flow::model::{FlowStore, Instance};
use crate::flow::status::Status;
use crate::values::symbol::Symbol;
use crate::values::value::FlowDef;
use crate::values::value::{BoolBits, MapImpl, Val};

pub const FORMAT: &str = "skein-store";
pub const VERSION: i64 = 1;

pub struct FlowRecord {
    pub id: u64,
    pub flow: Option<Symbol>,
    pub args: Vec<Val>,
    pub status: Status,
    pub log: Vec<(Val, Val)>,
    pub pending: Option<(Val, Val)>,
    pub result: Option<Val>,
    pub error: Option<String>,
}

pub struct StoreDoc {
    pub next_id: u64,
    pub flows: Vec<FlowRecord>,
}

impl StoreDoc {
    pub fn from_store(store: &FlowStore) -> Result<StoreDoc, String> {
        let mut flows = Vec::new();
        for (id, inst) in &store.instances {
            let live = matches!(inst.status, Status::Suspended | Status::Running);
            if live && inst.flow.name.is_none() {
                return Err(format!(
                    "flow {id} is a live instance of an anonymous flow (flow-node), which cannot be exported: define it with defflow"
                ));
            }
            if inst.status == Status::Running {
                return Err(format!("flow {id} is running"));
            }
            flows.push(FlowRecord {
                id: *id,
                flow: inst.flow.name,
                args: inst.args.clone(),
                status: inst.status,
                log: inst.log.clone(),
                pending: inst.pending.clone(),
                result: inst.result.clone(),
                error: inst.error.clone(),
            });
        }
        Ok(StoreDoc {
            next_id: store.next_id,
            flows,
        })
    }

    /// A store whose suspended flows will be rebuilt by replay when resumed.
    pub fn into_store(self) -> FlowStore {
        let mut instances = BTreeMap::new();
        for r in self.flows {
            instances.insert(
                r.id,
                Instance {
                    flow: Rc::new(FlowDef {
                        name: r.flow,
                        proc: Val::Unspecified,
                    }),
                    args: r.args,
                    status: r.status,
                    log: r.log,
                    pending: r.pending,
                    result: r.result,
                    error: r.error,
                    failure: None,
                    frames: None,
                },
            );
        }
        FlowStore {
            instances,
            next_id: self.next_id,
            ..FlowStore::default()
        }
    }

    fn validate(self) -> Result<StoreDoc, String> {
        if self.next_id > i64::MAX as u64 {
            return Err(format!(
                "next_id {} is beyond the integer range (at most {})",
                self.next_id,
                i64::MAX
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &self.flows {
            let id = r.id;
            if id == 0 || id >= self.next_id {
                return Err(format!("flow id {id} must be between 1 and next-id - 1"));
            }
            if !seen.insert(id) {
                return Err(format!("flow id {id} appears twice"));
            }
            let all_plain = r.args.iter().all(Val::is_plain)
                && r.log.iter().all(|(t, v)| t.is_plain() && v.is_plain())
                && r.pending.iter().all(|(t, p)| t.is_plain() && p.is_plain())
                && r.result.iter().all(Val::is_plain);
            if !all_plain {
                return Err(format!("flow {id}: values must be plain data"));
            }
            match r.status {
                Status::Suspended if r.pending.is_none() => {
                    return Err(format!("flow {id} is suspended but has no pending request"))
                }
                Status::Suspended if r.flow.is_none() => {
                    return Err(format!("flow {id} is suspended but names no flow"))
                }
                Status::Done if r.result.is_none() => {
                    return Err(format!("flow {id} is done but has no result"))
                }
                _ => {}
            }
        }
        Ok(self)
    }

    // ---- as Scheme data ----

    pub fn to_val(&self) -> Val {
        let kw = |s: &str| Val::Keyword(Symbol::intern(s));
        let flows = self.flows.iter().map(|r| {
            let mut m = MapImpl::default();
            m.insert(kw("id"), Val::Int(r.id as i64));
            m.insert(kw("flow"), r.flow.map_or(Val::bool(false), Val::Sym));
            m.insert(kw("args"), Val::list(r.args.clone()));
            m.insert(kw("status"), Val::sym(r.status.name()));
            m.insert(
                kw("log"),
                Val::list(
                    r.log
                        .iter()
                        .map(|(t, v)| Val::list([t.clone(), v.clone()]))
                        .collect::<Vec<_>>(),
                ),
            );
            if let Some((t, p)) = &r.pending {
                m.insert(kw("pending"), Val::list([t.clone(), p.clone()]));
            }
            if let Some(v) = &r.result {
                m.insert(kw("result"), v.clone());
            }
            if let Some(e) = &r.error {
                m.insert(kw("error"), Val::str(e.clone()));
            }
            Val::map(m)
        });
        let mut doc = MapImpl::default();
        doc.insert(kw("format"), Val::str(FORMAT));
        doc.insert(kw("version"), Val::Int(VERSION));
        doc.insert(kw("next-id"), Val::Int(self.next_id as i64));
        doc.insert(kw("flows"), Val::list(flows.collect::<Vec<_>>()));
        Val::map(doc)
    }

    pub fn from_val(v: &Val) -> Result<StoreDoc, String> {
        let Val::Map(doc) = v else {
            return Err("expected a store document (a map)".into());
        };
        let get = |m: &MapImpl, k: &str| m.get(&Val::Keyword(Symbol::intern(k))).cloned();
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
                Some(Val::Sym(s)) => Some(s),
                Some(Val::Bool(BoolBits::FALSE)) | None => None,
                _ => return Err(format!("flow {id}: invalid :flow")),
            };
            let args = get(m, "args")
                .and_then(|a| a.to_vec())
                .ok_or_else(|| format!("flow {id}: missing or invalid :args"))?;
            let status = match get(m, "status") {
                Some(Val::Sym(s)) => Status::parse(s.name()),
                _ => None,
            }
            .ok_or_else(|| format!("flow {id}: missing or invalid :status"))?;
            let pair = |v: &Val| -> Option<(Val, Val)> {
                match v.to_vec()?.as_slice() {
                    [a, b] => Some((a.clone(), b.clone())),
                    _ => None,
                }
            };
            let log = get(m, "log")
                .and_then(|l| l.to_vec())
                .ok_or_else(|| format!("flow {id}: missing or invalid :log"))?
                .iter()
                .map(|e| {
                    pair(e).ok_or_else(|| format!("flow {id}: each log entry is (tag response)"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let pending = match get(m, "pending") {
                Some(p) => {
                    Some(pair(&p).ok_or_else(|| format!("flow {id}: :pending is (tag payload)"))?)
                }
                None => None,
            };
            let error = match get(m, "error") {
                Some(Val::Str(s)) => Some(s.to_string()),
                None => None,
                Some(_) => return Err(format!("flow {id}: :error must be a string")),
            };
            records.push(FlowRecord {
                id,
                flow,
                args,
                status,
                log,
                pending,
                result: get(m, "result"),
                error,
            });
        }
        StoreDoc {
            next_id,
            flows: records,
        }
        .validate()
    }

    // ---- as JSON ----

    pub fn to_json(&self) -> Json {
        let flows: Vec<Json> = self
            .flows
            .iter()
            .map(|r| {
                let mut m = JsonMap::new();
                m.insert("id".into(), json!(r.id));
                m.insert(
                    "flow".into(),
                    r.flow.map_or(Json::Null, |s| Json::String(s.name().into())),
                );
                m.insert(
                    "args".into(),
                    Json::Array(r.args.iter().map(encode).collect()),
                );
                m.insert("status".into(), json!(r.status.name()));
                m.insert(
                    "log".into(),
                    Json::Array(
                        r.log
                            .iter()
                            .map(|(t, v)| json!({"tag": encode(t), "response": encode(v)}))
                            .collect(),
                    ),
                );
                if let Some((t, p)) = &r.pending {
                    m.insert(
                        "pending".into(),
                        json!({"tag": encode(t), "payload": encode(p)}),
                    );
                }
                if let Some(v) = &r.result {
                    m.insert("result".into(), encode(v));
                }
                if let Some(e) = &r.error {
                    m.insert("error".into(), json!(e));
                }
                Json::Object(m)
            })
            .collect();
        json!({
            "format": FORMAT,
            "version": VERSION,
            "next_id": self.next_id,
            "flows": flows,
        })
    }

    pub fn from_json(doc: &Json) -> Result<StoreDoc, String> {
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
            .ok_or("missing or invalid \"flows\"")?;
        let mut records = Vec::new();
        for f in flows {
            let m = f.as_object().ok_or("each flow must be an object")?;
            let id = m
                .get("id")
                .and_then(Json::as_u64)
                .ok_or("a flow has a missing or invalid \"id\"")?;
            let flow = match m.get("flow") {
                Some(Json::String(s)) => Some(Symbol::intern(s)),
                Some(Json::Null) | None => None,
                _ => return Err(format!("flow {id}: invalid \"flow\"")),
            };
            let args = m
                .get("args")
                .and_then(Json::as_array)
                .ok_or_else(|| format!("flow {id}: missing or invalid \"args\""))?
                .iter()
                .map(decode)
                .collect::<Result<Vec<_>, _>>()?;
            let status = m
                .get("status")
                .and_then(Json::as_str)
                .and_then(Status::parse)
                .ok_or_else(|| format!("flow {id}: missing or invalid \"status\""))?;
            let entry = |e: &Json, a: &str, b: &str| -> Result<(Val, Val), String> {
                let o = e
                    .as_object()
                    .ok_or_else(|| format!("flow {id}: expected {{\"{a}\", \"{b}\"}}"))?;
                let x = o
                    .get(a)
                    .ok_or_else(|| format!("flow {id}: missing \"{a}\""))?;
                let y = o
                    .get(b)
                    .ok_or_else(|| format!("flow {id}: missing \"{b}\""))?;
                Ok((decode(x)?, decode(y)?))
            };
            let log = m
                .get("log")
                .and_then(Json::as_array)
                .ok_or_else(|| format!("flow {id}: missing or invalid \"log\""))?
                .iter()
                .map(|e| entry(e, "tag", "response"))
                .collect::<Result<Vec<_>, _>>()?;
            let pending = match m.get("pending") {
                Some(p) => Some(entry(p, "tag", "payload")?),
                None => None,
            };
            let result = match m.get("result") {
                Some(r) => Some(decode(r)?),
                None => None,
            };
            let error = match m.get("error") {
                Some(Json::String(s)) => Some(s.clone()),
                None => None,
                Some(_) => return Err(format!("flow {id}: \"error\" must be a string")),
            };
            records.push(FlowRecord {
                id,
                flow,
                args,
                status,
                log,
                pending,
                result,
                error,
            });
        }
        StoreDoc {
            next_id,
            flows: records,
        }
        .validate()
    }
}

/// Encode a plain value as JSON, exactly: strings are JSON strings, exact
/// integers JSON integers, and everything JSON cannot tell apart is tagged.
pub fn encode(v: &Val) -> Json {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || match v {
        Val::Null => json!([]),
        Val::Unspecified => Json::Null,
        Val::Bool(b) => json!(b.get()),
        Val::Int(i) => json!(i),
        Val::Big(b) => json!({"int": b.to_string()}),
        Val::Rat(r) => json!({"rational": r.to_string()}),
        Val::Real(_) => json!({"float": crate::values::number::format_number(v, 10)}),
        Val::Char(c) => json!({"char": c.get().to_string()}),
        Val::Str(s) => json!(s.as_str()),
        Val::Sym(s) => json!({"symbol": s.name()}),
        Val::Keyword(s) => json!({"keyword": s.name()}),
        Val::Pair(_) => {
            let (items, tail) = v.list_parts();
            let items: Vec<Json> = items.iter().map(encode).collect();
            match tail {
                None => Json::Array(items),
                Some(tail) => json!({"dotted": items, "tail": encode(&tail)}),
            }
        }
        Val::Vector(items) => json!({"vector": items.iter().map(encode).collect::<Vec<_>>()}),
        Val::Bytes(b) => json!({"bytes": b.as_slice()}),
        Val::Map(m) => {
            json!({"map": m.iter().map(|(k, v)| json!([encode(k), encode(v)])).collect::<Vec<_>>()})
        }
        // Never reached for validated plain data.
        other => json!({"opaque": crate::values::printer::write_string(other)}),
    })
}

pub fn decode(j: &Json) -> Result<Val, String> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || decode_inner(j))
}

fn decode_inner(j: &Json) -> Result<Val, String> {
    Ok(match j {
        Json::Null => Val::Unspecified,
        Json::Bool(b) => Val::bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => return Err(format!("{n}: exact integers must fit 64 bits (larger ones are {{\"int\": \"...\"}}); floats are {{\"float\": \"...\"}}")),
        },
        Json::String(s) => Val::str(s.clone()),
        Json::Array(items) => Val::list(items.iter().map(decode).collect::<Result<Vec<_>, _>>()?),
        Json::Object(o) => {
            let (key, value) = match o.iter().next() {
                Some(kv) if o.len() == 1 || o.contains_key("dotted") => kv,
                _ => return Err(format!("unknown tagged value {j}")),
            };
            let text = || value.as_str().ok_or_else(|| format!("{key}: expected a string"));
            match key.as_str() {
                "int" => crate::values::number::parse_number(text()?, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_)))
                    .ok_or_else(|| format!("not an exact integer: {value}"))?,
                "rational" => crate::values::number::parse_number(text()?, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_) | Val::Rat(_)))
                    .ok_or_else(|| format!("not an exact rational: {value}"))?,
                "float" => match crate::values::number::parse_number(text()?, 10) {
                    Some(f @ Val::Real(_)) => f,
                    _ => return Err(format!("not a float: {value}")),
                },
                "char" => {
                    let s = text()?;
                    let mut chars = s.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Val::char(c),
                        _ => return Err(format!("not a single char: {value}")),
                    }
                }
                "symbol" => Val::Sym(Symbol::intern(text()?)),
                "keyword" => Val::Keyword(Symbol::intern(text()?)),
                "vector" => Val::vector(
                    value
                        .as_array()
                        .ok_or("vector: expected an array")?
                        .iter()
                        .map(decode)
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                "bytes" => Val::Bytes(Rc::new(
                    value
                        .as_array()
                        .ok_or("bytes: expected an array")?
                        .iter()
                        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()).ok_or("bytes: expected 0..255"))
                        .collect::<Result<Vec<_>, _>>()?,
                )),
                "map" => {
                    let mut m = MapImpl::default();
                    for kv in value.as_array().ok_or("map: expected an array of [key, value]")? {
                        match kv.as_array().map(Vec::as_slice) {
                            Some([k, v]) => {
                                m.insert(decode(k)?, decode(v)?);
                            }
                            _ => return Err("map: expected [key, value] pairs".into()),
                        }
                    }
                    Val::map(m)
                }
                "dotted" => {
                    let items = value
                        .as_array()
                        .ok_or("dotted: expected an array")?
                        .iter()
                        .map(decode)
                        .collect::<Result<Vec<_>, _>>()?;
                    let tail = decode(o.get("tail").ok_or("dotted: missing \"tail\"")?)?;
                    Val::list_with_tail(items, tail)
                }
                other => return Err(format!("unknown value tag \"{other}\"")),
            }
        }
    })
}
