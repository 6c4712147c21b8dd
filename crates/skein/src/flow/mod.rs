//! Flows: instances, the machine's flow operations, and the portable store document.

pub(crate) mod arity;
pub mod document;
mod document_json;
mod document_scheme;
pub mod encoding;
pub mod error;
pub mod model;
pub mod runtime;
pub mod status;
pub mod timestamp;
