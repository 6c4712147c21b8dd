//! The flow model: instances with their status, replay log and pending
//! request, the live frames of a suspended flow, and the store that holds them.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::flow::error::FlowError;
use crate::machine::frame::Frame;
use crate::values::value::{FlowDef, Val};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Suspended,
    Done,
    Failed,
    Cancelled,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Suspended => "suspended",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "suspended" => Status::Suspended,
            "done" => Status::Done,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }
}

/// The status of a flow instance. Through serde it is its name in store
/// documents: `suspended`, `done`, `failed` or `cancelled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
        Status::from(self).name()
    }

    /// The status a store document names, if it names one.
    pub fn parse(name: &str) -> Option<FlowStatus> {
        Status::parse(name).map(Status::public)
    }
}

impl From<FlowStatus> for Status {
    fn from(status: FlowStatus) -> Status {
        match status {
            FlowStatus::Suspended => Status::Suspended,
            FlowStatus::Done => Status::Done,
            FlowStatus::Failed => Status::Failed,
            FlowStatus::Cancelled => Status::Cancelled,
        }
    }
}

impl Status {
    /// What the API reports: a flow is only running while the engine is inside a call.
    pub fn public(self) -> FlowStatus {
        match self {
            Status::Suspended | Status::Running => FlowStatus::Suspended,
            Status::Done => FlowStatus::Done,
            Status::Failed => FlowStatus::Failed,
            Status::Cancelled => FlowStatus::Cancelled,
        }
    }
}

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
    /// Why a failed flow failed, when it is more than a message (a divergence).
    /// Not in the store document: after an import only the message remains.
    pub failure: Option<FlowError>,
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
