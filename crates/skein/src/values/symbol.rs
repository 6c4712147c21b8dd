//! Interned symbols: O(1) comparison, names shared by every engine in the process.
//!
//! The table is process-wide so a host's `Value::symbol("x")` equals the engine's `x`.
//! A symbol is a pointer to its name, leaked once at interning and never freed, so
//! reading a name takes no lock; only [`Symbol::intern`] does. Equality and hashing go
//! by that pointer, whose value depends on the allocator, so nothing observable may
//! order by it: ordering and printing always go through the name, and no hash map keyed
//! by symbols is iterated where its order could show.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

/// One word: `Val` keeps its tag-and-one-word layout only while every
/// payload is a word (see `value.rs`), so this is a thin `&String`, not a `&str`.
#[derive(Clone, Copy)]
pub struct Symbol(&'static String);

fn table() -> &'static Mutex<HashMap<&'static str, Symbol>> {
    static TABLE: OnceLock<Mutex<HashMap<&'static str, Symbol>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// The slot a global variable gets in an engine's table (`compile::globals`),
/// fixed the first time its name is mentioned.
pub type GlobalId = u32;

impl Symbol {
    pub fn intern(name: &str) -> Symbol {
        // A panic while holding the lock cannot leave the table inconsistent
        // (every update is a single insert), so a poisoned lock is still usable.
        let mut t = table()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&sym) = t.get(name) {
            return sym;
        }
        // Symbol names live for the whole process, like the table itself.
        let leaked: &'static String = Box::leak(Box::new(name.to_owned()));
        let sym = Symbol(leaked);
        t.insert(leaked.as_str(), sym);
        sym
    }

    // Kept out of line on purpose: inlined, it shifted LLVM's inlining in
    // `Machine::run` and cost fib +1.4%, nqueens +1.8%, deriv +2.2%
    // instructions (callgrind), paths that never read a name; out of line
    // those are unchanged and the call is one load.
    #[inline(never)]
    pub fn name(self) -> &'static str {
        self.0.as_str()
    }
}

// The table holds one entry per name, so the same name is the same pointer.
impl PartialEq for Symbol {
    #[inline]
    fn eq(&self, other: &Symbol) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Symbol {}

impl Hash for Symbol {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Symbol({:?})", self.name())
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbol_is_one_word() {
        assert_eq!(std::mem::size_of::<Symbol>(), 8);
    }

    #[test]
    fn the_same_name_is_the_same_symbol_across_threads() {
        let here = Symbol::intern("symbol-test-shared");
        let there = std::thread::spawn(|| Symbol::intern("symbol-test-shared"))
            .join()
            .unwrap();
        assert_eq!(here, there);
        assert_ne!(here, Symbol::intern("symbol-test-other"));
        assert_eq!(there.name(), "symbol-test-shared");
    }
}
