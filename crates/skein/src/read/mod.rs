//! Reading: source text to syntax objects with spans.

pub mod reader;
pub mod syntax;
