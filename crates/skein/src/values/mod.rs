//! Runtime data: values, numbers, symbols, equality and order, printing.

pub mod capability;
pub mod case;
pub mod equality;
pub mod heap;
pub mod number;
pub mod plain;
pub mod prim;
pub mod printer;
pub mod record;
pub mod symbol;
pub mod text;
pub mod value;
