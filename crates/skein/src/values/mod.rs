//! Runtime data: values, numbers, symbols, equality and order, printing.

pub mod number;
pub mod printer;
pub mod symbol;
pub mod value;
