//! The error expansion and compilation report: a message at a place.

use crate::source::Span;

/// A form the expander or the compiler refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub message: String,
    pub span: Span,
}

pub fn err<T>(message: impl Into<String>, span: Span) -> Result<T, CompileError> {
    Err(CompileError {
        message: message.into(),
        span,
    })
}
