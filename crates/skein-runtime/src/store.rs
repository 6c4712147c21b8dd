//! What the runtime needs from durable storage: the [`RuntimeStore`]
//! trait, which SQLite (`skein-sqlite`) and PostgreSQL (`skein-postgres`)
//! implement alike (tests/store_contract.rs runs one suite on both), and
//! the data it trades in. A store keeps flows as `skein-store` records plus a little
//! bookkeeping of the runtime's own: a per-flow version, when a server
//! should next look at a flow, how many handler attempts its pending
//! request has had, and dead letters.

use std::path::PathBuf;
use std::time::Duration;

use skein::{FlowRecord, LogEntry, PendingRequest, Timestamp, Value};

use crate::flow_info::FlowInfo;

/// Why a store operation failed. None of them changes the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreFailure {
    /// No flow has this id.
    #[error("no flow with id {0}")]
    UnknownFlow(u64),
    /// An insert's id was taken meanwhile (another server started a flow
    /// under it): nothing of the batch was written; start again.
    #[error("flow id {0} was taken by another process")]
    IdTaken(u64),
    /// The store's own error (database, damage, ...), for people.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// A store operation's result.
pub type StoreResult<T> = Result<T, StoreFailure>;

/// The runtime's bookkeeping of one flow, written with its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// When a server should next look at the flow: a sleep's wake time, a
    /// handler's next attempt, a deadline, or the end of a claim. `None`:
    /// nothing to do until the outside world answers.
    pub due_at: Option<Timestamp>,
    /// Handler attempts made on the pending request so far.
    pub attempts: u32,
}

/// A suspended flow whose due time has come, as [`RuntimeStore::claim_due`]
/// hands it over.
#[derive(Clone, Debug, PartialEq)]
pub struct Due {
    /// The flow.
    pub id: u64,
    /// The flow's version when claimed: a warm copy at another version is stale.
    pub version: u64,
    /// The request it waits on.
    pub pending: PendingRequest,
    /// When that request was made (a sleep wakes `payload` seconds later).
    pub since: Timestamp,
    /// Handler attempts made on it so far.
    pub attempts: u32,
}

/// A flow read whole, with its version and bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// The flow as a `skein-store` record, log and all.
    pub record: FlowRecord,
    /// Its version: the store's change count at its last write.
    pub version: u64,
    /// When its pending request was made, if it is suspended.
    pub since: Option<Timestamp>,
    /// Handler attempts made on that request so far.
    pub attempts: u32,
}

/// One change in a [`RuntimeStore::commit`] batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// A flow a start created, as the step left it, with the file it was
    /// defined in.
    Insert {
        /// The whole flow.
        record: FlowRecord,
        /// The `.flow` file that defines it.
        source: Option<PathBuf>,
        /// Its bookkeeping.
        schedule: Schedule,
    },
    /// What a step changed, applied only if the flow is still at `version`
    /// (else [`Applied::Conflict`] and nothing of it is written): the log
    /// entries of `tail`, which answer positions `from` on (`from` is the
    /// stored log's length), and the state `tail` ends in.
    Update {
        /// [`skein::Engine::flow_record_from`]`(id, from)`.
        tail: FlowRecord,
        /// The position of `tail.log[0]`.
        from: u64,
        /// The version the step started from.
        version: u64,
        /// The flow's bookkeeping after the step.
        schedule: Schedule,
        /// When the pending request of `tail` was made (now), if the step
        /// left the flow waiting on a new request.
        since: Option<Timestamp>,
    },
    /// New bookkeeping alone (a retry put off, a flow parked), applied only
    /// if the flow is still at `version`.
    Reschedule {
        /// The flow.
        id: u64,
        /// The version it must still be at.
        version: u64,
        /// Its new bookkeeping.
        schedule: Schedule,
    },
    /// A request given up on after its handler's last attempt: kept for
    /// people to inspect. Written whatever the flow's version, which it
    /// leaves as it is ([`Applied::Written`] gives it); a second dead letter
    /// for the same request replaces the first.
    DeadLetter(DeadLetter),
}

/// What became of one [`Write`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Written; the flow is now at this version.
    Written {
        /// The flow's new version.
        version: u64,
    },
    /// The flow changed meanwhile (another process answered it), or there
    /// is no such flow: nothing of this write was written.
    Conflict,
}

/// A request whose handler failed every attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// The flow that made the request.
    pub flow: u64,
    /// The request's position in it.
    pub position: u64,
    /// The request's tag.
    pub tag: Value,
    /// Its payload.
    pub payload: Value,
    /// The handler, as configured (`TAG=COMMAND|URL`'s right side).
    pub handler: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// The last attempt's error.
    pub error: String,
    /// When it was given up on.
    pub at: Timestamp,
}

/// Which flows [`RuntimeStore::flows`] lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Only flows of this status (`suspended`, `done`, `failed`, `cancelled`).
    pub status: Option<skein::FlowStatus>,
    /// Only suspended flows waiting on a request with this tag (or, for a
    /// list tag, whose first element is this).
    pub waiting: Option<Value>,
}

impl Filter {
    /// Whether `flow` is listed under this filter.
    pub fn matches(&self, flow: &FlowInfo) -> bool {
        self.status.is_none_or(|s| s == flow.state.status())
            && self.waiting.as_ref().is_none_or(|w| flow.state.waits_on(w))
    }
}

/// Tells a runtime that another process made work due, so that it need not
/// poll the store often (PostgreSQL's `LISTEN`/`NOTIFY`).
pub trait Notifier: Send + 'static {
    /// Wait up to `timeout` for news of due work: `true` if some came (or
    /// may have: after a reconnection).
    fn wait(&mut self, timeout: Duration) -> StoreResult<bool>;
}

/// Durable storage for a runtime. Every method is one transaction; a method
/// that fails changes nothing. Several processes may share one store: a
/// write that finds a flow at another version than expected is a
/// [`Applied::Conflict`], never an overwrite.
pub trait RuntimeStore: Send + 'static {
    /// The store's name in messages: a path or URL.
    fn name(&self) -> String;

    /// The id the next flow gets; ids are never reused.
    fn next_id(&mut self) -> StoreResult<u64>;

    /// Flow `id` whole, or [`StoreFailure::UnknownFlow`].
    fn load(&mut self, id: u64) -> StoreResult<Loaded>;

    /// Suspended flows due at `now` (earliest first, at most `limit`), each
    /// claimed: its due time becomes `lease_until`, so no other server
    /// takes it before then.
    fn claim_due(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Due>>;

    /// Make every suspended flow that has no due time due at `now` (a
    /// runtime starting up looks again at the flows that wait for the
    /// outside world: its handlers may serve some now). How many.
    fn make_waiting_due(&mut self, now: Timestamp) -> StoreResult<u64>;

    /// The earliest due time of any flow, if any is due at all.
    fn next_due(&mut self) -> StoreResult<Option<Timestamp>>;

    /// Write `writes` in one transaction, durable before this returns; one
    /// [`Applied`] per write, in order. An insert whose id is taken, or
    /// beyond the store's ids, fails the whole batch.
    fn commit(&mut self, writes: &[Write]) -> StoreResult<Vec<Applied>>;

    /// Flows by id, filtered.
    fn flows(&mut self, filter: &Filter) -> StoreResult<Vec<FlowInfo>>;

    /// Flow `id` without its log.
    fn flow(&mut self, id: u64) -> StoreResult<FlowInfo>;

    /// Flow `id`'s log: entry P answered position P.
    fn history(&mut self, id: u64) -> StoreResult<Vec<LogEntry>>;

    /// Every dead letter, oldest first.
    fn dead_letters(&mut self) -> StoreResult<Vec<DeadLetter>>;

    /// The whole store as a `skein-store` JSON document.
    fn export_json(&mut self) -> StoreResult<String>;

    /// A [`Notifier`] on this store, if it can tell of other processes'
    /// work; `None` (the default): the runtime polls.
    fn notifier(&mut self) -> StoreResult<Option<Box<dyn Notifier>>> {
        Ok(None)
    }
}
