//! Flows: durable procedures whose `request`s suspend them.

use crate::symbol::Symbol;
use crate::value::Val;

/// A flow value made by `defflow` (named) or `flow-node` (anonymous).
pub struct FlowDef {
    pub name: Option<Symbol>,
    #[allow(dead_code)] // started by flow/start, which lands with the flow runtime
    pub proc: Val,
}

impl FlowDef {
    pub fn display_name(&self) -> String {
        match self.name {
            Some(name) => name.name().to_string(),
            None => "anonymous".to_string(),
        }
    }
}
