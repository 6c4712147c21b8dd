//! Shared by the `skein flow` tests: a scratch directory to run the binary in,
//! and a seeded random generator so a failing run can be replayed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory holding a store (`skein.db`, the default) and flow files.
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

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a scratch file");
        path
    }

    /// Copy the repository's `flows/NAME` here.
    pub fn example(&self, name: &str) -> PathBuf {
        let text = std::fs::read_to_string(repo_flow(name)).expect("read the example flow");
        self.file(name, &text)
    }

    /// `skein` with `args`, run in this directory (so `skein.db` is here).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skein"));
        cmd.args(args).current_dir(self.dir.path());
        cmd
    }

    pub fn skein(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run the skein binary")
    }

    /// Run a command that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.skein(args);
        assert!(
            out.status.success(),
            "skein {args:?} failed: {}",
            stderr(&out)
        );
        stdout(&out)
    }

    /// `text` with this directory's absolute path replaced by `<dir>`, so
    /// messages that name a source file can be snapshotted.
    pub fn redact(&self, text: &str) -> String {
        let dir = std::fs::canonicalize(self.dir.path()).expect("the scratch directory");
        text.replace(dir.to_str().expect("a UTF-8 path"), "<dir>")
    }

    /// The whole store as `skein flow export` writes it.
    pub fn export(&self) -> String {
        self.ok(&["flow", "export"])
    }
}

pub fn repo_flow(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../flows")
        .join(name)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// SplitMix64: a tiny, well-known generator; the seed is printed by the
/// tests that use it so a failure can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
