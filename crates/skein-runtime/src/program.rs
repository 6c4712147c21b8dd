//! The flow files a runtime runs: loaded once into its engine, each flow
//! name traced to the file that defines it (recorded as a new flow's source,
//! so `skein flow resume` can rebuild it later).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skein::{Capabilities, Engine};

/// The files a runtime loads, in order (a later definition wins).
#[derive(Clone, Debug, Default)]
pub struct Program {
    files: Vec<PathBuf>,
}

/// A program loaded into an engine.
pub(crate) struct Loaded {
    /// Which file defines each global name.
    pub(crate) defined_in: BTreeMap<String, PathBuf>,
    /// What the files' top-level forms wrote.
    pub(crate) output: String,
}

impl Program {
    /// The program made of `files`.
    pub fn new(files: impl IntoIterator<Item = impl AsRef<Path>>) -> Program {
        Program {
            files: files
                .into_iter()
                .map(|f| f.as_ref().to_path_buf())
                .collect(),
        }
    }

    /// The files, as given.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Load every file into `engine`, each able to `load` the files beside
    /// it, and nothing else outside the engine.
    pub(crate) fn load_into(&self, engine: &mut Engine) -> Result<Loaded, skein::Error> {
        let mut defined_in = BTreeMap::new();
        for file in &self.files {
            let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
            let root = match absolute.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            };
            engine.set_capabilities(Capabilities {
                load: Some(root),
                ..Capabilities::none()
            });
            let before = engine.global_names();
            engine.load_file(file)?;
            for name in engine.global_names() {
                if !before.contains(&name) {
                    defined_in.insert(name, absolute.clone());
                }
            }
        }
        Ok(Loaded {
            defined_in,
            output: engine.take_output(),
        })
    }
}
