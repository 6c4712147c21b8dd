//! The flow model: instances with their status, replay log and pending
//! request, the live frames of a suspended flow, and the store that holds them.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::flow::error::FlowError;
use crate::flow::status::Status;
use crate::machine::frame::Frame;
use crate::values::value::{FlowDef, Val};

/// One started flow.
pub struct Instance {
    pub flow: Rc<FlowDef>,
    pub args: Vec<Val>,
    pub status: Status,
    /// Every answered request, in order: (tag, response).
    pub log: Vec<(Val, Val)>,
    /// The request a suspended flow waits on: (tag, payload).
    pub pending: Option<(Val, Val)>,
    pub result: Option<Val>,
    pub error: Option<String>,
    /// The live continuation of a suspended flow; `None` after an import
    /// until the flow is rebuilt by replay.
    pub frames: Option<Suspension>,
}

/// A suspended flow's frames and the values they own, based at 0.
pub struct Suspension {
    pub frames: Vec<Frame>,
    pub vals: Vec<Val>,
}

/// Replay in progress: the running flow answers requests from its log.
pub struct Replay {
    /// The next log entry to answer from.
    pub pos: usize,
    /// The response of the resume that triggered the rebuild.
    pub response: Val,
}

#[derive(Default)]
pub struct FlowStore {
    pub instances: BTreeMap<u64, Instance>,
    pub next_id: u64,
    /// The flow whose code is executing now (flows never nest).
    pub running: Option<u64>,
    pub replay: Option<Replay>,
    /// Why a failed flow failed, when it is more than its message (a
    /// divergence). Kept beside the instances, not in them: a field of its
    /// own made every instance 104 bytes larger (+191 heap bytes per flow).
    /// Not in the store document: after an import only the message remains.
    pub failures: BTreeMap<u64, FlowError>,
    /// A divergence found while the running flow replays, until it fails the flow.
    pub divergence: Option<FlowError>,
    /// How the last flow to leave its prompt left it, for the host that ran it.
    pub outcome: Option<Outcome>,
}

/// How a run of a flow ended: the typed form of the `(flow-suspended ...)`,
/// `(flow-done ...)` and `(flow-failed ...)` lists the primitives return.
pub enum Outcome {
    Suspended { id: u64, tag: Val, payload: Val },
    Done { id: u64, value: Val },
    Failed { id: u64, message: String },
}

impl Outcome {
    /// The list `flow/start` and `flow/resume` return in Scheme.
    pub fn to_list(&self) -> Val {
        let id = Val::Int(i64::try_from(self.id()).unwrap_or(i64::MAX));
        match self {
            Outcome::Suspended { tag, payload, .. } => {
                Val::list([Val::sym("flow-suspended"), id, tag.clone(), payload.clone()])
            }
            Outcome::Done { value, .. } => Val::list([Val::sym("flow-done"), id, value.clone()]),
            Outcome::Failed { message, .. } => {
                Val::list([Val::sym("flow-failed"), id, Val::str(message.clone())])
            }
        }
    }

    pub fn id(&self) -> u64 {
        match self {
            Outcome::Suspended { id, .. }
            | Outcome::Done { id, .. }
            | Outcome::Failed { id, .. } => *id,
        }
    }
}

impl FlowStore {
    pub fn new() -> FlowStore {
        FlowStore {
            next_id: 1,
            ..FlowStore::default()
        }
    }
}
