//! Steps: start a flow, resume it, cancel it. Each is one write transaction
//! around one run of a fresh engine: read the flow's rows into its
//! [`FlowRecord`], import it as a one-flow [`StoreDocument`] (replay rebuilds
//! the flow from its log), run the step, take the flow's record back from the
//! engine and write what changed: the new log entries and the new state. A
//! step the engine refuses rolls back: nothing is written.

use std::path::Path;

use rusqlite::Connection;
use skein::{
    Answer, Engine, FlowError, FlowRecord, FlowStatus, RequestFailure, StoreDocument, Value,
};

use crate::error::{classify, damaged, StoreError};
use crate::record::{self, Bookkeeping};
use crate::store::{next_id, read_record, set_next_id, Store};
use skein_runtime::plain_step::{load, outcome, quiet_engine, Resume, StepOutcome};
use skein_runtime::Source;
use skein_runtime::State;

impl Store {
    /// Start flow `name`, defined in the file `source`, with `args`; it runs
    /// until it suspends, finishes or fails. The new id is the store's next.
    /// A refused start (the file does not load, no such flow, an argument
    /// that is not plain data) changes nothing and uses no id.
    pub fn start(
        &mut self,
        source: &Path,
        name: &str,
        args: Vec<Value>,
    ) -> Result<StepOutcome, StoreError> {
        let source = Source::read(source)?;
        let mut engine = quiet_engine(&self.limits);
        let (path, tx) = self.begin()?;
        let sql = |e| classify(&path, e);
        let first_free = next_id(&tx).map_err(sql)?;
        let load_output = load(&mut engine, &source.path)?;
        engine.import(StoreDocument {
            next_id: first_free,
            flows: vec![],
        })?;
        let step = engine.start(name, args)?;
        let after = engine.flow_record(step.id())?;
        record::insert(&tx, &after, Some(&source), &Bookkeeping::now()).map_err(sql)?;
        // Ids are never reused: the next start gets the one after.
        set_next_id(&tx, after.id + 1).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(outcome(step, &mut engine, load_output))
    }

    /// Answer the pending request of suspended flow `id` with `response` and
    /// run it on. The flow is rebuilt from its source file (or from `source`,
    /// which is then recorded as its source) by replaying its log.
    ///
    /// Refused, changing nothing: an unknown id, a flow that is not
    /// suspended, a source that does not load or no longer defines the flow,
    /// a response that is not plain data, a limit that trips, and a replay
    /// that fails before reaching the pending request ([`StoreError::Diverged`]:
    /// the code no longer makes the requests the log records).
    pub fn resume(
        &mut self,
        id: u64,
        response: Value,
        source: Option<&Path>,
    ) -> Result<StepOutcome, StoreError> {
        let options = Resume {
            source: source.map(Path::to_path_buf),
            ..Resume::default()
        };
        self.resume_with(id, response, &options)
    }

    /// [`Store::resume`], with the options of [`Resume`].
    pub fn resume_with(
        &mut self,
        id: u64,
        response: Value,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        self.answer(id, Answer::Response(response), options)
    }

    /// Fail the pending request of suspended flow `id` instead of answering
    /// it (`Engine::fail`): its `request` raises a `request-error?` error in
    /// the flow. Refused as [`Store::resume_with`] is.
    pub fn fail(
        &mut self,
        id: u64,
        failure: RequestFailure,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        self.answer(id, Answer::Failure(failure), options)
    }

    fn answer(
        &mut self,
        id: u64,
        answer: Answer,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        let given = options.source.as_deref().map(Source::read).transpose()?;
        let mut engine = quiet_engine(&self.limits);
        let (path, tx) = self.begin()?;
        let sql = |e| classify(&path, e);
        let before = suspended(&tx, id, &path)?;
        if let Some(expected) = &options.expect_tag {
            check_tag(&before, expected)?;
        }
        let file = match &given {
            Some(s) => s.path.clone(),
            None => {
                record::read_source(&tx, id)
                    .map_err(sql)?
                    .ok_or(StoreError::NoSource(id))?
                    .path
            }
        };
        let load_output = load(&mut engine, &file)?;
        rebuild(&mut engine, &tx, &before, &path)?;
        // The position the answer is for: the one asked, or the pending one.
        let position = options.at.unwrap_or(before.log.len() as u64);
        let step = match answer {
            Answer::Response(v) => engine.resume_at(id, position, v)?,
            Answer::Failure(f) => engine.fail_at(id, position, f)?,
        };
        let mut after = engine.flow_record(id)?;
        if let Err(skein::Error::Flow(
            FlowError::Diverged { .. } | FlowError::ReplayFailed { .. },
        )) = engine.result(id)
        {
            // It failed before the pending request took the response: while
            // replaying. Recording that would bury a flow whose history is
            // intact under a code change; refuse, so it can be fixed.
            let message = after.error.unwrap_or_default();
            return Err(StoreError::Diverged { id, message });
        }
        let logged = before.log.len();
        if after.log.get(..logged) != Some(&before.log[..]) {
            return Err(damaged(
                &path,
                format!("flow {id}: replay changed its logged entries"),
            ));
        }
        // Only what the step added is written.
        after.log.drain(..logged);
        let book = Bookkeeping::now();
        record::update(&tx, &after, logged as u64, &book, given.as_ref(), None).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(outcome(step, &mut engine, load_output))
    }

    /// Cancel suspended flow `id`: it will never run again. Its log stays.
    pub fn cancel(&mut self, id: u64) -> Result<StepOutcome, StoreError> {
        let mut engine = quiet_engine(&self.limits);
        let (path, tx) = self.begin()?;
        let sql = |e| classify(&path, e);
        let before = suspended(&tx, id, &path)?;
        // Cancelling runs no flow code, so the source is not needed.
        rebuild(&mut engine, &tx, &before, &path)?;
        engine.cancel(id)?;
        let after = engine.flow_record_from(id, before.log.len() as u64)?;
        let book = Bookkeeping::now();
        record::update(&tx, &after, before.log.len() as u64, &book, None, None).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(StepOutcome {
            id,
            state: State::Cancelled,
            output: String::new(),
            load_output: String::new(),
        })
    }
}

/// Flow `id`'s record, which must be suspended.
fn suspended(conn: &Connection, id: u64, path: &str) -> Result<FlowRecord, StoreError> {
    let record = read_record(conn, id, path)?;
    if record.status != FlowStatus::Suspended {
        return Err(StoreError::NotSuspended {
            id,
            status: record.status.name(),
        });
    }
    Ok(record)
}

/// Refuse unless suspended flow `r` waits on a request tagged `expected`.
fn check_tag(r: &FlowRecord, expected: &Value) -> Result<(), StoreError> {
    let Some(pending) = &r.pending else {
        return Ok(());
    };
    if &pending.tag == expected {
        return Ok(());
    }
    Err(StoreError::WaitsOnOther {
        id: r.id,
        waiting: pending.tag.to_write_string(),
        expected: expected.to_write_string(),
    })
}

/// Give `engine` the flow as a one-flow document, with the store's next id.
fn rebuild(
    engine: &mut Engine,
    tx: &Connection,
    r: &FlowRecord,
    path: &str,
) -> Result<(), StoreError> {
    let next_id = next_id(tx).map_err(|e| classify(path, e))?;
    engine
        .import(StoreDocument {
            next_id,
            flows: vec![r.clone()],
        })
        .map_err(|e| damaged(path, format!("flow {}: {e}", r.id)))
}
