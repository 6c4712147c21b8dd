//! Resource limits and why a run stopped without a value.

use crate::source::Site;
use crate::values::value::Val;

/// Resource limits. Every limit is finite: a runaway program always stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Procedure calls (each closure application counts one).
    pub max_steps: Option<u64>,
    /// Continuation frames: the depth of non-tail recursion.
    pub max_depth: Option<usize>,
    /// Approximate bytes held by the continuation and by the pairs allocated
    /// (and not yet freed) since the evaluation started.
    pub max_heap_bytes: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: Some(100_000_000_000),
            max_depth: Some(10_000_000),
            max_heap_bytes: Some(4 << 30),
        }
    }
}

/// Why the machine stopped without a value.
#[derive(Debug)]
pub enum Abort {
    /// A raised object no handler caught (boxed: every step returns a `Result`).
    Uncaught(Box<(Val, Site)>),
    Limit(LimitKind),
    Interrupted,
    Exit(i32),
}

/// Which of the [`Limits`] tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// `max_steps`: too many procedure calls.
    Steps,
    /// `max_depth`: non-tail recursion too deep.
    Depth,
    /// `max_heap_bytes`: too much memory held.
    Heap,
}

impl LimitKind {
    /// What tripped, naming the limit: `too many steps (max_steps)`.
    pub fn describe(self) -> &'static str {
        match self {
            LimitKind::Steps => "too many steps (max_steps)",
            LimitKind::Depth => "recursion too deep (max_depth)",
            LimitKind::Heap => "too much memory (max_heap_bytes)",
        }
    }
}
