//! skein-postgres: a durable store for skein flows in a PostgreSQL
//! database, which several servers (`skein serve`) can share.
//!
//! [`Store`] implements [`skein_runtime::RuntimeStore`] with the semantics
//! of SQLite's store (`skein-sqlite`): the same rows, values in the same
//! `skein-store` JSON text, the same versions, claims, dead letters and
//! refusals. What a database server adds:
//!
//! - **Claims** are `UPDATE ... FOR UPDATE SKIP LOCKED`: servers claiming
//!   at once never get the same flow, and a claim's lease is the flow's due
//!   time, so a dead server's claims are taken over when they run out.
//! - **Notifications**: every write that leaves a flow due sends `NOTIFY
//!   skein_due` on commit; [`Store::wait_for_work`] wakes on it.
//! - **Migrations**: [`Store::connect`] creates or upgrades the tables in one
//!   transaction under an advisory lock ([`SCHEMA_VERSION`]).
//!
//! A store moves between SQLite and PostgreSQL losslessly: export one as a
//! `skein-store` document and [`Store::import_json`] it into the other.
//!
//! ```
//! use skein::{Engine, Value};
//! use skein_runtime::{Applied, RuntimeStore, Schedule, Write};
//!
//! // A private cluster for this example; a host gives the URL of its own database.
//! let url = skein_postgres::testing::shared().create_database();
//! let mut store = skein_postgres::Store::connect(&url)?;
//!
//! let mut engine = Engine::new();
//! engine.eval("(defflow order (lambda (id) (list 'paid (request 'payment id))))")?;
//! engine.set_next_flow_id(store.next_id()?);
//! let id = engine.start("order", vec![Value::from("o-1")])?.id();
//! let insert = Write::Insert {
//!     record: engine.flow_record(id)?,
//!     source: None,
//!     schedule: Schedule { due_at: None, attempts: 0 },
//! };
//! assert!(matches!(store.commit(&[insert])?[..], [Applied::Written { .. }]));
//! assert_eq!(store.flow(id)?.pending.unwrap().tag, Value::symbol("payment"));
//!
//! // The whole store as a skein-store document, for any embedding host.
//! let json = store.export_json()?;
//! Engine::new().import_json(&json)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod rows;
mod runtime_store;
mod schema;
mod step;
mod store;
#[cfg(feature = "test-cluster")]
pub mod testing;

pub use error::StoreError;
pub use runtime_store::DUE_CHANNEL;
pub use schema::{MIGRATION_LOCK, SCHEMA_VERSION};
pub use skein_runtime::{Resume, StepOutcome};
pub use store::Store;
