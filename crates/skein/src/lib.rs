//! skein: an embeddable Scheme-like language for durable workflows.

mod builtins;
mod flow;
mod machine;
mod number;
mod printer;
mod source;
mod symbol;
mod value;

/// Plain data crossing the API boundary.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Eval(String),
}
