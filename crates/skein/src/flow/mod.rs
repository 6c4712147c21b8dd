//! Flows: instances, the machine's flow operations, and the portable store document.

pub mod error;
pub mod model;
pub mod runtime;
pub mod status;
pub mod store;
