//! Compilation: syntax to the analysed tree, variables resolved once.

pub mod compiler;
pub mod globals;
pub mod tree;
