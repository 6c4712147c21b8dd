//! skein-runtime: one long-running loop that drives the flows of a durable
//! store so that a host need not (`skein serve`). It answers `now`,
//! `random` and `sleep` itself (a sleep is a durable timer), fails requests
//! whose deadline passed, dispatches the others to handlers with retries and
//! dead letters, keeps the flows it works on warm in memory, and groups the
//! steps of many flows into one commit.
//!
//! Storage is a [`RuntimeStore`]: `skein-sqlite` implements it. Handlers
//! are commands, loopback URLs or Rust async functions. [`http`] serves a
//! runtime's [`Client`] as the JSON API of `skein serve` (docs/serve.md).
//!
//! ```
//! use skein::Value;
//! use skein_runtime::{Config, Handler, Program, Runtime, State};
//!
//! let dir = tempfile::tempdir()?;
//! let flow = dir.path().join("order.flow");
//! std::fs::write(&flow, "(defflow order (lambda (id) (list (request 'reserve id) (request 'payment id))))")?;
//! let store = skein_sqlite::Store::open_or_create(dir.path().join("skein.db"))?;
//!
//! let reserve = Handler::rust(|req| async move { Ok(Value::list([Value::symbol("reserved"), req.payload])) });
//! let config = Config { handlers: vec![("reserve".into(), reserve)], ..Config::default() };
//! let tokio = tokio::runtime::Runtime::new()?;
//! let runtime = Runtime::start(store, Program::new([&flow]), config, tokio.handle().clone())?;
//! let client = runtime.client();
//!
//! let id = tokio.block_on(client.start("order", vec![Value::from("o-1")]))?.id;
//! // `reserve` goes to its handler; `payment` waits for the outside world.
//! let waiting = loop {
//!     let (info, _) = tokio.block_on(client.flow(id))?;
//!     if let Some(p) = info.pending.filter(|p| p.position == 1) { break p; }
//!     std::thread::sleep(std::time::Duration::from_millis(5));
//! };
//! assert_eq!(waiting.tag, Value::symbol("payment"));
//! let done = tokio.block_on(client.answer(id, Some(1), Value::from(1800)))?;
//! let reserved = Value::list([Value::symbol("reserved"), Value::from("o-1")]);
//! assert_eq!(done.state, State::Done(Value::list([reserved, Value::from(1800)])));
//! runtime.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod backoff;
pub mod columns;
pub mod datum;
mod flow_info;
mod handler;
pub mod http;
mod metrics;
pub mod plain_step;
mod program;
mod request_kind;
mod runtime;
mod store;
mod worker;

pub use backoff::Backoff;
pub use flow_info::{tag_matches, FlowInfo, Source, SourceError, SourceState, State};
pub use handler::{Handler, HandlerFuture, HandlerRequest};
pub use metrics::Metrics;
pub use plain_step::{Resume, StepOutcome};
pub use program::Program;
pub use runtime::{Client, Config, Runtime, RuntimeError, StepReport};
pub use store::{
    Applied, DeadLetter, Due, Filter, Loaded, Notifier, RuntimeStore, Schedule, StoreFailure,
    StoreResult, Write,
};
