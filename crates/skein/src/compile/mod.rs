//! Compilation: syntax to the analysed tree, variables resolved once.

pub mod body;
pub mod compiler;
pub mod globals;
pub mod scope;
pub mod tree;
