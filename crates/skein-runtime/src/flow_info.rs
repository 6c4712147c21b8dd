//! A flow as a durable store describes it ([`FlowInfo`], [`State`]), and
//! the `.flow` file it runs from ([`Source`]): where it is and what it held
//! when recorded, so a change can be reported (replay, not the hash,
//! decides whether the flow can go on).

use std::path::{Path, PathBuf};

use skein::{FlowStatus, PendingRequest, Value};

use sha2::{Digest, Sha256};

/// A flow's source as recorded: an absolute path (so later steps from any
/// directory find it) and the SHA-256 of its bytes, in hex as `sha256sum`
/// prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file, absolute.
    pub path: PathBuf,
    /// SHA-256 of its bytes when recorded, in hex.
    pub sha256: String,
}

/// Where a flow stands.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Waiting for the response to a request.
    Suspended {
        /// The request's tag.
        tag: Value,
        /// Its payload.
        payload: Value,
    },
    /// Finished with this value.
    Done(Value),
    /// The flow raised an error it did not handle: the message.
    Failed(String),
    /// Cancelled while suspended: it never runs again.
    Cancelled,
}

/// One flow instance as the store holds it (without its log:
/// [`RuntimeStore::history`](crate::RuntimeStore::history)).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowInfo {
    /// The flow's id in its store.
    pub id: u64,
    /// The `defflow` name; `None` only for a finished anonymous flow that
    /// came in with an import.
    pub flow: Option<String>,
    /// What it was started with.
    pub args: Vec<Value>,
    /// Where it stands.
    pub state: State,
    /// The request a suspended flow waits on: position, tag, payload, deadline.
    pub pending: Option<PendingRequest>,
    /// The source file it runs from, as recorded.
    pub source: Option<Source>,
    /// When the flow was started (or imported) and last changed, UTC,
    /// ISO 8601: for people only, never seen by the flow.
    pub created_at: String,
    /// See `created_at`.
    pub updated_at: String,
}

impl State {
    /// The status this state is in.
    pub fn status(&self) -> FlowStatus {
        match self {
            State::Suspended { .. } => FlowStatus::Suspended,
            State::Done(_) => FlowStatus::Done,
            State::Failed(_) => FlowStatus::Failed,
            State::Cancelled => FlowStatus::Cancelled,
        }
    }

    /// Whether this is a flow waiting on a request that `wanted` names
    /// ([`tag_matches`]).
    pub fn waits_on(&self, wanted: &Value) -> bool {
        match self {
            State::Suspended { tag, .. } => tag_matches(tag, wanted),
            _ => false,
        }
    }
}

/// `tag` is `wanted`, or a list whose first element is: `(deliver id n)`
/// answers to `deliver`, as a handler for `deliver` serves it. One rule
/// for listings (`--waiting`) and handlers alike.
///
/// ```
/// use skein::Value;
/// use skein_runtime::tag_matches;
///
/// let deliver = Value::parse("(deliver 7 2)")?;
/// assert!(tag_matches(&deliver, &Value::symbol("deliver")));
/// assert!(tag_matches(&deliver, &deliver));
/// assert!(!tag_matches(&deliver, &Value::from(7)));
/// # Ok::<(), skein::Error>(())
/// ```
pub fn tag_matches(tag: &Value, wanted: &Value) -> bool {
    if tag == wanted {
        return true;
    }
    match tag {
        Value::List(items) | Value::DottedList(items, _) => items.first() == Some(wanted),
        _ => false,
    }
}

impl Source {
    /// The source recorded in a row's `source_path` and `source_sha256`
    /// columns, if one is.
    pub fn from_columns(path: Option<String>, sha256: Option<String>) -> Option<Source> {
        Some(Source {
            path: path?.into(),
            sha256: sha256?,
        })
    }
}

/// A source file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the flow source {path}: {err}")]
pub struct SourceError {
    /// The file as named.
    pub path: String,
    /// Why it cannot be read.
    #[source]
    pub err: std::io::Error,
}

/// What the recorded source file holds now, compared with the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// The file holds what was recorded.
    Unchanged,
    /// The file's bytes differ from when it was recorded; `sha256` is now.
    Changed {
        /// The hash of the file now.
        sha256: String,
    },
    /// The file cannot be read (moved, deleted); the reason.
    Unreadable(String),
}

impl Source {
    /// Resolve and hash `path` as it is now.
    pub fn read(path: &Path) -> Result<Source, SourceError> {
        let fail = |err| SourceError {
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
