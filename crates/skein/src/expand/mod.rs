//! Expansion: derived forms and `syntax-rules` macros, rewritten into core forms.

pub mod derived;
pub mod error;
pub mod expander;
pub mod forms;
pub mod syntax_rules;
