//! The global variable table: each top-level name gets a fixed slot once.

use std::collections::HashMap;

use crate::code::GlobalId;
use crate::symbol::Symbol;
use crate::value::Val;

#[derive(Default)]
pub struct Globals {
    values: Vec<Val>,
    names: Vec<Symbol>,
    index: HashMap<Symbol, GlobalId>,
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
        let old = std::mem::replace(&mut self.values[id as usize], value);
        crate::value::release(old);
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
        crate::value::dismantle(std::mem::take(&mut self.values));
    }
}
