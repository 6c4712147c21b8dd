//! skein-runtime: one long-running loop that drives the flows of a durable
//! store so that a host need not (`skein serve`). It answers `now`,
//! `random` and `sleep` itself (a sleep is a durable timer), fails requests
//! whose deadline passed, dispatches the others to handlers with retries and
//! dead letters, keeps the flows it works on warm in memory, and groups the
//! steps of many flows into one commit.
//!
//! Storage is a [`RuntimeStore`]: `skein-sqlite` implements it. [`http`]
//! serves a runtime's [`Client`] as the JSON API of `skein serve`.

#![warn(missing_docs)]

mod backoff;
pub mod datum;
mod flow_info;
mod handler;
pub mod http;
mod metrics;
mod program;
mod request_kind;
mod runtime;
mod store;
mod worker;

pub use backoff::Backoff;
pub use flow_info::{tag_matches, FlowInfo, Source, SourceError, SourceState, State};
pub use handler::{Handler, HandlerFuture, HandlerRequest};
pub use metrics::Metrics;
pub use program::Program;
pub use runtime::{Client, Config, Runtime, RuntimeError, StepReport};
pub use store::{
    Applied, DeadLetter, Due, Filter, Loaded, RuntimeStore, Schedule, StoreFailure, StoreResult,
    Write,
};
