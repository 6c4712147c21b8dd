//! Plain steps (`skein flow start|resume|fail|cancel`) for a store that
//! writes through [`crate::RuntimeStore::commit`]: the part that does not
//! depend on the store. A step is one run of a fresh engine: the flow's
//! source file loaded (with the capabilities every store gives it), the
//! flow admitted from its record, the step run, and the [`Write`] that
//! records it made. The store reads the record and commits the write; a
//! step refused here writes nothing.
//!
//! SQLite's store runs its plain steps inside one transaction of its own
//! (skein-sqlite's `step.rs`); it shares [`Resume`], [`StepOutcome`] and
//! the refusals' words with this module.

use std::path::{Path, PathBuf};

use skein::{Answer, Engine, FlowError, FlowRecord, FlowStatus, Limits, Step, Timestamp, Value};

use crate::flow_info::{Source, SourceError, State};
use crate::store::{Loaded, Schedule, Write};

/// Options of a resume or a fail.
#[derive(Clone, Debug, Default)]
pub struct Resume {
    /// Load the flow from this file instead, and record it as its source.
    pub source: Option<PathBuf>,
    /// Refuse unless the flow waits on a request with this tag: a webhook
    /// delivered twice then answers nothing the second time, instead of
    /// answering whatever the flow has gone on to wait for.
    pub expect_tag: Option<Value>,
    /// Refuse unless the flow waits on the request at this position: the
    /// exact address of one request, where a tag names many.
    pub at: Option<u64>,
}

/// What one step did.
#[derive(Clone, Debug, PartialEq)]
pub struct StepOutcome {
    /// The flow.
    pub id: u64,
    /// Where the flow stands after the step.
    pub state: State,
    /// What the flow's code wrote while it ran. Code that replay re-runs
    /// writes nothing, so each piece of output comes out once.
    pub output: String,
    /// What loading the source file wrote (its top-level forms run every step).
    pub load_output: String,
}

/// Why a plain step was refused, in the words every store uses.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The flow is done, failed or cancelled.
    #[error("flow {id} is {status}, not suspended")]
    NotSuspended {
        /// The flow.
        id: u64,
        /// Its status.
        status: &'static str,
    },
    /// A resume that expected another request than the one the flow waits on.
    #[error("flow {id} waits on {waiting}, not {expected}")]
    WaitsOnOther {
        /// The flow.
        id: u64,
        /// The tag it waits on.
        waiting: String,
        /// The tag expected.
        expected: String,
    },
    /// No file to load the flow from.
    #[error("flow {0} has no recorded source file (it was imported without one): name one with --source FILE")]
    NoSource(u64),
    /// The source file cannot be read.
    #[error("cannot read the flow source {}: {}", .0.path, .0.err)]
    Source(SourceError),
    /// The engine refused: the source does not load, no such flow, a limit tripped, ...
    #[error("{0}")]
    Engine(#[from] skein::Error),
    /// A resumed flow failed while replaying its log.
    #[error("flow {id} was not resumed: replaying its log failed: {message}")]
    Diverged {
        /// The flow.
        id: u64,
        /// Why replay failed.
        message: String,
    },
    /// The stored record breaks what a store writes.
    #[error("{0}")]
    Damaged(String),
}

impl From<SourceError> for StepError {
    fn from(e: SourceError) -> StepError {
        StepError::Source(e)
    }
}

/// A step that ran: what to tell, and what to write.
#[derive(Debug)]
pub struct Stepped {
    /// What the step did.
    pub outcome: StepOutcome,
    /// The write that records it.
    pub write: Write,
    /// A source file given with `--source`, to record as the flow's source.
    pub source: Option<Source>,
}

/// An engine whose program output is collected, to be shown once the step is
/// recorded (a refused step's output is never shown).
pub fn quiet_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine.capture_output();
    engine.set_limits(limits.clone());
    engine
}

/// Load flow file `file` into `engine`; what loading it wrote. A flow file
/// may `load` the files beside it (at top level: inside a flow nothing is
/// loaded), and reach nothing else outside the engine.
pub fn load(engine: &mut Engine, file: &Path) -> Result<String, skein::Error> {
    let root = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    engine.set_capabilities(skein::Capabilities {
        load: Some(root),
        ..skein::Capabilities::none()
    });
    engine.load_file(file)?;
    Ok(engine.take_output())
}

/// Refuse unless flow `r` is suspended.
pub fn check_suspended(r: &FlowRecord) -> Result<(), StepError> {
    if r.status != FlowStatus::Suspended {
        return Err(StepError::NotSuspended {
            id: r.id,
            status: r.status.name(),
        });
    }
    Ok(())
}

/// Refuse unless suspended flow `r` waits on a request tagged `expected`.
pub fn check_tag(r: &FlowRecord, expected: &Value) -> Result<(), StepError> {
    let Some(pending) = &r.pending else {
        return Ok(());
    };
    if &pending.tag == expected {
        return Ok(());
    }
    Err(StepError::WaitsOnOther {
        id: r.id,
        waiting: pending.tag.to_write_string(),
        expected: expected.to_write_string(),
    })
}

/// Refuse a step whose run failed before the pending request took the
/// answer: while replaying. Recording that would bury a flow whose history
/// is intact under a code change; refused, it can be fixed.
pub fn check_replayed(engine: &Engine, id: u64, after: &FlowRecord) -> Result<(), StepError> {
    if let Err(skein::Error::Flow(FlowError::Diverged { .. } | FlowError::ReplayFailed { .. })) =
        engine.result(id)
    {
        let message = after.error.clone().unwrap_or_default();
        return Err(StepError::Diverged { id, message });
    }
    Ok(())
}

/// Where a step leaves the flow in the runtime's bookkeeping: a suspended
/// flow is due now with no attempts made, so a running server notices it.
fn schedule(r: &FlowRecord, now: Timestamp) -> Schedule {
    Schedule {
        due_at: (r.status == FlowStatus::Suspended).then_some(now),
        attempts: 0,
    }
}

/// Start flow `name` of the file `source` with `args`, as flow `next_id`.
pub fn start(
    limits: &Limits,
    source: &Source,
    name: &str,
    args: Vec<Value>,
    next_id: u64,
) -> Result<Stepped, StepError> {
    let mut engine = quiet_engine(limits);
    let load_output = load(&mut engine, &source.path)?;
    engine.set_next_flow_id(next_id);
    let step = engine.start(name, args)?;
    let record = engine.flow_record(step.id())?;
    let write = Write::Insert {
        schedule: schedule(&record, Timestamp::now()),
        record,
        source: Some(source.path.clone()),
    };
    Ok(Stepped {
        outcome: outcome(step, &mut engine, load_output),
        write,
        source: None,
    })
}

/// Answer (or fail) the pending request of flow `loaded`, whose recorded
/// source file is `recorded`, under `options`. Refused, in this order: a
/// `--source` that cannot be read, a flow not suspended, another tag than
/// expected, no source, the engine's refusals, a replay that diverged.
pub fn answer(
    limits: &Limits,
    loaded: &Loaded,
    recorded: Option<&Path>,
    answer: Answer,
    options: &Resume,
) -> Result<Stepped, StepError> {
    let given = options.source.as_deref().map(Source::read).transpose()?;
    let before = &loaded.record;
    let id = before.id;
    check_suspended(before)?;
    if let Some(expected) = &options.expect_tag {
        check_tag(before, expected)?;
    }
    let file = match (&given, recorded) {
        (Some(s), _) => s.path.clone(),
        (None, Some(path)) => path.to_path_buf(),
        (None, None) => return Err(StepError::NoSource(id)),
    };
    let mut engine = quiet_engine(limits);
    let load_output = load(&mut engine, &file)?;
    admit(&mut engine, before)?;
    // The position the answer is for: the one asked, or the pending one.
    let logged = before.log.len() as u64;
    let position = options.at.unwrap_or(logged);
    let step = match answer {
        Answer::Response(v) => engine.resume_at(id, position, v)?,
        Answer::Failure(f) => engine.fail_at(id, position, f)?,
    };
    let after = engine.flow_record(id)?;
    check_replayed(&engine, id, &after)?;
    if after.log.get(..before.log.len()) != Some(&before.log[..]) {
        return Err(StepError::Damaged(format!(
            "flow {id}: replay changed its logged entries"
        )));
    }
    let write = update(&engine, loaded, logged)?;
    Ok(Stepped {
        outcome: outcome(step, &mut engine, load_output),
        write,
        source: given,
    })
}

/// Cancel suspended flow `loaded`: it will never run again. Its log stays.
/// Cancelling runs no flow code, so no source is loaded.
pub fn cancel(limits: &Limits, loaded: &Loaded) -> Result<Stepped, StepError> {
    let id = loaded.record.id;
    check_suspended(&loaded.record)?;
    let mut engine = quiet_engine(limits);
    admit(&mut engine, &loaded.record)?;
    engine.cancel(id)?;
    let write = update(&engine, loaded, loaded.record.log.len() as u64)?;
    Ok(Stepped {
        outcome: StepOutcome {
            id,
            state: State::Cancelled,
            output: String::new(),
            load_output: String::new(),
        },
        write,
        source: None,
    })
}

fn admit(engine: &mut Engine, r: &FlowRecord) -> Result<(), StepError> {
    engine
        .admit(r.clone())
        .map_err(|e| StepError::Damaged(format!("flow {}: {e}", r.id)))
}

/// The write of what the step added to flow `loaded`, whose log held `from` entries.
fn update(engine: &Engine, loaded: &Loaded, from: u64) -> Result<Write, StepError> {
    let tail = engine.flow_record_from(loaded.record.id, from)?;
    let now = Timestamp::now();
    Ok(Write::Update {
        schedule: schedule(&tail, now),
        since: (tail.status == FlowStatus::Suspended).then_some(now),
        tail,
        from,
        version: loaded.version,
    })
}

/// What a step did, as the engine reported it.
pub fn outcome(step: Step, engine: &mut Engine, load_output: String) -> StepOutcome {
    let (id, state) = match step {
        Step::Suspended { id, tag, payload } => (id, State::Suspended { tag, payload }),
        Step::Done { id, value } => (id, State::Done(value)),
        Step::Failed { id, error } => (id, State::Failed(error)),
    };
    StepOutcome {
        id,
        state,
        output: engine.take_output(),
        load_output,
    }
}
