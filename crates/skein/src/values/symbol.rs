//! Interned symbols: O(1) comparison, names shared by every engine in the process.
//!
//! The table is process-wide so a host's `Value::symbol("x")` equals the engine's `x`.
//! Symbol ids depend on interning order, so nothing observable may order by id:
//! ordering and printing always go through the name.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

// A full word, though a `u32` would do: `Val` keeps its tag-and-one-word
// layout only while every payload is a word (see `value.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Symbol(u64);

#[derive(Default)]
struct Table {
    ids: HashMap<&'static str, u64>,
    names: Vec<&'static str>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

fn lock() -> std::sync::MutexGuard<'static, Table> {
    // A panic while holding the lock cannot leave the table inconsistent
    // (every update is a single push + insert), so a poisoned lock is still usable.
    table()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The slot a global variable gets in an engine's table (`compile::globals`),
/// fixed the first time its name is mentioned.
pub type GlobalId = u32;

impl Symbol {
    pub fn intern(name: &str) -> Symbol {
        let mut t = lock();
        if let Some(&id) = t.ids.get(name) {
            return Symbol(id);
        }
        // Symbol names live for the whole process, like the table itself.
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = t.names.len() as u64;
        t.names.push(leaked);
        t.ids.insert(leaked, id);
        Symbol(id)
    }

    pub fn name(self) -> &'static str {
        lock().names[self.0 as usize]
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
