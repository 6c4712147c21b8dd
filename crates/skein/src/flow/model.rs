//! The flow model: instances with their status, replay log and pending
//! request, the live frames of a suspended flow, and the store that holds them.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::flow::error::FlowError;
use crate::flow::status::Status;
use crate::flow::timestamp::Timestamp;
use crate::machine::frame::Frame;
use crate::values::value::{FlowDef, Val};

/// One started flow.
pub struct Instance {
    pub flow: Rc<FlowDef>,
    pub args: Vec<Val>,
    pub status: Status,
    /// Every answered request, in order: entry P answered position P.
    pub log: Vec<Logged>,
    /// The request a suspended flow waits on, at position `log.len()`.
    pub pending: Option<Pending>,
    pub result: Option<Val>,
    pub error: Option<String>,
    /// The live continuation of a suspended flow; `None` after an import
    /// until the flow is rebuilt by replay.
    pub frames: Option<Suspension>,
}

/// An answered request in a flow's log.
pub struct Logged {
    pub tag: Val,
    pub payload: Val,
    pub answer: Answer,
    /// When the answer was recorded: for people, never read by replay.
    pub at: Option<Timestamp>,
}

impl Logged {
    /// The answer to a request, recorded now.
    pub fn now(tag: Val, payload: Val, answer: Answer) -> Logged {
        Logged {
            tag,
            payload,
            answer,
            at: Some(Timestamp::now()),
        }
    }
}

/// How a host answered a request: with a response, or by failing it
/// (boxed: failures are rare, and every log entry holds an answer).
pub enum Answer {
    Response(Val),
    Failure(Box<RequestFailure>),
}

impl Answer {
    /// The answer as `flow/log` and `Engine::log` show it: the response, or
    /// `(request-failed "message")` / `(request-timed-out "message")`.
    pub fn to_val(&self) -> Val {
        match self {
            Answer::Response(v) => v.clone(),
            Answer::Failure(f) => Val::list([Val::sym(f.log_name()), Val::str(f.message.clone())]),
        }
    }
}

/// The request a suspended flow waits on.
pub struct Pending {
    pub tag: Val,
    pub payload: Val,
    /// `(request tag payload :timeout seconds)`: the seconds given.
    pub timeout: Option<f64>,
    /// When the timeout passes: the time the flow suspended plus `timeout`.
    pub deadline: Option<Timestamp>,
}

/// A request a host failed instead of answering (`Engine::fail`): in the
/// flow, `request` raises an error object for which `request-error?` is
/// true, with `message` and the request's tag and payload as irritants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFailure {
    /// Why, in the host's words.
    pub message: String,
    /// The request's deadline passed: `request-timeout?` is true too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timeout: bool,
}

impl RequestFailure {
    /// A failure with `message`.
    pub fn new(message: impl Into<String>) -> RequestFailure {
        RequestFailure {
            message: message.into(),
            timeout: false,
        }
    }

    /// How `(flow/log id)` and `Engine::log` name it in place of a response.
    pub fn log_name(&self) -> &'static str {
        if self.timeout {
            "request-timed-out"
        } else {
            "request-failed"
        }
    }

    /// The request's deadline passed unanswered.
    pub fn timeout() -> RequestFailure {
        RequestFailure {
            message: "the request timed out".to_string(),
            timeout: true,
        }
    }
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
    /// The answer of the resume that triggered the rebuild.
    pub answer: Answer,
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
