//! skein: an embeddable Scheme-like language for durable workflows.

mod api;
mod builtins;
mod code;
mod compile;
mod convert;
mod derived;
mod error;
mod flow;
mod flow_api;
mod globals;
mod machine;
mod number;
mod output;
mod printer;
mod reader;
mod source;
mod store;
mod symbol;
mod syntax;
mod syntax_rules;
mod value;

pub use api::{Engine, Value};
pub use convert::{from_value, to_value};
pub use error::{Diagnostic, Error};
pub use flow_api::{FlowStatus, Step};
pub use machine::Limits;
pub use source::Location;
