//! Plain steps (`skein flow start|resume|fail|cancel`) on PostgreSQL, with
//! the semantics and refusals of SQLite's: read the flow and its version,
//! run the step in a fresh engine ([`skein_runtime::plain_step`]), and
//! commit what it wrote if the flow is still at that version. Another
//! process that wrote the flow meanwhile makes a conflict: the step is run
//! again from the flow as it now is, where the engine's checks (the
//! position, the expected tag, the status) refuse an answer that is no
//! longer wanted. A start whose id another start took runs again with the
//! next one. A refused step writes nothing.

use std::path::Path;

use skein::{Answer, RequestFailure, Value};
use skein_runtime::plain_step::{self, Resume, StepOutcome, Stepped};
use skein_runtime::{Applied, Source};

use crate::error::StoreError;
use crate::store::Store;

/// How many times a step runs before other processes' writes make it give up.
const TRIES: u32 = 5;

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
        // The commit records the hash of this reading: the code the flow ran.
        self.sources.insert(source.path.clone(), source.clone());
        let mut next_id = self.next_id()?;
        for _ in 0..TRIES {
            let stepped = plain_step::start(&self.limits, &source, name, args.clone(), next_id)
                .map_err(|e| StoreError::from_step(e, &self.url))?;
            match self.commit_batch(std::slice::from_ref(&stepped.write)) {
                Ok(_) => return Ok(stepped.outcome),
                // Another start took the id: take the next one.
                Err(StoreError::IdNotFree { id, next_id: free }) if free > id => next_id = free,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Contended {
            url: self.url.clone(),
            id: next_id,
            tries: TRIES,
        })
    }

    /// Answer the pending request of suspended flow `id` with `response` and
    /// run it on, as SQLite's `Store::resume` does.
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

    /// Answer the pending request of suspended flow `id` with `response` and
    /// run it on. The flow is rebuilt from its source file (or from
    /// `options.source`, which is then recorded as its source) by replaying
    /// its log. Refused, changing nothing: an unknown id, a flow that is not
    /// suspended, another request than `options` expects, a source that does
    /// not load or no longer defines the flow, a response that is not plain
    /// data, a limit that trips, and a replay that fails before reaching the
    /// pending request ([`StoreError::Diverged`]).
    pub fn resume_with(
        &mut self,
        id: u64,
        response: Value,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        self.answer(id, Answer::Response(response), options)
    }

    /// Fail the pending request of suspended flow `id` instead of answering
    /// it: its `request` raises a `request-error?` error in the flow.
    /// Refused as [`Store::resume_with`] is.
    pub fn fail(
        &mut self,
        id: u64,
        failure: RequestFailure,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        self.answer(id, Answer::Failure(failure), options)
    }

    /// Cancel suspended flow `id`: it will never run again. Its log stays.
    pub fn cancel(&mut self, id: u64) -> Result<StepOutcome, StoreError> {
        self.step(id, |store, loaded, _| {
            plain_step::cancel(&store.limits, loaded)
        })
    }

    fn answer(
        &mut self,
        id: u64,
        answer: Answer,
        options: &Resume,
    ) -> Result<StepOutcome, StoreError> {
        self.step(id, |store, loaded, recorded| {
            plain_step::answer(&store.limits, loaded, recorded, answer.clone(), options)
        })
    }

    /// Load flow `id`, run `run` on it and commit its write; again from the
    /// flow as it now is if another process wrote it meanwhile.
    fn step(
        &mut self,
        id: u64,
        run: impl Fn(
            &Store,
            &skein_runtime::Loaded,
            Option<&Path>,
        ) -> Result<Stepped, plain_step::StepError>,
    ) -> Result<StepOutcome, StoreError> {
        for _ in 0..TRIES {
            let recorded = self.flow(id)?.source.map(|s| s.path);
            let loaded = self.load_flow(id)?;
            let stepped = run(self, &loaded, recorded.as_deref())
                .map_err(|e| StoreError::from_step(e, &self.url))?;
            let given = stepped.source.as_ref().map(|s| (id, s));
            let applied = self.commit_recording(std::slice::from_ref(&stepped.write), given)?;
            if let [Applied::Written { .. }] = applied[..] {
                return Ok(stepped.outcome);
            }
        }
        Err(StoreError::Contended {
            url: self.url.clone(),
            id,
            tries: TRIES,
        })
    }
}
