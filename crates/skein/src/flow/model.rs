//! The flow model: instances with their status, replay log and pending
//! request, the live frames of a suspended flow, and the store that holds them.

use std::collections::BTreeMap;
use std::rc::Rc;

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
}

impl FlowStore {
    pub fn new() -> FlowStore {
        FlowStore {
            next_id: 1,
            ..FlowStore::default()
        }
    }
}
