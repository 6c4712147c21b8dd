//! Why a store operation was refused. Every refusal leaves the store as it was.

use std::time::Duration;

/// Everything that can stop a store operation. None of them changes the store:
/// a step that is refused rolls its transaction back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store file does not exist (and the operation does not create one).
    #[error("{0}: no such store")]
    Missing(String),
    /// The file exists but holds something else.
    #[error("{path}: not a skein store ({reason})")]
    NotAStore { path: String, reason: String },
    /// The store's schema is newer than this build understands.
    #[error("{path}: written by a newer skein (store schema version {found}; this one reads version {supported})")]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    /// SQLite found the file damaged, or a row breaks what the runner writes.
    #[error("{path}: the store is damaged: {detail}")]
    Damaged { path: String, detail: String },
    /// A new store could not be put in place (permissions, a full disk, ...).
    #[error("{path}: cannot create the store: {err}")]
    Create {
        path: String,
        #[source]
        err: std::io::Error,
    },
    /// Another process held the store longer than the busy timeout.
    #[error("{path}: the store is busy: another process held it for more than {} s", .waited.as_secs())]
    Busy { path: String, waited: Duration },
    /// Any other database error (permissions, a full disk, ...).
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no flow with id {0}")]
    UnknownFlow(u64),
    #[error("flow {id} is {status}, not suspended")]
    NotSuspended { id: u64, status: &'static str },
    /// A resume that expected another request than the one the flow waits on.
    #[error("flow {id} waits on {waiting}, not {expected}")]
    WaitsOnOther {
        id: u64,
        waiting: String,
        expected: String,
    },
    #[error("flow {0} has no recorded source file (it was imported without one): name one with --source FILE")]
    NoSource(u64),
    #[error("cannot read the flow source {path}: {err}")]
    Source { path: String, err: std::io::Error },
    /// The engine refused: the source does not load, no such flow is defined,
    /// the response is not plain data, a limit tripped, ...
    #[error("{0}")]
    Engine(#[from] skein::Error),
    /// A resumed flow failed while replaying its log: its code no longer
    /// makes the requests the log records.
    #[error("flow {id} was not resumed: replaying its log failed: {message}")]
    Diverged { id: u64, message: String },
    /// A `skein-store` document failed validation.
    #[error("the document was refused: {0}")]
    Document(String),
    /// Import fills an empty store only: ids in the document are kept.
    #[error("the store already holds {0} flow(s): import into a new store")]
    NotEmpty(u64),
    /// A runtime inserted a flow under an id the store cannot give: one
    /// given before (ids are never reused), or beyond the largest.
    #[error("flow id {id} is not free: the store gives ids from {next_id} to {max}", max = skein::MAX_FLOW_ID)]
    IdNotFree { id: u64, next_id: u64 },
    /// A runtime's step does not continue the stored log where it ends:
    /// writing it would leave a gap or overwrite an answer.
    #[error(
        "flow {id}: a step's log entries start at position {from}, but its log holds {length}"
    )]
    LogMismatch { id: u64, from: u64, length: u64 },
}

/// A runtime sees an unknown flow as such, and the rest as the store's
/// own error, for people.
impl From<StoreError> for skein_runtime::StoreFailure {
    fn from(e: StoreError) -> skein_runtime::StoreFailure {
        match e {
            StoreError::UnknownFlow(id) => skein_runtime::StoreFailure::UnknownFlow(id),
            // Below the next id: another process started a flow under it.
            StoreError::IdNotFree { id, next_id } if id < next_id => {
                skein_runtime::StoreFailure::IdTaken(id)
            }
            other => skein_runtime::StoreFailure::Other(Box::new(other)),
        }
    }
}

impl From<skein_runtime::SourceError> for StoreError {
    fn from(e: skein_runtime::SourceError) -> StoreError {
        StoreError::Source {
            path: e.path,
            err: e.err,
        }
    }
}

impl StoreError {
    /// The message for people: an engine error with a place in the source
    /// comes with its rendered report (source line, caret, call chain).
    pub fn report(&self) -> String {
        match self {
            StoreError::Engine(e) if e.diagnostic().is_some() => e.report(),
            other => format!("error: {other}\n"),
        }
    }
}

/// Name the store in a database error, and tell damage and foreign files apart.
pub(crate) fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    let path = path.to_string();
    // A value of the wrong type, or a row that must be there and is not:
    // the file is a valid database whose contents are damaged.
    if matches!(
        e,
        rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::QueryReturnedNoRows
    ) {
        return StoreError::Damaged {
            path,
            detail: e.to_string(),
        };
    }
    match e.sqlite_error_code() {
        Some(NotADatabase) => StoreError::NotAStore {
            path,
            reason: "not an SQLite database".into(),
        },
        Some(DatabaseCorrupt) => StoreError::Damaged {
            path,
            detail: e.to_string(),
        },
        Some(DatabaseBusy) | Some(DatabaseLocked) => StoreError::Busy {
            path,
            waited: crate::schema::BUSY_TIMEOUT,
        },
        _ => StoreError::Sqlite { path, source: e },
    }
}

/// The store at `path` holds a row that breaks what the runner writes.
pub(crate) fn damaged(path: &str, detail: String) -> StoreError {
    StoreError::Damaged {
        path: path.to_string(),
        detail,
    }
}
