//! The embedding surface for flows: start, resume, inspect, export, import.

use smallvec::smallvec;

use crate::api::engine::{Engine, Value};
use crate::api::error::Error;
use crate::flow::store::StoreDoc;
use crate::machine::frame::Args;
use crate::machine::limits::Abort;
use crate::machine::Machine;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// What a flow did when started or resumed: it waits on a request, finished, or failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Suspended { id: u64, tag: Value, payload: Value },
    Done { id: u64, value: Value },
    Failed { id: u64, error: String },
}

impl Step {
    pub fn id(&self) -> u64 {
        match self {
            Step::Suspended { id, .. } | Step::Done { id, .. } | Step::Failed { id, .. } => *id,
        }
    }
}

/// The status of a flow instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowStatus {
    Suspended,
    Done,
    Failed,
    Cancelled,
}

impl FlowStatus {
    /// Its name in store documents: `suspended`, `done`, `failed` or `cancelled`.
    ///
    /// ```
    /// use skein::FlowStatus;
    ///
    /// assert_eq!(FlowStatus::Cancelled.name(), "cancelled");
    /// assert_eq!(FlowStatus::parse("done"), Some(FlowStatus::Done));
    /// assert_eq!(FlowStatus::parse("running"), None);
    /// ```
    pub fn name(self) -> &'static str {
        use crate::flow::model::Status;
        match self {
            FlowStatus::Suspended => Status::Suspended,
            FlowStatus::Done => Status::Done,
            FlowStatus::Failed => Status::Failed,
            FlowStatus::Cancelled => Status::Cancelled,
        }
        .name()
    }

    /// The status a store document names, if it names one.
    pub fn parse(name: &str) -> Option<FlowStatus> {
        crate::flow::model::Status::parse(name).map(public_status)
    }
}

/// One flow instance as [`Engine::flows`] lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSummary {
    pub id: u64,
    /// The name given to `defflow`, or `anonymous` for a `flow-node`.
    pub flow: String,
    pub status: FlowStatus,
    /// The pending request of a suspended flow: `(tag, payload)`.
    pub waiting: Option<(Value, Value)>,
}

/// The primitive named `name` (looked up once: the API calls it per step).
fn prim(name: &'static str) -> Val {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static PRIMS: OnceLock<HashMap<&'static str, &'static crate::values::prim::Prim>> =
        OnceLock::new();
    let prims = PRIMS.get_or_init(|| crate::builtins::all().map(|p| (p.name, p)).collect());
    prims.get(name).map_or(Val::Unspecified, |p| Val::Prim(p))
}

impl Engine {
    /// Start the flow bound to `name` (by `defflow`) with plain-data arguments.
    pub fn start(&mut self, name: &str, args: Vec<Value>) -> Result<Step, Error> {
        let flow = self
            .m
            .globals
            .lookup(Symbol::intern(name))
            .map(|id| self.m.globals.get(id).clone());
        let flow = match flow {
            Some(f @ Val::Flow(_)) => f,
            _ => return Err(Error::Flow(format!("no flow named {name} is defined"))),
        };
        let mut call: Args = smallvec![flow];
        for a in &args {
            call.push(a.to_val()?);
        }
        self.run_flow_op("flow/start", call)
    }

    /// Answer the pending request of suspended flow `id` and run it on.
    pub fn resume(&mut self, id: u64, value: Value) -> Result<Step, Error> {
        let id_val =
            Val::Int(i64::try_from(id).map_err(|_| Error::Flow(format!("no flow with id {id}")))?);
        let call: Args = smallvec![id_val, value.to_val()?];
        self.run_flow_op("flow/resume", call)
    }

    fn run_flow_op(&mut self, op: &'static str, args: Args) -> Result<Step, Error> {
        let result = self.m.run_apply(prim(op), args);
        self.m.out.flush();
        match result {
            Ok(v) => step_of(&v).ok_or_else(|| Error::Flow(format!("{op}: unexpected result"))),
            // A refused start or resume changed nothing: report it plainly.
            Err(Abort::Uncaught(raised)) => Err(Error::Flow(Machine::describe(&raised.0))),
            Err(abort) => Err(self.abort_error(abort)),
        }
    }

    /// Every suspended flow's pending request, by id: `(id, tag, payload)`.
    pub fn pending(&self) -> Vec<(u64, Value, Value)> {
        self.m
            .flows
            .instances
            .iter()
            .filter_map(|(id, inst)| {
                let (tag, payload) = inst.pending.as_ref()?;
                Some((*id, Value::from_val(tag), Value::from_val(payload)))
            })
            .collect()
    }

    /// The status of flow `id`, or `None` if there is no such flow.
    pub fn status(&self, id: u64) -> Option<FlowStatus> {
        Some(public_status(self.m.flows.instances.get(&id)?.status))
    }

    /// Every flow in the store, by id: its flow's name, status and pending request.
    ///
    /// ```
    /// use skein::{Engine, FlowStatus, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow greet (lambda (who) (request 'ask who)))")?;
    /// engine.start("greet", vec![Value::from("ada")])?;
    /// let flows = engine.flows();
    /// assert_eq!(flows.len(), 1);
    /// assert_eq!((flows[0].id, flows[0].flow.as_str()), (1, "greet"));
    /// assert_eq!(flows[0].status, FlowStatus::Suspended);
    /// assert_eq!(flows[0].waiting, Some((Value::symbol("ask"), Value::from("ada"))));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn flows(&self) -> Vec<FlowSummary> {
        self.m
            .flows
            .instances
            .iter()
            .map(|(id, inst)| FlowSummary {
                id: *id,
                flow: inst.flow.display_name(),
                status: public_status(inst.status),
                waiting: inst
                    .pending
                    .as_ref()
                    .map(|(tag, payload)| (Value::from_val(tag), Value::from_val(payload))),
            })
            .collect()
    }

    /// The replay log of flow `id`: every answered request as `(tag, response)`.
    pub fn log(&self, id: u64) -> Option<Vec<(Value, Value)>> {
        let inst = self.m.flows.instances.get(&id)?;
        Some(
            inst.log
                .iter()
                .map(|(t, r)| (Value::from_val(t), Value::from_val(r)))
                .collect(),
        )
    }

    /// The whole flow store as a `skein-store` JSON document (docs/store-format.md).
    pub fn export_json(&self) -> Result<String, Error> {
        let doc = StoreDoc::from_store(&self.m.flows).map_err(Error::Store)?;
        serde_json::to_string_pretty(&doc.to_json()).map_err(|e| Error::Store(e.to_string()))
    }

    /// Replace the flow store with a `skein-store` JSON document. A document
    /// that fails validation is refused and nothing changes.
    pub fn import_json(&mut self, json: &str) -> Result<(), Error> {
        let parsed: serde_json::Value =
            serde_json::from_str(json).map_err(|e| Error::Store(format!("invalid JSON: {e}")))?;
        let doc = StoreDoc::from_json(&parsed).map_err(Error::Store)?;
        self.m.flows = doc.into_store();
        Ok(())
    }
}

fn public_status(status: crate::flow::model::Status) -> FlowStatus {
    use crate::flow::model::Status;
    match status {
        // A flow is only running while the engine is inside a call.
        Status::Suspended | Status::Running => FlowStatus::Suspended,
        Status::Done => FlowStatus::Done,
        Status::Failed => FlowStatus::Failed,
        Status::Cancelled => FlowStatus::Cancelled,
    }
}

fn step_of(v: &Val) -> Option<Step> {
    let items = v.to_vec()?;
    let kind = match items.first()? {
        Val::Sym(s) => s.name(),
        _ => return None,
    };
    let id = match items.get(1)? {
        Val::Int(n) => u64::try_from(*n).ok()?,
        _ => return None,
    };
    Some(match (kind, &items[2..]) {
        ("flow-suspended", [tag, payload]) => Step::Suspended {
            id,
            tag: Value::from_val(tag),
            payload: Value::from_val(payload),
        },
        ("flow-done", [value]) => Step::Done {
            id,
            value: Value::from_val(value),
        },
        ("flow-failed", [Val::Str(message)]) => Step::Failed {
            id,
            error: message.to_string(),
        },
        _ => return None,
    })
}
