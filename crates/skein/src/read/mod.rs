//! Reading: source text to syntax objects with spans.

pub mod reader;
pub mod source;
pub mod syntax;
