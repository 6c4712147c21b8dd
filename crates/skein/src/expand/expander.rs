//! The expander's driver: the state expansion keeps between forms (global
//! macros, renaming marks) and core identifiers that no user binding can capture.

use std::collections::HashMap;
use std::rc::Rc;

use crate::expand::syntax_rules::Macro;
use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;

/// Identifiers with this mark always mean the global binding of their name:
/// derived forms use them so a user's local `if` or `list` cannot capture them.
pub const CORE_MARK: u32 = u32::MAX;

/// Expansion state that outlives one compilation: global macros and renames.
#[derive(Default)]
pub struct Expander {
    pub macros: HashMap<Symbol, Rc<Macro>>,
    /// For mark `m` (from 1), the mark the renamed identifier had before, and
    /// how many scope frames were visible where its macro was defined.
    renames: Vec<(u32, usize)>,
}

impl Expander {
    pub fn fresh_mark(&mut self, orig_mark: u32, scope_len: usize) -> u32 {
        self.renames.push((orig_mark, scope_len));
        self.renames.len() as u32
    }

    /// For a renamed identifier's mark: the mark it had before, and how many
    /// scope frames were visible where its macro was defined.
    pub fn renamed(&self, mark: u32) -> Option<(u32, usize)> {
        self.renames.get((mark as usize).checked_sub(1)?).copied()
    }

    /// Global macro names, for completion.
    pub fn macro_names(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.macros.keys().copied()
    }
}

/// An identifier that always means the global `name`.
pub fn core(name: &str, span: Span) -> Syntax {
    Syntax::new(
        SynKind::Id(Ident {
            name: Symbol::intern(name),
            mark: CORE_MARK,
        }),
        span,
    )
}
