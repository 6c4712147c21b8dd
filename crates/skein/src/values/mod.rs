//! Runtime data: values, numbers, symbols, equality and order, printing.

pub mod case;
pub mod number;
pub mod printer;
pub mod symbol;
pub mod value;
