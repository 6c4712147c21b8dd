//! The portable store document (`"format": "skein-store"`, version 2): the
//! replay logs of every flow as plain data. One type for every form a
//! document takes: JSON (through serde, `document_json.rs`), Scheme data
//! (`document_scheme.rs`) and the engine's own store (here). See
//! docs/store-format.md.
//!
//! Documents are validated completely before anything is imported: a refused
//! document changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::flow::encoding;
/// Defined with the flow model, which keeps failures in its log.
pub use crate::flow::model::RequestFailure;
use crate::flow::model::{self, FlowStore, Instance, Logged, Pending};
use crate::flow::status::{FlowStatus, Status};
use crate::flow::timestamp::Timestamp;
use crate::values::plain::{check_plain_data, is_plain_data, NotPlain, Value};
use crate::values::symbol::Symbol;
use crate::values::value::{FlowDef, Val};

/// The document's `"format"`.
pub const FORMAT: &str = "skein-store";
/// The document version this engine writes. It also reads version 1,
/// whose log entries have no payload, failure or time.
pub const VERSION: i64 = 2;

/// The largest flow id: 2^53 - 1, the largest integer every JSON reader
/// (JavaScript's doubles included) reads exactly, and far below `i64::MAX`,
/// so a store's `next_id` (at most one more) never overflows. A document
/// whose `next_id` is beyond `MAX_FLOW_ID + 1` is refused on import, and a
/// start once the ids are used up is refused with
/// [`FlowError::NoIdsLeft`](crate::FlowError::NoIdsLeft).
pub const MAX_FLOW_ID: u64 = (1 << 53) - 1;

/// A whole flow store as plain data: the `skein-store` document, version 2
/// (docs/store-format.md). [`Engine::export`](crate::Engine::export) makes
/// one and [`Engine::import`](crate::Engine::import) installs one, after
/// validating it.
///
/// Through serde it is exactly the JSON document of the format, the
/// `"format"` and `"version"` fields included: `serde_json::to_string`
/// writes it, and `serde_json::from_str` reads it, refusing another format,
/// an unknown version or a malformed value with a message that says what is
/// wrong and where.
///
/// ```
/// use skein::{FlowRecord, FlowStatus, StoreDocument, Value};
///
/// let doc = StoreDocument {
///     next_id: 2,
///     flows: vec![FlowRecord {
///         id: 1,
///         flow: Some("order".into()),
///         args: vec![Value::from("o-1")],
///         status: FlowStatus::Done,
///         log: vec![],
///         pending: None,
///         result: Some(Value::symbol("paid")),
///         error: None,
///     }],
/// };
/// let json = serde_json::to_string(&doc)?;
/// assert_eq!(
///     json,
///     r#"{"flows":[{"args":["o-1"],"flow":"order","id":1,"log":[],"result":{"symbol":"paid"},"status":"done"}],"format":"skein-store","next_id":2,"version":2}"#
/// );
/// assert_eq!(serde_json::from_str::<StoreDocument>(&json)?, doc);
/// let older = json.replace(r#""version":2"#, r#""version":1"#);
/// assert_eq!(serde_json::from_str::<StoreDocument>(&older)?, doc);
/// let newer = json.replace(r#""version":2"#, r#""version":3"#);
/// let refused = serde_json::from_str::<StoreDocument>(&newer).unwrap_err();
/// assert!(refused.to_string().starts_with("unsupported version 3"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
// The header is checked before the flows, and the format writes `flows`
// first: the document is read whole, then taken apart (document_json.rs).
#[serde(try_from = "serde_json::Value")]
pub struct StoreDocument {
    /// The id the next started flow gets. Ids start at 1 and are never
    /// reused: every flow's id is below it.
    pub next_id: u64,
    /// Every flow in the store, by ascending id.
    pub flows: Vec<FlowRecord>,
}

impl Serialize for StoreDocument {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The format writes its keys in this order, the header included.
        let mut doc = s.serialize_struct("StoreDocument", 4)?;
        doc.serialize_field("flows", &self.flows)?;
        doc.serialize_field("format", FORMAT)?;
        doc.serialize_field("next_id", &self.next_id)?;
        doc.serialize_field("version", &VERSION)?;
        doc.end()
    }
}

/// One flow instance in a [`StoreDocument`]: what it runs, where it stands,
/// and its replay log. Values are [`Value`]s, written in the format's value
/// encoding; a record holding a value that is not plain data does not
/// serialize, and does not import.
///
/// The fields are declared in the order the format writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct FlowRecord {
    /// The arguments the flow was started with.
    #[serde(serialize_with = "encoding::values")]
    pub args: Vec<Value>,
    /// For a failed flow: why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The name the flow was defined with (`defflow`); `None` only for a
    /// finished anonymous flow (`flow-node`), which can never run again.
    pub flow: Option<String>,
    /// The flow's id: at least 1, below the document's `next_id`, unique.
    pub id: u64,
    /// Every answered request, in order.
    pub log: Vec<LogEntry>,
    /// For a suspended flow: the request it waits on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRequest>,
    /// For a done flow: the value it returned.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "encoding::optional"
    )]
    pub result: Option<Value>,
    /// Where the flow stands.
    pub status: FlowStatus,
}

/// One answered request in a flow's replay log: the entry at index P
/// answered the request at position P. A flow that is rebuilt by replay gets
/// the same answer from the request at this position, which must again be
/// tagged `tag`: the response, or the failure raised again.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// How the host answered.
    pub answer: Answer,
    /// When the answer was recorded; for people, never read by replay.
    /// `None` in entries imported from version 1.
    pub at: Option<Timestamp>,
    /// What the flow asked with the request (`()` in entries imported from
    /// version 1, which did not keep it).
    pub payload: Value,
    /// The request's tag.
    pub tag: Value,
}

/// How a host answered a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The value `request` returned.
    Response(Value),
    /// The request failed: `request` raised an error (`request-error?`).
    Failure(RequestFailure),
}

impl Answer {
    /// The answer as [`Engine::log`](crate::Engine::log) shows it: the
    /// response, or `(request-failed "message")` / `(request-timed-out "message")`.
    pub fn to_value(&self) -> Value {
        match self {
            Answer::Response(v) => v.clone(),
            Answer::Failure(f) => Value::List(vec![
                Value::symbol(f.log_name()),
                Value::from(f.message.as_str()),
            ]),
        }
    }
}

/// The request a suspended flow waits on.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingRequest {
    /// When its timeout passes (`(request tag payload :timeout seconds)`):
    /// the time the flow suspended plus the timeout. A host or runtime
    /// fails the request ([`RequestFailure::timeout`]) once it has passed.
    pub deadline: Option<Timestamp>,
    /// What the flow asked with it.
    pub payload: Value,
    /// Its position: the number of requests the flow had answered before
    /// it (the length of the log). An answer for another position is refused.
    pub position: u64,
    /// The request's tag.
    pub tag: Value,
    /// The timeout it was made with, in seconds.
    pub timeout: Option<f64>,
}

impl Serialize for LogEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(at) = &self.at {
            m.serialize_entry("at", at)?;
        }
        match &self.answer {
            Answer::Failure(f) => m.serialize_entry("failure", f)?,
            Answer::Response(v) => m.serialize_entry("response", &encoding::Encoded(v))?,
        }
        m.serialize_entry("payload", &encoding::Encoded(&self.payload))?;
        m.serialize_entry("tag", &encoding::Encoded(&self.tag))?;
        m.end()
    }
}

impl Serialize for PendingRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(deadline) = &self.deadline {
            m.serialize_entry("deadline", deadline)?;
        }
        m.serialize_entry("payload", &encoding::Encoded(&self.payload))?;
        m.serialize_entry("position", &self.position)?;
        m.serialize_entry("tag", &encoding::Encoded(&self.tag))?;
        match self.timeout {
            // Whole seconds are written as an integer, as people write them.
            Some(t) if t.fract() == 0.0 && (0.0..9.0e15).contains(&t) => {
                m.serialize_entry("timeout", &(t as u64))?
            }
            Some(t) => m.serialize_entry("timeout", &t)?,
            None => {}
        }
        m.end()
    }
}

impl StoreDocument {
    /// Read a document from `skein-store` JSON, as
    /// [`Engine::import_json`](crate::Engine::import_json) does: values may
    /// nest up to [`MAX_VALUE_DEPTH`](crate::MAX_VALUE_DEPTH) levels.
    /// `serde_json::from_str` reads the same documents but stops at
    /// serde_json's own limit of 128 levels of JSON.
    ///
    /// ```
    /// use skein::{Engine, StoreDocument};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow deep (lambda () (request 'hold (let loop ((n 500) (v '())) (if (= n 0) v (loop (- n 1) (list v)))))))")?;
    /// engine.start("deep", vec![])?;
    /// let json = engine.export_json()?;
    /// assert!(serde_json::from_str::<StoreDocument>(&json).is_err());
    /// let doc = StoreDocument::from_json_str(&json).unwrap();
    /// assert_eq!(doc, engine.export()?);
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn from_json_str(json: &str) -> Result<StoreDocument, String> {
        encoding::with_json(json, StoreDocument::try_from)?
    }

    /// The document of `store`. Refused: a live (suspended) instance of an
    /// anonymous flow, which could not be rebuilt elsewhere.
    pub(crate) fn from_store(store: &FlowStore) -> Result<StoreDocument, String> {
        let flows = store
            .instances
            .iter()
            .map(|(id, inst)| FlowRecord::of_instance(*id, inst))
            .collect::<Result<_, _>>()?;
        Ok(StoreDocument {
            next_id: store.next_id,
            flows,
        })
    }

    /// Every check a document must pass before it is imported, whichever
    /// form it came in.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.next_id > MAX_FLOW_ID + 1 {
            return Err(format!(
                "next_id {} is beyond the largest flow id {MAX_FLOW_ID} plus one",
                self.next_id
            ));
        }
        if self.next_id == 0 {
            return Err("next_id must be at least 1".into());
        }
        let mut seen = BTreeSet::new();
        for r in &self.flows {
            let id = r.id;
            if id == 0 || id >= self.next_id {
                return Err(format!("flow id {id} must be between 1 and next-id - 1"));
            }
            if !seen.insert(id) {
                return Err(format!("flow id {id} appears twice"));
            }
            for v in r.values() {
                match check_plain_data(v) {
                    Ok(()) => {}
                    Err(NotPlain::Kind) => {
                        return Err(format!("flow {id}: values must be plain data"))
                    }
                    Err(NotPlain::TooDeep) => {
                        return Err(NotPlain::too_deep(&format!("flow {id}: a value")))
                    }
                }
            }
            match r.status {
                FlowStatus::Suspended if r.pending.is_none() => {
                    return Err(format!("flow {id} is suspended but has no pending request"))
                }
                FlowStatus::Suspended if r.flow.is_none() => {
                    return Err(format!("flow {id} is suspended but names no flow"))
                }
                FlowStatus::Done if r.result.is_none() => {
                    return Err(format!("flow {id} is done but has no result"))
                }
                _ => {}
            }
            if let Some(p) = &r.pending {
                if p.position != r.log.len() as u64 {
                    return Err(format!(
                        "flow {id}: its pending request is at position {}, but its log has {} entries",
                        p.position,
                        r.log.len()
                    ));
                }
                if p.timeout.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
                    return Err(format!("flow {id}: a timeout must be a number of seconds"));
                }
            }
        }
        Ok(())
    }

    /// The store this document describes, once it validates. Its suspended
    /// flows have no frames: they are rebuilt by replay when resumed.
    pub(crate) fn into_store(self) -> Result<FlowStore, String> {
        self.validate()?;
        let mut instances = BTreeMap::new();
        for r in self.flows {
            let id = r.id;
            let val = |v: &Value| v.to_val().map_err(|e| format!("flow {id}: {e}"));
            let logged = |e: &LogEntry| {
                Ok::<_, String>(Logged {
                    tag: val(&e.tag)?,
                    payload: val(&e.payload)?,
                    answer: match &e.answer {
                        Answer::Response(v) => model::Answer::Response(val(v)?),
                        Answer::Failure(f) => model::Answer::Failure(Box::new(f.clone())),
                    },
                    at: e.at,
                })
            };
            let pending = |p: &PendingRequest| {
                Ok::<_, String>(Pending {
                    tag: val(&p.tag)?,
                    payload: val(&p.payload)?,
                    timeout: p.timeout,
                    deadline: p.deadline,
                })
            };
            let inst = Instance {
                flow: Rc::new(FlowDef {
                    name: r.flow.as_deref().map(Symbol::intern),
                    proc: Val::Unspecified,
                }),
                args: r.args.iter().map(val).collect::<Result<_, _>>()?,
                status: Status::from(r.status),
                log: r.log.iter().map(logged).collect::<Result<_, _>>()?,
                pending: r.pending.as_ref().map(pending).transpose()?,
                result: r.result.as_ref().map(val).transpose()?,
                error: r.error,
                frames: None,
            };
            instances.insert(id, inst);
        }
        Ok(FlowStore {
            instances,
            next_id: self.next_id,
            ..FlowStore::default()
        })
    }
}

impl FlowRecord {
    /// The record of instance `id`. Refused: a running flow, and a live
    /// instance of an anonymous flow.
    pub(crate) fn of_instance(id: u64, inst: &Instance) -> Result<FlowRecord, String> {
        FlowRecord::of_instance_from(id, inst, 0)
    }

    /// [`of_instance`](FlowRecord::of_instance), with only the log entries
    /// from position `from` on: what a step added, without the cost of the
    /// whole history.
    pub(crate) fn of_instance_from(
        id: u64,
        inst: &Instance,
        from: usize,
    ) -> Result<FlowRecord, String> {
        let live = matches!(inst.status, Status::Suspended | Status::Running);
        if live && inst.flow.name.is_none() {
            return Err(format!(
                "flow {id} is a live instance of an anonymous flow (flow-node), which cannot be exported: define it with defflow"
            ));
        }
        if inst.status == Status::Running {
            return Err(format!("flow {id} is running"));
        }
        let value = |v: &Val| {
            let value = Value::from_val(v);
            // Only data nested beyond what a host may hold comes back opaque.
            if is_plain_data(&value) {
                Ok(value)
            } else {
                Err(format!(
                    "flow {id} holds a value nested more than {} levels deep, which cannot be exported",
                    crate::values::plain::MAX_VALUE_DEPTH
                ))
            }
        };
        Ok(FlowRecord {
            args: inst.args.iter().map(value).collect::<Result<_, _>>()?,
            error: inst.error.clone(),
            flow: inst.flow.name.map(|s| s.name().to_string()),
            id,
            log: inst
                .log
                .get(from..)
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    Ok(LogEntry {
                        answer: match &e.answer {
                            model::Answer::Response(v) => Answer::Response(value(v)?),
                            model::Answer::Failure(f) => Answer::Failure((**f).clone()),
                        },
                        at: e.at,
                        payload: value(&e.payload)?,
                        tag: value(&e.tag)?,
                    })
                })
                .collect::<Result<_, String>>()?,
            pending: inst
                .pending
                .as_ref()
                .map(|p| {
                    Ok::<_, String>(PendingRequest {
                        deadline: p.deadline,
                        payload: value(&p.payload)?,
                        position: inst.log.len() as u64,
                        tag: value(&p.tag)?,
                        timeout: p.timeout,
                    })
                })
                .transpose()?,
            result: inst.result.as_ref().map(value).transpose()?,
            status: inst.status.public(),
        })
    }

    /// Every value the record holds.
    fn values(&self) -> impl Iterator<Item = &Value> {
        let log = self.log.iter().flat_map(|e| {
            let response = match &e.answer {
                Answer::Response(v) => Some(v),
                Answer::Failure(_) => None,
            };
            [Some(&e.tag), Some(&e.payload), response]
                .into_iter()
                .flatten()
        });
        let pending = self.pending.iter().flat_map(|p| [&p.tag, &p.payload]);
        self.args
            .iter()
            .chain(log)
            .chain(pending)
            .chain(self.result.as_ref())
    }
}
