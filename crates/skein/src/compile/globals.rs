//! The global variable table: each top-level name gets a fixed slot once.

use std::collections::HashMap;

use crate::values::prim::Inline;
use crate::values::prim::Prim;
use crate::values::symbol::GlobalId;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

#[derive(Default)]
pub struct Globals {
    values: Vec<Val>,
    names: Vec<Symbol>,
    index: HashMap<Symbol, GlobalId>,
    /// For each inline instruction: the global that names its primitive,
    /// and the primitive.
    inline: [Option<(GlobalId, &'static Prim)>; Inline::COUNT],
    /// Bit `i`: the global of inline instruction `i` still holds its primitive.
    intact: u32,
}

impl Globals {
    /// The slot for `name`, created unbound on first mention.
    pub fn id(&mut self, name: Symbol) -> GlobalId {
        if let Some(&id) = self.index.get(&name) {
            return id;
        }
        let id = self.values.len() as GlobalId;
        self.values.push(Val::Unassigned);
        self.names.push(name);
        self.index.insert(name, id);
        id
    }

    pub fn lookup(&self, name: Symbol) -> Option<GlobalId> {
        self.index.get(&name).copied()
    }

    pub fn get(&self, id: GlobalId) -> &Val {
        &self.values[id as usize]
    }

    pub fn set(&mut self, id: GlobalId, value: Val) {
        for (i, watched) in self.inline.iter().enumerate() {
            if let Some((gid, prim)) = watched {
                if *gid == id {
                    let holds = matches!(&value, Val::Prim(p) if std::ptr::eq(*p, *prim));
                    self.intact = (self.intact & !(1 << i)) | (u32::from(holds) << i);
                }
            }
        }
        let old = std::mem::replace(&mut self.values[id as usize], value);
        crate::values::value::release(old);
    }

    /// Watch the globals that inline instructions stand for (the
    /// primitives must be defined already).
    pub fn watch_inline(&mut self, prims: impl Fn(&str) -> Option<&'static Prim>) {
        self.intact = 0;
        for (i, (_, name, _)) in Inline::ALL.iter().enumerate() {
            // A missing primitive leaves the instruction on the general path.
            self.inline[i] = prims(name).map(|prim| (self.id(Symbol::intern(name)), prim));
            if let Some((id, prim)) = self.inline[i] {
                if matches!(self.get(id), Val::Prim(p) if std::ptr::eq(*p, prim)) {
                    self.intact |= 1 << i;
                }
            }
        }
    }

    /// Does the global of inline instruction `which` still hold its primitive?
    #[inline(always)]
    pub fn inline_intact(&self, which: Inline) -> bool {
        self.intact & (1 << which as u32) != 0
    }

    /// The global inline instruction `which` calls, and its primitive.
    pub fn inline_global(&self, which: Inline) -> Option<(GlobalId, &'static Prim)> {
        self.inline[which as usize]
    }

    pub fn name(&self, id: GlobalId) -> Symbol {
        self.names[id as usize]
    }

    pub fn define(&mut self, name: &str, value: Val) {
        let id = self.id(Symbol::intern(name));
        self.set(id, value);
    }

    /// Names of every bound global, sorted (for completion and `skein check`).
    pub fn bound_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .names
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| !matches!(v, Val::Unassigned))
            .map(|(n, _)| n.name())
            .collect();
        names.sort_unstable();
        names
    }
}

impl Drop for Globals {
    fn drop(&mut self) {
        crate::values::value::dismantle(std::mem::take(&mut self.values));
    }
}
