//! Bytecode: the instruction set, closures, and code generation from the analysed tree.

pub mod codegen;
pub mod peephole;
pub mod proto;
pub mod tail;
