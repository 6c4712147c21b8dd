//! `--store PATH` or `--store postgres://...`: the store a `skein flow`
//! command works on, either kind behind the methods the commands use.

use std::path::{Path, PathBuf};

use skein::{Limits, LogEntry, RequestFailure, Value};
use skein_runtime::{Filter, FlowInfo, Resume, StepOutcome};

/// Where `--store` points: a SQLite file or a PostgreSQL URL.
#[derive(Clone, Debug)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }
}

/// An open store of either kind. A command opens one, once: its size is no cost.
#[allow(clippy::large_enum_variant)]
pub enum AnyStore {
    Sqlite(skein_sqlite::Store),
    Postgres(skein_postgres::Store),
}

/// A refusal from either kind of store.
#[derive(Debug)]
pub enum AnyError {
    Sqlite(skein_sqlite::StoreError),
    Postgres(skein_postgres::StoreError),
}

impl From<skein_sqlite::StoreError> for AnyError {
    fn from(e: skein_sqlite::StoreError) -> AnyError {
        AnyError::Sqlite(e)
    }
}

impl From<skein_postgres::StoreError> for AnyError {
    fn from(e: skein_postgres::StoreError) -> AnyError {
        AnyError::Postgres(e)
    }
}

impl AnyError {
    /// The message for people, as the store words it.
    pub fn report(&self) -> String {
        match self {
            AnyError::Sqlite(e) => e.report(),
            AnyError::Postgres(e) => e.report(),
        }
    }

    /// The engine's refusal, if that is what it was.
    pub fn engine(&self) -> Option<&skein::Error> {
        match self {
            AnyError::Sqlite(skein_sqlite::StoreError::Engine(e)) => Some(e),
            AnyError::Postgres(skein_postgres::StoreError::Engine(e)) => Some(e),
            _ => None,
        }
    }
}

/// Run `$body` on whichever store `$self` is, its error made an [`AnyError`].
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $body.map_err(AnyError::from),
            AnyStore::Postgres($s) => $body.map_err(AnyError::from),
        }
    };
}

impl AnyStore {
    /// Open the store at `location`; `create`: a missing SQLite file is made
    /// (a PostgreSQL database gets its tables whenever they are missing).
    pub fn open(location: &Location, create: bool) -> Result<AnyStore, AnyError> {
        Ok(match location {
            Location::Sqlite(path) if create => {
                AnyStore::Sqlite(skein_sqlite::Store::open_or_create(path)?)
            }
            Location::Sqlite(path) => AnyStore::Sqlite(skein_sqlite::Store::open(path)?),
            Location::Postgres(url) => AnyStore::Postgres(skein_postgres::Store::connect(url)?),
        })
    }

    /// Refuse a damaged store before a command builds on it: SQLite checks
    /// every page; PostgreSQL keeps its own pages whole, and its rows are
    /// checked as they are read.
    pub fn check_integrity(&self) -> Result<(), AnyError> {
        match self {
            AnyStore::Sqlite(s) => s.check_integrity().map_err(AnyError::from),
            AnyStore::Postgres(_) => Ok(()),
        }
    }

    pub fn set_limits(&mut self, limits: Limits) {
        match self {
            AnyStore::Sqlite(s) => s.set_limits(limits),
            AnyStore::Postgres(s) => s.set_limits(limits),
        }
    }

    pub fn start(
        &mut self,
        source: &Path,
        name: &str,
        args: Vec<Value>,
    ) -> Result<StepOutcome, AnyError> {
        each!(self, s => s.start(source, name, args))
    }

    pub fn resume_with(
        &mut self,
        id: u64,
        response: Value,
        options: &Resume,
    ) -> Result<StepOutcome, AnyError> {
        each!(self, s => s.resume_with(id, response, options))
    }

    pub fn fail(
        &mut self,
        id: u64,
        failure: RequestFailure,
        options: &Resume,
    ) -> Result<StepOutcome, AnyError> {
        each!(self, s => s.fail(id, failure, options))
    }

    pub fn cancel(&mut self, id: u64) -> Result<StepOutcome, AnyError> {
        each!(self, s => s.cancel(id))
    }

    pub fn flows(&mut self, filter: &Filter) -> Result<Vec<FlowInfo>, AnyError> {
        each!(self, s => s.flows(filter))
    }

    pub fn flow(&mut self, id: u64) -> Result<FlowInfo, AnyError> {
        each!(self, s => s.flow(id))
    }

    pub fn history(&mut self, id: u64) -> Result<Vec<LogEntry>, AnyError> {
        each!(self, s => s.history(id))
    }

    pub fn export_json(&mut self) -> Result<String, AnyError> {
        each!(self, s => s.export_json())
    }
}

/// Fill the empty store at `location` from a `skein-store` document; into a
/// missing SQLite file, the file appears only with the whole document.
pub fn import_json(
    location: &Location,
    json: &str,
    source: Option<&Path>,
) -> Result<usize, AnyError> {
    match location {
        Location::Sqlite(path) => Ok(skein_sqlite::Store::import_json_at(path, json, source)?),
        Location::Postgres(url) => {
            Ok(skein_postgres::Store::connect(url)?.import_json(json, source)?)
        }
    }
}
