//! skein-sqlite: a durable store for skein flows in one SQLite file.
//!
//! Each step (start, resume, cancel) is one write transaction around one run
//! of a fresh [`skein::Engine`]: the flow's rows become a `skein-store`
//! document the engine imports, replay of the log rebuilds the flow, the step
//! runs, and what changed (new log entries, the new state) is written before
//! the step is reported. A step that is refused, or a process that dies
//! mid-step, leaves the store as it was. Processes sharing a store take turns
//! (WAL mode, a busy timeout, `BEGIN IMMEDIATE`), so none loses a step.
//! `skein flow` (the CLI) is a thin shell over this crate.
//!
//! ```
//! use skein::Value;
//! use skein_sqlite::{State, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let flow = dir.path().join("order.flow");
//! std::fs::write(&flow, "(defflow order (lambda (id) (list 'paid (request 'payment id))))")?;
//! let db = dir.path().join("skein.db");
//!
//! let step = Store::open_or_create(&db)?.start(&flow, "order", vec![Value::from("o-1")])?;
//! assert_eq!(step.state, State::Suspended { tag: Value::symbol("payment"), payload: Value::from("o-1") });
//!
//! // Later, in another process: open the store and answer the request.
//! let mut store = Store::open(&db)?;
//! let step = store.resume(step.id, Value::parse("{:amount 1800}")?, None)?;
//! assert_eq!(step.state, State::Done(Value::parse("(paid {:amount 1800})")?));
//! assert_eq!(store.log(step.id)?.len(), 1);
//!
//! // The whole store as a skein-store document, for any embedding host.
//! let json = store.export_json()?;
//! skein::Engine::new().import_json(&json)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod record;
mod runtime_store;
mod schema;
mod step;
mod store;

pub use error::StoreError;
pub use schema::{APPLICATION_ID, BUSY_TIMEOUT, SCHEMA, SCHEMA_VERSION};
pub use skein_runtime::{
    DeadLetter, Filter, FlowInfo, Resume, Source, SourceState, State, StepOutcome,
};
pub use store::Store;
