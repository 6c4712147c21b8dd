//! Why a flow operation was refused or a flow failed, typed so a host can
//! match on it. The Scheme primitives raise these as error objects with the
//! same messages; the `Engine` returns them in [`crate::Error::Flow`].

use crate::flow::status::FlowStatus;
use crate::values::plain::Value;

/// A refused flow operation (nothing changed), or the reason a flow failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FlowError {
    /// No flow in the store has this id.
    #[error("no flow with id {id}")]
    UnknownFlow { id: u64 },
    /// `start` named something that is not bound to a flow (by `defflow`).
    #[error("no flow named {name} is defined (define it with defflow)")]
    UndefinedFlow { name: String },
    /// The flow must be rebuilt by replay, but its name no longer names a flow.
    #[error("flow {id} must be rebuilt by replay, but `{name}` is not defined as a flow: define it, then resume")]
    NotRebuildable { id: u64, name: String },
    /// The operation needs the flow in status `expected`.
    #[error("flow {id} is {}, not {}", status.name(), expected.name())]
    WrongStatus {
        id: u64,
        status: FlowStatus,
        expected: FlowStatus,
    },
    /// A value crossing the boundary (argument, response) is not plain data.
    #[error("{what} is not plain data: {value} (what crosses a flow's boundary is numbers, strings, symbols, keywords, chars, booleans, lists, vectors or maps)")]
    NotPlainData { what: String, value: String },
    /// Replayed code made another request than the log holds at `position`
    /// (`requested` is `None` when the code finished instead). The flow failed.
    #[error("replay diverged in flow {id} ({flow}) at log position {position}: the log has tag {logged} but the code now {}", match requested { Some(tag) => format!("requests {tag}"), None => "finishes".to_string() })]
    Diverged {
        id: u64,
        flow: String,
        position: usize,
        logged: Value,
        requested: Option<Value>,
    },
    /// The flow failed (an uncaught raise, a result that is not plain data, an aborted run).
    #[error("flow {id} failed: {message}")]
    Failed { id: u64, message: String },
}
