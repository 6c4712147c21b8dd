//! The engine's refusals as they should read in a shell. The engine words
//! them for a program (`define it, then resume`); at the shell the remedy is
//! a file or a flag, and the file is worth naming.

use std::path::Path;

use crate::any_store::{AnyError, AnyStore};
use skein::{Error, FlowError};

/// `skein flow start FILE NAME ...` refused by the engine: what to say, if
/// the engine's words would not do.
pub fn start(e: &AnyError, file: &Path) -> Option<String> {
    let file = file.display();
    let message = match flow_error(e)? {
        FlowError::UndefinedFlow { name } => {
            format!("{file} defines no flow named {name} (flows are defined with defflow)")
        }
        FlowError::NotAFlow { name, what } if what == "a procedure" => format!(
            "{name} in {file} is a procedure, not a flow: it is defined with define, and flows with defflow"
        ),
        FlowError::NotAFlow { name, what } => {
            format!("{name} in {file} is {what}, not a flow (flows are defined with defflow)")
        }
        FlowError::WrongArgCount { name, takes, got } => {
            format!("{name} in {file} takes {takes}, got {got}")
        }
        _ => return None,
    };
    Some(format!("error: {message}\n"))
}

/// `skein flow resume ID ...` refused by the engine: what to say, if the
/// engine's words would not do. `source` is `--source`, if given.
pub fn resume(e: &AnyError, store: &mut AnyStore, source: Option<&Path>) -> Option<String> {
    let FlowError::NotRebuildable { id, name } = flow_error(e)? else {
        return None;
    };
    let recorded = store.flow(*id).ok().and_then(|f| f.source).map(|s| s.path);
    let file = source
        .map(Path::to_path_buf)
        .or(recorded)
        .map_or("its source file".to_string(), |p| p.display().to_string());
    Some(format!(
        "error: flow {id} was not resumed: it is rebuilt by replaying its log, but {file} \
         defines no flow named {name}: restore the defflow there, or name a file that has it \
         with --source FILE\n"
    ))
}

fn flow_error(e: &AnyError) -> Option<&FlowError> {
    match e.engine()? {
        Error::Flow(f) => Some(f),
        _ => None,
    }
}
