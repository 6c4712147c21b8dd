//! The embedding surface: `Engine`, its flow API, conversions, errors, static checks.

pub mod check;
pub mod convert;
pub mod engine;
pub mod error;
pub mod flows;
pub mod warm;
