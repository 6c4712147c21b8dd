//! Shared by the store tests: a scratch directory with flow files and a store.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use skein::Value;
use skein_sqlite::Store;

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write `text` to `name` in the scratch directory; its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a scratch file");
        path
    }

    pub fn db(&self) -> PathBuf {
        self.path("skein.db")
    }

    pub fn store(&self) -> Store {
        Store::open_or_create(self.db()).expect("open the store")
    }
}

/// The repository's `flows/` file `name`.
pub fn example_flow(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../flows")
        .join(name)
}

pub fn datum(text: &str) -> Value {
    Value::parse(text).expect("a datum")
}

/// Everything the store holds, to compare before and after a refusal.
pub fn snapshot(store: &Store) -> String {
    store.export_json().expect("export")
}
