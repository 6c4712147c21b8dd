//! What a script may reach outside the engine, as the host granted it, and
//! `load` bounded by that grant: rooted at a directory, limited in size and
//! in nesting. See docs/security.md.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Reads the source of `(load path)` for a host that supplies its own
/// sources (see [`crate::Engine::set_loader`]): the path is the one the script
/// named, resolved against the loading file's directory.
pub type Loader = Box<dyn Fn(&Path) -> Result<String, String> + Send>;

/// The largest source file `load` reads: 16 MiB. A bigger file (or an
/// endless one such as `/dev/zero`) is refused after reading at most this
/// many bytes and one more.
pub const MAX_LOAD_BYTES: u64 = 16 << 20;

/// How deep `load`s may nest: a file that loads a file that loads ... stops
/// with an error at the `load` that would go one deeper, so a file that
/// loads itself (directly or in a cycle) ends with a located error.
pub const MAX_LOAD_DEPTH: usize = 32;

/// What the scripts an [`Engine`](crate::Engine) runs may reach outside it.
///
/// An engine starts with [`Capabilities::none`]: no files, no environment,
/// no clock, no process exit. A host grants each one by setting its field
/// and calling [`Engine::set_capabilities`](crate::Engine::set_capabilities).
/// A refused capability is an ordinary error the script can catch, naming
/// what was refused and how a host grants it.
///
/// Inside a flow none of them is available, granted or not: a flow must
/// replay the same way, so it asks its host with a `request` (time:
/// `flow/now`).
///
/// ```
/// use skein::{Capabilities, Engine, Value};
///
/// let mut engine = Engine::new();
/// assert!(engine.eval("(current-second)").is_err()); // nothing granted
///
/// engine.set_capabilities(Capabilities { clock: true, ..Capabilities::none() });
/// assert!(matches!(engine.eval("(current-second)")?, Value::Real(_)));
/// # Ok::<(), skein::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `current-second` and `current-jiffy` read the clock.
    pub clock: bool,
    /// `get-environment-variable` and `get-environment-variables` read the
    /// process environment.
    pub environment: bool,
    /// `exit` ends the evaluation (after running pending `dynamic-wind`
    /// after-thunks) and the host gets [`Error::Exit`](crate::Error::Exit);
    /// `emergency-exit` does the same without running them. The engine never
    /// ends the process itself: the host decides what an exit means.
    pub exit: bool,
    /// `load` reads source files under this directory and nowhere else: a
    /// relative path resolves against the loading file's directory, and a
    /// path that leaves the directory once resolved (`..`, an absolute path
    /// elsewhere, a symbolic link out) is refused without reading it. Files
    /// are limited to [`MAX_LOAD_BYTES`] and nesting to [`MAX_LOAD_DEPTH`].
    /// A loader set with [`Engine::set_loader`](crate::Engine::set_loader)
    /// grants `load` too, and takes precedence.
    pub load: Option<PathBuf>,
}

impl Capabilities {
    /// Nothing granted: what [`Engine::new`](crate::Engine::new) starts with.
    pub fn none() -> Capabilities {
        Capabilities::default()
    }

    /// What `skein run` and the REPL grant: the clock, the environment,
    /// exit, and `load` under `root`.
    pub fn all_under(root: impl Into<PathBuf>) -> Capabilities {
        Capabilities {
            clock: true,
            environment: true,
            exit: true,
            load: Some(root.into()),
        }
    }
}

/// `path` made absolute against the current directory, with `.` and `..`
/// folded away without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Read the file `full` (the script's `shown` path, resolved) if it lies
/// under `root`; the error says why not without revealing anything of a
/// file outside the root.
pub(crate) fn read_under(root: &Path, full: &Path, shown: &str) -> Result<String, String> {
    let outside = || format!("{shown} is outside the directory this program may load from");
    let Ok(root_real) = root.canonicalize() else {
        return Err(format!(
            "cannot load {shown}: the directory granted for loading does not exist"
        ));
    };
    let root_lexical = lexical(root);
    let asked = lexical(full);
    // Refused before the file system is asked anything about it.
    if !asked.starts_with(&root_real) && !asked.starts_with(&root_lexical) {
        return Err(outside());
    }
    let real = full
        .canonicalize()
        .map_err(|_| format!("cannot read {shown}: no such file"))?;
    // Symbolic links resolved: still inside?
    if !real.starts_with(&root_real) {
        return Err(outside());
    }
    // Asked before opening: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(&real).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("cannot load {shown}: not a regular file"));
    }
    let file = std::fs::File::open(&real).map_err(|e| format!("cannot read {shown}: {e}"))?;
    bounded(file, shown)
}

/// At most [`MAX_LOAD_BYTES`] of `reader`, as UTF-8 text.
fn bounded(reader: impl Read, shown: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_LOAD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    check_size(bytes.len(), shown)?;
    String::from_utf8(bytes).map_err(|_| format!("cannot load {shown}: not UTF-8 text"))
}

/// Refuse a source bigger than [`MAX_LOAD_BYTES`].
pub(crate) fn check_size(len: usize, shown: &str) -> Result<(), String> {
    if len as u64 > MAX_LOAD_BYTES {
        return Err(format!(
            "cannot load {shown}: larger than {} MiB (the most `load` reads)",
            MAX_LOAD_BYTES >> 20
        ));
    }
    Ok(())
}
