//! Scopes while compiling: what each identifier is bound to (a slot, a fix
//! group member, a macro), how each slot is used, and resolving an
//! identifier, renamed by macros, to a local or a global.

use std::rc::Rc;

use crate::expand::expander::{Expander, CORE_MARK};
use crate::expand::syntax_rules::Macro;
use crate::read::syntax::Ident;
use crate::values::symbol::Symbol;

#[derive(Clone)]
pub(super) enum Binding {
    /// A slot of a runtime frame; `true` if it may be read before it is
    /// assigned (letrec and internal definitions), which the machine checks.
    Slot(u32, bool),
    Fix(u32),
    Macro(Rc<Macro>),
}

pub(super) struct ScopeFrame {
    /// False for frames that only hold macros (`let-syntax`): no runtime frame.
    pub(super) runtime: bool,
    /// How many lambdas enclose the frame: a reference from a deeper level
    /// captures the variable in a closure.
    pub(super) level: u32,
    pub(super) vars: Vec<(Ident, Binding)>,
    /// How each runtime slot is used, by slot index.
    pub(super) uses: Vec<SlotUse>,
}

/// What the code generator needs to know about a variable to place it.
#[derive(Clone, Copy, Default)]
pub(super) struct SlotUse {
    /// Bound before its value exists (`letrec`, internal definitions).
    pub(super) checked: bool,
    pub(super) assigned: bool,
    pub(super) captured: bool,
}

impl ScopeFrame {
    pub(super) fn new(runtime: bool, level: u32, vars: Vec<(Ident, Binding)>) -> ScopeFrame {
        let uses = vars
            .iter()
            .filter_map(|(_, b)| match b {
                Binding::Slot(_, checked) => Some(SlotUse {
                    checked: *checked,
                    ..SlotUse::default()
                }),
                _ => None,
            })
            .collect();
        ScopeFrame {
            runtime,
            level,
            vars,
            uses,
        }
    }

    /// Runtime slots the frame needs (macros and fix bindings take none).
    pub(super) fn slot_count(&self) -> usize {
        self.uses.len()
    }

    pub(super) fn add_slot(&mut self, id: Ident, checked: bool) {
        let slot = self.uses.len() as u32;
        self.vars.push((id, Binding::Slot(slot, checked)));
        self.uses.push(SlotUse {
            checked,
            ..SlotUse::default()
        });
    }

    /// Which slots live in a box: every assigned variable (a continuation
    /// copies slots, but must share variables), and every variable a
    /// closure may capture before its value exists.
    pub(super) fn boxed(&self) -> Box<[bool]> {
        self.uses
            .iter()
            .map(|u| u.assigned || (u.checked && u.captured))
            .collect()
    }
}

pub(super) enum Resolved {
    Local(usize, Binding),
    Global(Symbol),
}

/// The scopes open at the point being compiled, innermost last.
#[derive(Default)]
pub(super) struct Scopes {
    pub(super) frames: Vec<ScopeFrame>,
}

impl Scopes {
    pub(super) fn resolve(&self, id: Ident, exp: &Expander) -> Resolved {
        self.resolve_within(id, self.frames.len(), exp)
    }

    pub(super) fn resolve_within(
        &self,
        mut id: Ident,
        mut limit: usize,
        exp: &Expander,
    ) -> Resolved {
        loop {
            if id.mark == CORE_MARK {
                return Resolved::Global(id.name);
            }
            for (i, frame) in self.frames[..limit.min(self.frames.len())]
                .iter()
                .enumerate()
                .rev()
            {
                if let Some((_, b)) = frame.vars.iter().rev().find(|(v, _)| *v == id) {
                    return Resolved::Local(i, b.clone());
                }
            }
            if id.mark == 0 {
                return Resolved::Global(id.name);
            }
            match exp.renamed(id.mark) {
                Some((orig, scope_len)) => {
                    id.mark = orig;
                    limit = limit.min(scope_len);
                }
                None => return Resolved::Global(id.name),
            }
        }
    }

    /// Runtime frames between the innermost scope and frame `i`.
    pub(super) fn depth_of(&self, i: usize) -> u32 {
        self.frames[i + 1..].iter().filter(|f| f.runtime).count() as u32
    }

    pub(super) fn level(&self) -> u32 {
        self.frames.last().map_or(0, |f| f.level)
    }

    pub(super) fn push_frame(&mut self, vars: Vec<(Ident, Binding)>) {
        let level = self.level();
        self.frames.push(ScopeFrame::new(true, level, vars));
    }

    /// The frame of a lambda's parameters: one level deeper.
    pub(super) fn push_lambda_frame(&mut self, vars: Vec<(Ident, Binding)>) {
        let level = self.level() + 1;
        self.frames.push(ScopeFrame::new(true, level, vars));
    }

    /// Note a use of slot `s` of frame `i`; `assign` for `set!`.
    pub(super) fn note_use(&mut self, i: usize, s: u32, assign: bool) {
        let level = self.level();
        let frame = &mut self.frames[i];
        let captured = frame.level < level;
        if let Some(u) = frame.uses.get_mut(s as usize) {
            u.captured |= captured;
            u.assigned |= assign;
        }
    }

    pub(super) fn slots(ids: &[Ident]) -> Vec<(Ident, Binding)> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| (*id, Binding::Slot(i as u32, false)))
            .collect()
    }
}
