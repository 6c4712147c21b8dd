//! skein: an embeddable Scheme-like language for durable workflows.
//!
//! A flow is an ordinary procedure whose `request` calls are durable suspend
//! points: the flow stops, your program performs the IO and resumes it with
//! the outcome. Every answered request goes into the flow's replay log, so a
//! suspended flow can be exported as plain data and continued elsewhere.
//!
//! # Evaluate
//!
//! ```
//! use skein::{Engine, Value};
//!
//! let mut engine = Engine::new();
//! engine.eval("(define (double x) (* 2 x))")?;
//! assert_eq!(engine.eval("(double 21)")?, Value::Int(42));
//! # Ok::<(), skein::Error>(())
//! ```
//!
//! # Start a flow, answer its requests
//!
//! ```
//! use skein::{Engine, Step, Value};
//!
//! let mut engine = Engine::new();
//! engine.eval(
//!     "(defflow order (lambda (id)
//!        (request 'reserve id)
//!        (list 'paid (request 'payment id))))",
//! )?;
//! let Step::Suspended { id, tag, .. } = engine.start("order", vec![Value::from("o-1")])? else {
//!     panic!("the flow should wait for its first request");
//! };
//! assert_eq!(tag, Value::symbol("reserve"));
//! let step = engine.resume(id, Value::symbol("reserved"))?;
//! assert!(matches!(step, Step::Suspended { .. }));
//! assert_eq!(engine.pending(), vec![(id, Value::symbol("payment"), Value::from("o-1"))]);
//! # Ok::<(), skein::Error>(())
//! ```
//!
//! # Export, import, continue in another engine
//!
//! ```
//! use skein::{Engine, Step, Value};
//!
//! const FLOW: &str = "(defflow order (lambda (id)
//!                       (request 'reserve id)
//!                       (list 'paid (request 'payment id))))";
//! let mut first = Engine::new();
//! first.eval(FLOW)?;
//! let id = first.start("order", vec![Value::from("o-1")])?.id();
//! first.resume(id, Value::symbol("reserved"))?;
//! let json = first.export_json()?; // plain JSON: store it anywhere
//!
//! let mut second = Engine::new(); // another process, another host
//! second.eval(FLOW)?;
//! second.import_json(&json)?;
//! let step = second.resume(id, Value::Int(1800))?; // rebuilt by replay, then run on
//! assert_eq!(
//!     step,
//!     Step::Done { id, value: Value::list([Value::symbol("paid"), Value::Int(1800)]) }
//! );
//! # Ok::<(), skein::Error>(())
//! ```
//!
//! # Results, cancellation and typed errors
//!
//! Every refusal is an [`Error`] a host can match; a refused operation
//! changes nothing.
//!
//! ```
//! use skein::{Engine, Error, FlowError, FlowStatus, Step, Value};
//!
//! let mut engine = Engine::new();
//! engine.eval("(defflow approve (lambda (who) (list 'approved (request 'ask who))))")?;
//! let id = engine.start("approve", vec![Value::from("ada")])?.id();
//! // Not finished yet: the result is refused, naming both statuses.
//! assert!(matches!(
//!     engine.result(id),
//!     Err(Error::Flow(FlowError::WrongStatus { status: FlowStatus::Suspended, .. }))
//! ));
//! engine.cancel(id)?; // it will never run again; its log stays
//! assert_eq!(engine.status(id), Some(FlowStatus::Cancelled));
//! // Answering a cancelled flow, or one that does not exist, is refused.
//! assert!(matches!(
//!     engine.resume(id, Value::Bool(true)),
//!     Err(Error::Flow(FlowError::WrongStatus { status: FlowStatus::Cancelled, .. }))
//! ));
//! assert!(matches!(
//!     engine.resume(99, Value::Bool(true)),
//!     Err(Error::Flow(FlowError::UnknownFlow { id: 99 }))
//! ));
//!
//! let id = engine.start("approve", vec![Value::from("bob")])?.id();
//! engine.resume(id, Value::symbol("yes"))?;
//! assert_eq!(engine.result(id)?, Value::list([Value::symbol("approved"), Value::symbol("yes")]));
//! assert_eq!(engine.log(id), Some(vec![(Value::symbol("ask"), Value::symbol("yes"))]));
//! # Ok::<(), skein::Error>(())
//! ```
//!
//! # Host functions and limits
//!
//! ```
//! use skein::{Engine, Error, Limits, Value};
//!
//! let mut engine = Engine::new();
//! engine.register_fn("price", |args: &[Value]| -> Result<Value, Error> {
//!     match args {
//!         [Value::Str(sku)] if sku == "tea" => Ok(Value::Int(450)),
//!         _ => Err(Error::Host("unknown sku".into())),
//!     }
//! });
//! assert_eq!(engine.eval(r#"(* 2 (price "tea"))"#)?, Value::Int(900));
//!
//! let mut limits = Limits::default();
//! limits.max_steps = Some(10_000);
//! engine.set_limits(limits);
//! assert!(matches!(engine.eval("(let loop () (loop))"), Err(Error::Limit(_))));
//! assert_eq!(engine.eval("(+ 1 2)")?, Value::Int(3)); // still usable
//! # Ok::<(), skein::Error>(())
//! ```

#![warn(missing_docs)]

// The pipeline, lowest layer first: source (spans), values, read, expand,
// compile, bytecode, machine, builtins, flow, api. See README.md here.
mod api;
mod builtins;
mod bytecode;
mod compile;
mod expand;
mod flow;
mod machine;
mod read;
mod source;
mod values;

pub use api::check::{check_file, check_file_with_host, check_source, HostFunction};
pub use api::convert::error::ConvertError;
pub use api::convert::{from_value, to_value};
pub use api::engine::{is_complete, Engine};
pub use api::error::{Diagnostic, Error, LimitError};
pub use api::flows::{FlowSummary, Step};
pub use flow::document::{
    Answer, FlowRecord, LogEntry, PendingRequest, RequestFailure, StoreDocument, MAX_FLOW_ID,
};
pub use flow::error::FlowError;
pub use flow::status::FlowStatus;
pub use flow::timestamp::Timestamp;
pub use machine::capabilities::{Capabilities, Loader, MAX_LOAD_BYTES, MAX_LOAD_DEPTH};
pub use machine::limits::{LimitKind, Limits};
pub use source::Location;
pub use values::plain::{Value, MAX_VALUE_DEPTH};
