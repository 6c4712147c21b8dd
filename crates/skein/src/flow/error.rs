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
    UnknownFlow {
        /// The id asked for.
        id: u64,
    },
    /// `start` named something that is not bound to a flow (by `defflow`).
    #[error("no flow named {name} is defined (define it with defflow)")]
    UndefinedFlow {
        /// The name given to `start`.
        name: String,
    },
    /// `start` named a variable bound to something else than a flow.
    #[error("{name} is {what}, not a flow (flows are defined with defflow{})", if what == "a procedure" { ", procedures with define" } else { "" })]
    NotAFlow {
        /// The name given to `start`.
        name: String,
        /// What it is: `a procedure`, `a variable`.
        what: String,
    },
    /// `start` gave a flow a number of arguments its procedure does not take.
    /// Refused before the flow is created, so no id is used.
    #[error("{name} takes {takes}, got {got}")]
    WrongArgCount {
        /// The flow's name (`anonymous` for a `flow-node`).
        name: String,
        /// What its procedure takes, with the parameters' names:
        /// `1 argument (order-id)`, `at least 1 argument (to . cc)`.
        takes: String,
        /// How many it was given.
        got: usize,
    },
    /// The flow must be rebuilt by replay, but its name no longer names a flow.
    #[error("flow {id} must be rebuilt by replay, but `{name}` is not defined as a flow: define it, then resume")]
    NotRebuildable {
        /// The flow to rebuild.
        id: u64,
        /// The flow's name in the store.
        name: String,
    },
    /// The operation needs the flow in status `expected`.
    #[error("flow {id} is {}, not {}", status.name(), expected.name())]
    WrongStatus {
        /// The flow.
        id: u64,
        /// Where it stands.
        status: FlowStatus,
        /// Where the operation needs it.
        expected: FlowStatus,
    },
    /// An answer addressed to the request at `position`, but the flow waits
    /// on the request at `pending`: an answer for an earlier request (a
    /// webhook delivered twice) never answers a later one.
    #[error("flow {id} waits on the request at position {pending}, not {position}")]
    WrongPosition {
        /// The flow.
        id: u64,
        /// The position the answer was for.
        position: u64,
        /// The position of the request the flow waits on.
        pending: u64,
    },
    /// An answer for a request the flow answered already, and has moved on
    /// from to finish (a webhook delivered again after the flow ended).
    #[error("the request at position {position} of flow {id} was answered already; the flow is {} now", status.name())]
    AlreadyAnswered {
        /// The flow.
        id: u64,
        /// The position the answer was for.
        position: u64,
        /// Where the flow stands.
        status: FlowStatus,
    },
    /// A value crossing the boundary (argument, response) is not plain data.
    #[error("{what} is not plain data: {value} (what crosses a flow's boundary is numbers, strings, symbols, keywords, chars, booleans, lists, vectors or maps)")]
    NotPlainData {
        /// Which value: `argument 2`, `the response`.
        what: String,
        /// The value as printed.
        value: String,
    },
    /// A value crossing the boundary (argument, response) is nested more
    /// than [`MAX_VALUE_DEPTH`](crate::MAX_VALUE_DEPTH) levels deep: no store
    /// could keep it.
    #[error(
        "{what} is nested more than {} levels deep (the most plain data may be)",
        crate::MAX_VALUE_DEPTH
    )]
    TooDeep {
        /// Which value: `argument 2`, `the response`.
        what: String,
    },
    /// A start when the store's next id is beyond
    /// [`MAX_FLOW_ID`](crate::MAX_FLOW_ID): every id has been used.
    #[error(
        "no flow id is left: the store's next id {next_id} is beyond the largest flow id {}",
        crate::MAX_FLOW_ID
    )]
    NoIdsLeft {
        /// The store's next id.
        next_id: u64,
    },
    /// Replayed code made another request than the log holds at `position`
    /// (`requested` is `None` when the code finished instead). The flow failed.
    #[error("replay diverged in flow {id} ({flow}) at log position {position}: the log has tag {logged} but the code now {}", match requested { Some(tag) => format!("requests {tag}"), None => "finishes".to_string() })]
    Diverged {
        /// The flow.
        id: u64,
        /// Its name (`defflow`).
        flow: String,
        /// The log position, from 0, where the code and the log disagree.
        position: usize,
        /// The tag the log holds there.
        logged: Value,
        /// The tag the code requested there, or `None` if it finished.
        requested: Option<Value>,
    },
    /// The flow failed while it was rebuilt by replay, before it reached its
    /// pending request (an error its code now raises, a limit): its log is
    /// intact, but its code no longer runs as the log records.
    #[error("flow {id} failed while its log was replayed: {message}")]
    ReplayFailed {
        /// The flow.
        id: u64,
        /// Why, as the store document keeps it.
        message: String,
    },
    /// The flow failed (an uncaught raise, a result that is not plain data, an aborted run).
    #[error("flow {id} failed: {message}")]
    Failed {
        /// The flow.
        id: u64,
        /// Why, as the store document keeps it.
        message: String,
    },
}
