//! Why a store operation was refused. Every refusal leaves the store as it
//! was: the transaction it ran in is rolled back.

/// Everything that can stop an operation on a PostgreSQL store. The store
/// is named by its URL, without the password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one the client understands.
    #[error("{url}: not a PostgreSQL URL: {reason}")]
    BadUrl { url: String, reason: String },
    /// No connection could be made (server down, wrong port, refused login).
    #[error("{url}: cannot connect: {}", describe(.source))]
    Connect {
        url: String,
        #[source]
        source: postgres::Error,
    },
    /// The database holds tables named as a skein store's, but no skein
    /// schema version: another program's.
    #[error("{url}: not a skein store ({reason})")]
    NotAStore { url: String, reason: String },
    /// The store's schema is newer than this build understands.
    #[error("{url}: written by a newer skein (store schema version {found}; this one reads version {supported})")]
    NewerSchema {
        url: String,
        found: i32,
        supported: i32,
    },
    /// A row breaks what the store writes (edited by hand, or damaged).
    #[error("{url}: the store is damaged: {detail}")]
    Damaged { url: String, detail: String },
    /// Any other database error: the connection was lost, a deadlock was
    /// broken, the server refused the statement.
    #[error("{url}: {}", describe(.source))]
    Database {
        url: String,
        #[source]
        source: postgres::Error,
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
    /// A resumed flow failed while replaying its log: its code no longer
    /// makes the requests the log records.
    #[error("flow {id} was not resumed: replaying its log failed: {message}")]
    Diverged { id: u64, message: String },
    /// Other processes kept changing the flow (or taking the next id)
    /// while this step ran, every time it tried.
    #[error("{url}: flow {id} was changed by another process each of {tries} times this step ran: try again")]
    Contended { url: String, id: u64, tries: u32 },
    #[error("cannot read the flow source {path}: {err}")]
    Source { path: String, err: std::io::Error },
    /// The engine refused a value or a document.
    #[error("{0}")]
    Engine(#[from] skein::Error),
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

    /// A plain step's refusal, the store named as `url` where it is damaged.
    pub(crate) fn from_step(e: skein_runtime::plain_step::StepError, url: &str) -> StoreError {
        use skein_runtime::plain_step::StepError as S;
        match e {
            S::NotSuspended { id, status } => StoreError::NotSuspended { id, status },
            S::WaitsOnOther {
                id,
                waiting,
                expected,
            } => StoreError::WaitsOnOther {
                id,
                waiting,
                expected,
            },
            S::NoSource(id) => StoreError::NoSource(id),
            S::Source(e) => e.into(),
            S::Engine(e) => StoreError::Engine(e),
            S::Diverged { id, message } => StoreError::Diverged { id, message },
            S::Damaged(detail) => damaged(url, detail),
        }
    }
}

/// A client error for people: the server's own message for a refused
/// statement, else the error and its causes ("error connecting to server:
/// Connection refused").
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        };
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// Name the store in a database error.
pub(crate) fn database(url: &str) -> impl Fn(postgres::Error) -> StoreError + '_ {
    move |source| StoreError::Database {
        url: url.to_string(),
        source,
    }
}

/// The store at `url` holds a row that breaks what the store writes.
pub(crate) fn damaged(url: &str, detail: String) -> StoreError {
    StoreError::Damaged {
        url: url.to_string(),
        detail,
    }
}
