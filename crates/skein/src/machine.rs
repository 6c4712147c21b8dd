//! The CEK machine: control, environment and an explicit stack of continuation frames.

use std::rc::Rc;

use crate::symbol::Symbol;
use crate::value::Val;

pub struct Lambda {
    pub name: Option<Symbol>,
}

pub struct Closure {
    pub lambda: Rc<Lambda>,
}

pub struct Continuation {}

/// Primitives the machine itself implements because they manipulate the continuation.
#[derive(Clone, Copy, Debug)]
pub enum ControlOp {
    Apply,
}

pub struct Machine {
    /// Everything `display`/`write` produced.
    pub output: String,
}

impl Machine {
    pub fn write_output(&mut self, text: &str) {
        self.output.push_str(text);
    }
}

#[allow(dead_code)]
fn _unused(_: Val) {}
