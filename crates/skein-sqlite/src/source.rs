//! The `.flow` file a flow runs from: where it is and what it held when
//! recorded, so a change can be reported (replay, not the hash, decides
//! whether the flow can go on).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// A flow's source as recorded: an absolute path (so later steps from any
/// directory find it) and the SHA-256 of its bytes, in hex as `sha256sum`
/// prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub sha256: String,
}

impl Source {
    /// The source recorded in a row's `source_path` and `source_sha256`
    /// columns, if one is.
    pub(crate) fn from_columns(path: Option<String>, sha256: Option<String>) -> Option<Source> {
        Some(Source {
            path: path?.into(),
            sha256: sha256?,
        })
    }
}

/// What the recorded source file holds now, compared with the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    Unchanged,
    /// The file's bytes differ from when it was recorded; `sha256` is now.
    Changed {
        sha256: String,
    },
    /// The file cannot be read (moved, deleted); the reason.
    Unreadable(String),
}

impl Source {
    /// Resolve and hash `path` as it is now.
    pub fn read(path: &Path) -> Result<Source, StoreError> {
        let fail = |err| StoreError::Source {
            path: path.display().to_string(),
            err,
        };
        let path = std::fs::canonicalize(path).map_err(fail)?;
        let bytes = std::fs::read(&path).map_err(fail)?;
        Ok(Source {
            path,
            sha256: sha256_hex(&bytes),
        })
    }

    /// Compare the file at the recorded path with the recorded hash.
    pub fn state(&self) -> SourceState {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let now = sha256_hex(&bytes);
                if now == self.sha256 {
                    SourceState::Unchanged
                } else {
                    SourceState::Changed { sha256: now }
                }
            }
            Err(e) => SourceState::Unreadable(e.to_string()),
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_one_sha256sum_prints() {
        // `printf abc | sha256sum`
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
