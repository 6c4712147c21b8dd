//! skein: an embeddable Scheme-like language for durable workflows.

mod api;
mod builtins;
mod code;
mod compile;
mod derived;
mod error;
mod flow;
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
pub use error::{Diagnostic, Error};
pub use machine::Limits;
pub use source::Location;
