//! The worker: one thread that owns the engine (with the warm flows) and
//! the store. It takes work in batches — answers from handlers and hosts,
//! starts, cancels, flows the store says are due — runs each step on a warm
//! flow (rebuilding by replay on a miss), commits the whole batch in one
//! transaction, and only then replies, dispatches handlers and updates
//! what it keeps warm.

use std::collections::{HashMap, HashSet, VecDeque};
use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lru::LruCache;
use skein::{Answer, Engine, FlowError, PendingRequest, RequestFailure, Step, Timestamp, Value};
use tokio::sync::oneshot;

use crate::flow_info::State;
use crate::handler::{Handler, HandlerRequest};
use crate::metrics::Metrics;
use crate::program::Program;
use crate::request_kind::{classify, now_value, RequestKind};
use crate::runtime::{Config, RuntimeError, StepReport};
use crate::store::{Applied, DeadLetter, Due, RuntimeStore, Schedule, Write};

/// A caller waiting for its work to be committed.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, RuntimeError>>;
/// A read of the store, run on the worker between batches.
pub(crate) type Read = Box<dyn FnOnce(&mut dyn RuntimeStore) + Send>;

/// Work for the worker.
pub(crate) enum Msg {
    Start {
        name: String,
        args: Vec<Value>,
        reply: Reply<StepReport>,
    },
    Answer(AnswerMsg),
    /// A handler attempt failed.
    HandlerFailed {
        id: u64,
        position: u64,
        attempt: u32,
        error: String,
    },
    Cancel {
        id: u64,
        reply: Reply<StepReport>,
    },
    Read(Read),
    /// Another process made work due: ask the store now.
    Wake,
    Shutdown,
}

/// An answer or failure for a flow's pending request.
pub(crate) struct AnswerMsg {
    id: u64,
    position: Option<u64>,
    answer: Answer,
    /// A host waiting for the step; `None` for a handler's answer.
    reply: Option<Reply<StepReport>>,
    /// The handler attempt that answered, if a handler did.
    attempt: Option<u32>,
    /// Tried once already and written over by another process.
    retried: bool,
}

impl Msg {
    pub(crate) fn answer(
        id: u64,
        position: Option<u64>,
        answer: Answer,
        reply: Option<Reply<StepReport>>,
    ) -> Msg {
        Msg::Answer(AnswerMsg {
            id,
            position,
            answer,
            reply,
            attempt: None,
            retried: false,
        })
    }
}

/// A handler attempt to start once its request is committed.
struct Dispatch {
    handler: Handler,
    request: HandlerRequest,
}

/// What to do once a write is committed.
enum After {
    Step(Box<StepAfter>),
    Reschedule { id: u64 },
    DeadLetter,
}

/// Once a step is committed: report it, make its handler attempt; or, if
/// another process wrote first, try its answer again.
struct StepAfter {
    report: StepReport,
    reply: Option<Reply<StepReport>>,
    dispatch: Option<Dispatch>,
    /// The answer to try again if another process wrote first.
    retry: Option<AnswerMsg>,
    taken: Instant,
}

/// A step's write, its report, and the handler attempt it leads to.
type Stepped = (Write, StepReport, Option<Dispatch>);
/// [`Stepped`] before its write is made.
type Stepped0 = (Schedule, StepReport, Option<Dispatch>);

/// A handler attempt under way.
struct InFlight {
    position: u64,
    attempt: u32,
    /// The flow's version when the attempt began, to release its claim.
    version: u64,
    began: Instant,
}

pub(crate) struct Worker {
    engine: Engine,
    store: Box<dyn RuntimeStore>,
    /// Flow id → the version its live copy in `engine` matches.
    warm: LruCache<u64, u64>,
    in_flight: HashMap<u64, InFlight>,
    defined_in: std::collections::BTreeMap<String, std::path::PathBuf>,
    config: Config,
    inbox: mpsc::Receiver<Msg>,
    to_self: mpsc::Sender<Msg>,
    tokio: tokio::runtime::Handle,
    metrics: Arc<Metrics>,
    next_poll: Instant,
    next_due: Option<Timestamp>,
    /// The last claim failed: wait for the next poll, not the due time.
    claim_failing: bool,
}

/// How long after its start a handler attempt's claim runs out, beyond the
/// handler timeout: then another server (or this one, restarted) tries again.
const LEASE_GRACE: Duration = Duration::from_secs(5);

/// The shortest wait for due work when nothing else is to be done.
const MIN_WAIT: Duration = Duration::from_millis(2);

/// Built-in requests answered in one step before it is committed anyway.
const MAX_CHAINED_BUILTINS: usize = 64;

impl Worker {
    pub(crate) fn new(
        store: Box<dyn RuntimeStore>,
        program: &Program,
        config: Config,
        to_self: mpsc::Sender<Msg>,
        inbox: mpsc::Receiver<Msg>,
        tokio: tokio::runtime::Handle,
        metrics: Arc<Metrics>,
    ) -> Result<Worker, RuntimeError> {
        let mut engine = Engine::new();
        engine.capture_output();
        engine.set_limits(config.limits.clone());
        let loaded = program.load_into(&mut engine)?;
        if !loaded.output.is_empty() {
            tracing::info!(output = %loaded.output.trim_end(), "the flow files wrote");
        }
        let mut store = store;
        // Flows that wait on the outside world are not due; one a handler
        // now serves (or that a runtime parked) must be looked at again.
        let woken = store.make_waiting_due(Timestamp::now())?;
        if woken > 0 {
            tracing::info!(
                flows = woken,
                "looking again at the flows waiting without a due time"
            );
        }
        let capacity = NonZeroUsize::new(config.warm_flows.max(1)).unwrap_or(NonZeroUsize::MIN);
        Ok(Worker {
            engine,
            store,
            warm: LruCache::new(capacity),
            in_flight: HashMap::new(),
            defined_in: loaded.defined_in,
            config,
            inbox,
            to_self,
            tokio,
            metrics,
            next_poll: Instant::now(),
            next_due: None,
            claim_failing: false,
        })
    }

    pub(crate) fn run(mut self) {
        let mut queue = VecDeque::new();
        loop {
            let wait = if queue.is_empty() {
                self.time_to_next_work()
            } else {
                Duration::ZERO
            };
            match self.inbox.recv_timeout(wait) {
                Ok(msg) => queue.push_back(msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            while queue.len() < self.config.max_batch {
                match self.inbox.try_recv() {
                    Ok(msg) => queue.push_back(msg),
                    Err(_) => break,
                }
            }
            if self.work(&mut queue) {
                break;
            }
        }
        self.release_in_flight();
    }

    fn time_to_next_work(&self) -> Duration {
        let now = Instant::now();
        let poll = self.next_poll.saturating_duration_since(now);
        let due = self.next_due.filter(|_| !self.claim_failing);
        let due = due.map_or(poll, |due| {
            Duration::from_millis(due.millis().saturating_sub(Timestamp::now().millis()))
        });
        // Never a busy loop, should the store call a flow due that it
        // then does not hand over.
        poll.min(due).max(MIN_WAIT)
    }

    /// One batch: take up to `max_batch` pieces of work, commit them
    /// together. `true` when the runtime is to stop.
    fn work(&mut self, queue: &mut VecDeque<Msg>) -> bool {
        let mut batch = Batch::default();
        let mut later = VecDeque::new();
        let mut stop = false;
        while let Some(msg) = queue.pop_front() {
            if batch.len() >= self.config.max_batch {
                later.push_back(msg);
                continue;
            }
            match msg {
                Msg::Shutdown => stop = true,
                Msg::Wake => self.next_poll = Instant::now(),
                Msg::Read(read) => read(self.store.as_mut()),
                Msg::Start { name, args, reply } => {
                    // Alone in its commit: an id taken meanwhile by another
                    // process fails only this start.
                    self.commit(std::mem::take(&mut batch));
                    let taken = Instant::now();
                    match self.start_committed(&name, args) {
                        Ok((write, report, dispatch, applied)) => {
                            let after = After::step(report, dispatch, Some(reply), None, taken);
                            self.after_commit(write, after, applied);
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                Msg::Answer(a) if batch.touches(a.id) => later.push_back(Msg::Answer(a)),
                Msg::Answer(a) => self.answer(a, &mut batch),
                Msg::HandlerFailed { id, .. } if batch.touches(id) => later.push_back(msg),
                Msg::HandlerFailed {
                    id,
                    position,
                    attempt,
                    error,
                } => self.handler_failed(id, position, attempt, &error, &mut batch),
                Msg::Cancel { id, reply } if batch.touches(id) => {
                    later.push_back(Msg::Cancel { id, reply })
                }
                Msg::Cancel { id, reply } => match self.cancel(id) {
                    Ok((write, report, _)) => {
                        let after = After::step(report, None, Some(reply), None, Instant::now());
                        batch.push(write, after)
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                },
            }
        }
        if !stop {
            self.take_due(&mut batch);
        }
        self.commit(batch);
        later.append(queue);
        *queue = later;
        if let Ok(due) = self.store.next_due() {
            self.next_due = due;
        }
        stop
    }

    /// Claim the flows the store says are due, when it is time to ask.
    fn take_due(&mut self, batch: &mut Batch) {
        let now = Timestamp::now();
        let due = !self.claim_failing && self.next_due.is_some_and(|d| d <= now);
        let asked = Instant::now() >= self.next_poll || due;
        let room = self.config.max_batch.saturating_sub(batch.len());
        if !asked || room == 0 {
            return;
        }
        self.next_poll = Instant::now() + self.config.poll_interval;
        let lease = now.after((self.config.handler_timeout + LEASE_GRACE).as_secs_f64());
        let claimed = match self.store.claim_due(now, lease, room) {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(store = %self.store.name(), "cannot claim due work: {e}");
                // Ask again at the next poll, not in a busy loop.
                self.claim_failing = true;
                return;
            }
        };
        self.claim_failing = false;
        for due in claimed {
            // Written in this batch already: that write sets when it is due.
            if !batch.touches(due.id) {
                self.on_due(due, now, batch);
            }
        }
    }

    /// A flow whose due time came: its sleep is over, its deadline passed,
    /// a handler attempt is to be made, or another process changed it.
    fn on_due(&mut self, due: Due, now: Timestamp, batch: &mut Batch) {
        let id = due.id;
        let position = due.pending.position;
        if self.warm.peek(&id).is_some_and(|v| *v != due.version) {
            self.evict(id);
        }
        if due.pending.deadline.is_some_and(|d| d <= now) {
            self.metrics.deadlines_passed.inc();
            tracing::info!(
                flow = id,
                position,
                "the request's deadline passed: failing it"
            );
            let a = answer_msg(id, position, Answer::Failure(RequestFailure::timeout()));
            return self.answer(a, batch);
        }
        let deadline = due.pending.deadline;
        let schedule = match classify(&due.pending, &self.config.handlers) {
            RequestKind::Sleep(Some(s)) if due.since.after(s) > now => Schedule {
                due_at: earliest(Some(due.since.after(s)), deadline),
                attempts: 0,
            },
            kind @ (RequestKind::Now | RequestKind::Random(_) | RequestKind::Sleep(_)) => {
                if matches!(kind, RequestKind::Sleep(_)) {
                    self.metrics.timers_fired.inc();
                }
                let answer = builtin_answer(&kind, now);
                return self.answer(answer_msg(id, position, answer), batch);
            }
            RequestKind::Handler(handler) => {
                let handler = handler.clone();
                let lost_after = self.config.handler_timeout + LEASE_GRACE;
                if self
                    .in_flight
                    .get(&id)
                    .is_some_and(|f| f.position == position && f.began.elapsed() < lost_after)
                {
                    // Still under way here: let it finish or time out.
                    self.lease_schedule(now, deadline, due.attempts)
                } else {
                    let request = HandlerRequest {
                        flow: id,
                        position,
                        tag: due.pending.tag.clone(),
                        payload: due.pending.payload.clone(),
                        attempt: due.attempts + 1,
                    };
                    self.dispatch(Dispatch { handler, request }, due.version);
                    // The claim holds the request for the attempt, unless
                    // its deadline comes first.
                    let lease = self.lease_schedule(now, deadline, due.attempts);
                    if lease.due_at == deadline {
                        lease
                    } else {
                        return;
                    }
                }
            }
            RequestKind::Outside => Schedule {
                due_at: deadline,
                attempts: due.attempts,
            },
        };
        batch.push(
            Write::Reschedule {
                id,
                version: due.version,
                schedule,
            },
            After::Reschedule { id },
        );
    }

    /// Flow `id` cannot take the step the runtime owed it (a limit trips, its
    /// replay diverges): it waits, not due, for people to look (its error
    /// is logged) and for the next server start, which looks at it again.
    fn park(&mut self, id: u64, e: &RuntimeError, batch: &mut Batch) {
        tracing::error!(
            flow = id,
            "the flow cannot take its step; it waits for a restart or an answer: {e}"
        );
        self.evict(id);
        let Ok(loaded) = self.store.load(id) else {
            return;
        };
        let schedule = Schedule {
            due_at: None,
            attempts: loaded.attempts,
        };
        batch.push(
            Write::Reschedule {
                id,
                version: loaded.version,
                schedule,
            },
            After::Reschedule { id },
        );
    }

    fn lease_schedule(
        &self,
        now: Timestamp,
        deadline: Option<Timestamp>,
        attempts: u32,
    ) -> Schedule {
        let lease = now.after((self.config.handler_timeout + LEASE_GRACE).as_secs_f64());
        Schedule {
            due_at: earliest(Some(lease), deadline),
            attempts,
        }
    }

    /// Flow `id` live in the engine, at the store's version (`known`, if
    /// the caller knows it): its version.
    fn warm_up(&mut self, id: u64, known: Option<u64>) -> Result<u64, RuntimeError> {
        if let Some(&version) = self.warm.get(&id) {
            if known.is_none_or(|k| k == version) && self.engine.status(id).is_some() {
                return Ok(version);
            }
        }
        self.evict(id);
        let loaded = self.store.load(id)?;
        self.engine.admit(loaded.record)?;
        self.metrics.rebuilds.inc();
        self.keep_warm(id, loaded.version);
        Ok(loaded.version)
    }

    fn keep_warm(&mut self, id: u64, version: u64) {
        if let Some((old, _)) = self.warm.push(id, version) {
            if old != id {
                self.engine.evict(old);
            }
        }
        self.metrics.warm_flows.set(self.warm.len() as i64);
    }

    fn evict(&mut self, id: u64) {
        self.warm.pop(&id);
        self.engine.evict(id);
        self.metrics.warm_flows.set(self.warm.len() as i64);
    }

    /// The request flow `id` waits on, without reading its log.
    fn pending(&self, id: u64) -> Option<PendingRequest> {
        self.engine.flow_record_from(id, u64::MAX).ok()?.pending
    }

    /// Start flow `name` and commit it alone: an id another server took
    /// meanwhile fails only this start, which then runs again under the
    /// next id.
    fn start_committed(
        &mut self,
        name: &str,
        args: Vec<Value>,
    ) -> Result<(Write, StepReport, Option<Dispatch>, Applied), RuntimeError> {
        const TRIES: usize = 8;
        let mut last = None;
        for _ in 0..TRIES {
            let (write, report, dispatch) = self.start(name, args.clone())?;
            match self.store.commit(std::slice::from_ref(&write)) {
                Ok(applied) => {
                    let applied = applied.first().copied().unwrap_or(Applied::Conflict);
                    self.metrics.batch_size.observe(1.0);
                    return Ok((write, report, dispatch, applied));
                }
                Err(e) => {
                    self.engine.evict(report.id);
                    let _ = self.engine.take_output();
                    if !matches!(e, crate::store::StoreFailure::IdTaken(_)) {
                        return Err(e.into());
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.map_or(RuntimeError::ShuttingDown, RuntimeError::Store))
    }

    fn start(&mut self, name: &str, args: Vec<Value>) -> Result<Stepped, RuntimeError> {
        let next = self.store.next_id()?;
        // The store owns the ids: a start refused here uses none.
        self.engine.set_next_flow_id(next);
        let step = self.engine.start(name, args).inspect_err(|_| {
            self.engine.evict(next);
            let _ = self.engine.take_output();
        })?;
        let id = step.id();
        let result = self.run_on(id, step).and_then(|_| {
            let record = self.engine.flow_record(id)?;
            let (schedule, report, dispatch) = self.after_step(id, &record.pending);
            let write = Write::Insert {
                record,
                source: self.defined_in.get(name).cloned(),
                schedule,
            };
            Ok((write, report, dispatch))
        });
        if result.is_err() {
            self.engine.evict(id);
        }
        result
    }

    /// Apply an answer (or failure) to its flow, into `batch`.
    fn answer(&mut self, a: AnswerMsg, batch: &mut Batch) {
        let taken = Instant::now();
        if self
            .in_flight
            .get(&a.id)
            .is_some_and(|f| Some(f.position) == a.position)
        {
            // The handler's answer, or the deadline that overtook it.
            self.in_flight.remove(&a.id);
        }
        match self.answer_write(&a) {
            Ok((write, report, dispatch)) => {
                let (reply, retry) = match a.reply {
                    Some(reply) => (Some(reply), Some(AnswerMsg { reply: None, ..a })),
                    None => (None, Some(a)),
                };
                batch.push(write, After::step(report, dispatch, reply, retry, taken));
            }
            Err(e) => {
                // What a refused step wrote is not the flow's output.
                let _ = self.engine.take_output();
                if let Some(reply) = a.reply {
                    let _ = reply.send(Err(e));
                } else if is_unwanted(&e) {
                    tracing::debug!(flow = a.id, position = ?a.position, "answer not taken: {e}");
                } else if let (Some(attempt), Some(position)) = (a.attempt, a.position) {
                    // The flow cannot take what the handler answered: a
                    // failed attempt, retried and in the end dead-lettered.
                    let error = format!("its answer was refused: {e}");
                    self.handler_failed(a.id, position, attempt, &error, batch);
                } else {
                    self.park(a.id, &e, batch);
                }
            }
        }
    }

    fn answer_write(&mut self, a: &AnswerMsg) -> Result<Stepped, RuntimeError> {
        let id = a.id;
        let version = self.warm_up(id, None)?;
        let Some(before) = self.pending(id) else {
            // Not suspended: the engine says why, typed.
            self.engine.answerable(id, a.position)?;
            return Err(RuntimeError::Conflict(id));
        };
        let from = before.position;
        let position = a.position.unwrap_or(from);
        let step = match &a.answer {
            Answer::Response(v) => self.engine.resume_at(id, position, v.clone()),
            Answer::Failure(f) => self.engine.fail_at(id, position, f.clone()),
        };
        let step = step.inspect_err(|e| {
            if !matches!(
                e,
                skein::Error::Flow(
                    FlowError::WrongPosition { .. }
                        | FlowError::NotPlainData { .. }
                        | FlowError::TooDeep { .. }
                )
            ) {
                self.evict(id);
            }
        })?;
        self.run_on(id, step).inspect_err(|_| self.evict(id))?;
        let tail = self.engine.flow_record_from(id, from)?;
        let (schedule, report, dispatch) = self.after_step(id, &tail.pending);
        let since = tail.pending.as_ref().map(|_| Timestamp::now());
        let write = Write::Update {
            tail,
            from,
            version,
            schedule,
            since,
        };
        Ok((write, report, dispatch))
    }

    /// After a step: answer the built-in requests it went on to make at
    /// once, and refuse a flow whose replay failed.
    fn run_on(&mut self, id: u64, mut step: Step) -> Result<Step, RuntimeError> {
        for _ in 0..MAX_CHAINED_BUILTINS {
            let Some(pending) = self.pending(id) else {
                break;
            };
            let kind = classify(&pending, &self.config.handlers);
            if !kind.is_immediate() {
                break;
            }
            let answer = builtin_answer(&kind, Timestamp::now());
            step = match answer {
                Answer::Response(v) => self.engine.resume_at(id, pending.position, v)?,
                Answer::Failure(f) => self.engine.fail_at(id, pending.position, f)?,
            };
        }
        self.log_output(id);
        if let Err(skein::Error::Flow(
            FlowError::Diverged { .. } | FlowError::ReplayFailed { .. },
        )) = self.engine.result(id)
        {
            // Recording the failure would bury a flow whose history is
            // intact under a code change; refuse, so it can be fixed.
            let message = match &step {
                Step::Failed { error, .. } => error.clone(),
                _ => String::new(),
            };
            return Err(RuntimeError::Diverged { id, message });
        }
        Ok(step)
    }

    /// The bookkeeping and report of flow `id` after a step that left it
    /// waiting on `pending` (or finished), and the handler attempt to make
    /// once it is committed.
    fn after_step(&self, id: u64, pending: &Option<PendingRequest>) -> Stepped0 {
        let now = Timestamp::now();
        let mut dispatch = None;
        let due_at = pending.as_ref().and_then(|p| {
            let due = match classify(p, &self.config.handlers) {
                RequestKind::Sleep(Some(s)) => Some(now.after(s)),
                // Chained past the bound: due at once, after this commit.
                RequestKind::Now | RequestKind::Random(_) | RequestKind::Sleep(None) => Some(now),
                RequestKind::Handler(handler) => {
                    dispatch = Some(Dispatch {
                        handler: handler.clone(),
                        request: HandlerRequest {
                            flow: id,
                            position: p.position,
                            tag: p.tag.clone(),
                            payload: p.payload.clone(),
                            attempt: 1,
                        },
                    });
                    self.lease_schedule(now, None, 0).due_at
                }
                RequestKind::Outside => None,
            };
            earliest(due, p.deadline)
        });
        let report = StepReport {
            id,
            state: self.state(id, pending),
            pending: pending.clone(),
        };
        (
            Schedule {
                due_at,
                attempts: 0,
            },
            report,
            dispatch,
        )
    }

    fn state(&self, id: u64, pending: &Option<PendingRequest>) -> State {
        if let Some(p) = pending {
            return State::Suspended {
                tag: p.tag.clone(),
                payload: p.payload.clone(),
            };
        }
        match self.engine.result(id) {
            Ok(v) => State::Done(v),
            Err(skein::Error::Flow(FlowError::WrongStatus { .. })) => State::Cancelled,
            Err(e) => State::Failed(match e {
                skein::Error::Flow(FlowError::Failed { message, .. }) => message,
                other => other.to_string(),
            }),
        }
    }

    fn log_output(&mut self, id: u64) {
        let output = self.engine.take_output();
        if !output.is_empty() {
            tracing::info!(flow = id, output = %output.trim_end(), "the flow wrote");
        }
    }

    fn cancel(&mut self, id: u64) -> Result<Stepped, RuntimeError> {
        let version = self.warm_up(id, None)?;
        let from = self.pending(id).map_or(0, |p| p.position);
        self.engine.cancel(id)?;
        let tail = self.engine.flow_record_from(id, from)?;
        let (schedule, report, _) = self.after_step(id, &None);
        let write = Write::Update {
            tail,
            from,
            version,
            schedule,
            since: None,
        };
        Ok((write, report, None))
    }

    fn handler_failed(
        &mut self,
        id: u64,
        position: u64,
        attempt: u32,
        error: &str,
        batch: &mut Batch,
    ) {
        if self
            .in_flight
            .get(&id)
            .is_some_and(|f| f.position == position)
        {
            self.in_flight.remove(&id);
        }
        let version = match self.warm_up(id, None) {
            Ok(v) => v,
            Err(e) => {
                return tracing::warn!(
                    flow = id,
                    "a handler failed on a flow that cannot be read: {e}"
                )
            }
        };
        let Some(pending) = self.pending(id).filter(|p| p.position == position) else {
            return; // answered meanwhile
        };
        let handler = match classify(&pending, &self.config.handlers) {
            RequestKind::Handler(handler) => handler.describe(),
            _ => String::new(),
        };
        let now = Timestamp::now();
        if self.config.backoff.may_retry(attempt) {
            self.metrics.retries.inc();
            let delay = self.config.backoff.delay(attempt, rand::random::<f64>());
            tracing::warn!(flow = id, position, handler = %handler, attempt, retry_in = ?delay, "handler failed: {error}");
            let schedule = Schedule {
                due_at: earliest(Some(now.after(delay.as_secs_f64())), pending.deadline),
                attempts: attempt,
            };
            batch.push(
                Write::Reschedule {
                    id,
                    version,
                    schedule,
                },
                After::Reschedule { id },
            );
            return;
        }
        tracing::error!(flow = id, position, handler = %handler, attempts = attempt, "handler failed for the last time, the request fails: {error}");
        let message = format!("the handler failed {attempt} times; the last error: {error}");
        let letter = DeadLetter {
            flow: id,
            position,
            tag: pending.tag.clone(),
            payload: pending.payload.clone(),
            handler,
            attempts: attempt,
            error: error.to_string(),
            at: now,
        };
        let failure = answer_msg(id, position, Answer::Failure(RequestFailure::new(message)));
        self.answer(failure, batch);
        batch.push(Write::DeadLetter(letter), After::DeadLetter);
    }

    /// Start a handler attempt; its outcome comes back as a message.
    fn dispatch(&mut self, d: Dispatch, version: u64) {
        let Dispatch { handler, request } = d;
        let (id, position, attempt) = (request.flow, request.position, request.attempt);
        let began = Instant::now();
        let flight = InFlight {
            position,
            attempt,
            version,
            began,
        };
        self.in_flight.insert(id, flight);
        self.metrics.handler_calls.inc();
        tracing::debug!(flow = id, position, attempt, handler = %handler.describe(), "calling the handler");
        let inbox = self.to_self.clone();
        let timeout = self.config.handler_timeout;
        let tokio = self.tokio.clone();
        self.tokio.spawn(async move {
            // Its own task: a handler that panics fails its attempt.
            let call = tokio.spawn(async move { handler.call(request, timeout).await });
            let outcome = call
                .await
                .unwrap_or_else(|e| Err(format!("the handler panicked: {e}")));
            let msg = match outcome {
                Ok(value) => Msg::Answer(AnswerMsg {
                    attempt: Some(attempt),
                    ..answer_msg(id, position, Answer::Response(value))
                }),
                Err(error) => Msg::HandlerFailed {
                    id,
                    position,
                    attempt,
                    error,
                },
            };
            // A stopped worker: the request is tried again after a restart.
            let _ = inbox.send(msg);
        });
    }

    fn commit(&mut self, batch: Batch) {
        if batch.writes.is_empty() {
            return;
        }
        let size = batch.steps;
        match self.store.commit(&batch.writes) {
            Ok(applied) => {
                self.metrics.batch_size.observe(size as f64);
                for ((write, after), applied) in
                    batch.writes.into_iter().zip(batch.afters).zip(applied)
                {
                    self.after_commit(write, after, applied);
                }
            }
            Err(e) => {
                tracing::error!(store = %self.store.name(), "a commit failed; its steps are undone: {e}");
                let message = e.to_string();
                for (write, after) in batch.writes.into_iter().zip(batch.afters) {
                    if let Some(id) = write_id(&write) {
                        self.evict(id);
                    }
                    let After::Step(step) = after else { continue };
                    let StepAfter { reply, retry, .. } = *step;
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(RuntimeError::Store(
                            crate::store::StoreFailure::Other(message.clone().into()),
                        )));
                    } else if let Some(mut again) = retry.filter(|r| !r.retried) {
                        // Nobody waits on it (a timer, a handler's answer):
                        // try it once more rather than wait out its claim.
                        again.retried = true;
                        let _ = self.to_self.send(Msg::Answer(again));
                    }
                }
                // Do not spin on a store that keeps failing.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    fn after_commit(&mut self, write: Write, after: After, applied: Applied) {
        let id = write_id(&write);
        match (after, applied) {
            (After::DeadLetter, _) => {
                self.metrics.dead_letters.inc();
            }
            (After::Reschedule { id }, Applied::Written { version }) => {
                if self.warm.contains(&id) && self.engine.status(id).is_some() {
                    self.keep_warm(id, version);
                }
            }
            (After::Step(step), Applied::Written { version }) => {
                let StepAfter {
                    report,
                    reply,
                    dispatch,
                    taken,
                    ..
                } = *step;
                self.metrics.steps.inc();
                self.metrics
                    .step_latency
                    .observe(taken.elapsed().as_secs_f64());
                // Evicted later in this batch to make room: not warm.
                if self.engine.status(report.id).is_some() {
                    self.keep_warm(report.id, version);
                } else {
                    self.warm.pop(&report.id);
                }
                match &report.state {
                    State::Suspended { .. } => {}
                    State::Done(v) => tracing::info!(flow = report.id, result = %v, "done"),
                    State::Failed(e) => tracing::info!(flow = report.id, error = %e, "failed"),
                    State::Cancelled => tracing::info!(flow = report.id, "cancelled"),
                }
                if let Some(d) = dispatch {
                    self.dispatch(d, version);
                }
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(report));
                }
            }
            (after, Applied::Conflict) => {
                self.metrics.conflicts.inc();
                if let Some(id) = id {
                    tracing::info!(
                        flow = id,
                        "changed by another process meanwhile: rebuilding it"
                    );
                    self.evict(id);
                }
                if let After::Step(step) = after {
                    let StepAfter { reply, retry, .. } = *step;
                    match retry {
                        Some(mut again) if !again.retried => {
                            again.retried = true;
                            again.reply = reply;
                            let _ = self.to_self.send(Msg::Answer(again));
                        }
                        _ => {
                            if let (Some(reply), Some(id)) = (reply, id) {
                                let _ = reply.send(Err(RuntimeError::Conflict(id)));
                            }
                        }
                    }
                }
            }
        }
    }

    /// On the way out: requests whose handler is still under way are made
    /// due now, so the next runtime on this store tries them at once rather
    /// than when their claim runs out.
    fn release_in_flight(&mut self) {
        let mut writes = Vec::new();
        for (&id, flight) in &self.in_flight {
            // The version the attempt began at, or the one a later write of
            // this runtime gave it (a conflict just leaves the claim).
            let version = self.warm.peek(&id).copied().unwrap_or(flight.version);
            writes.push(Write::Reschedule {
                id,
                version,
                schedule: Schedule {
                    due_at: Some(Timestamp::now()),
                    attempts: flight.attempt.saturating_sub(1),
                },
            });
        }
        if !writes.is_empty() {
            if let Err(e) = self.store.commit(&writes) {
                tracing::warn!("could not release the requests under way: {e}");
            }
        }
    }
}

/// Writes and what to do after them, in order.
#[derive(Default)]
struct Batch {
    writes: Vec<Write>,
    afters: Vec<After>,
    touched: HashSet<u64>,
    steps: usize,
}

impl Batch {
    fn push(&mut self, write: Write, after: After) {
        if let Some(id) = write_id(&write) {
            self.touched.insert(id);
        }
        if matches!(after, After::Step(_)) {
            self.steps += 1;
        }
        self.writes.push(write);
        self.afters.push(after);
    }

    fn len(&self) -> usize {
        self.writes.len()
    }

    /// Flow `id` has a write in this batch: a second would be checked
    /// against the version before the first, so it waits for the next.
    fn touches(&self, id: u64) -> bool {
        self.touched.contains(&id)
    }
}

impl After {
    fn step(
        report: StepReport,
        dispatch: Option<Dispatch>,
        reply: Option<Reply<StepReport>>,
        retry: Option<AnswerMsg>,
        taken: Instant,
    ) -> After {
        After::Step(Box::new(StepAfter {
            report,
            reply,
            dispatch,
            retry,
            taken,
        }))
    }
}

fn write_id(write: &Write) -> Option<u64> {
    match write {
        Write::Insert { record, .. } => Some(record.id),
        Write::Update { tail, .. } => Some(tail.id),
        Write::Reschedule { id, .. } => Some(*id),
        Write::DeadLetter(_) => None,
    }
}

fn answer_msg(id: u64, position: u64, answer: Answer) -> AnswerMsg {
    AnswerMsg {
        id,
        position: Some(position),
        answer,
        reply: None,
        attempt: None,
        retried: false,
    }
}

/// A refusal that says the answer is not wanted (the flow moved on, or is
/// gone), as against one that says the flow cannot take it.
fn is_unwanted(e: &RuntimeError) -> bool {
    matches!(
        e,
        RuntimeError::Conflict(_)
            | RuntimeError::Engine(skein::Error::Flow(
                FlowError::WrongPosition { .. }
                    | FlowError::AlreadyAnswered { .. }
                    | FlowError::WrongStatus { .. }
                    | FlowError::UnknownFlow { .. }
            ))
    ) || e.is_unknown_flow()
}

/// What the runtime answers a built-in request with.
fn builtin_answer(kind: &RequestKind, now: Timestamp) -> Answer {
    match kind {
        RequestKind::Now => Answer::Response(now_value(now)),
        RequestKind::Random(Some(n)) => {
            Answer::Response(Value::Int(rand::random_range(0..*n) as i64))
        }
        RequestKind::Random(None) => Answer::Failure(RequestFailure::new(
            "random takes a positive exact integer that fits 64 bits",
        )),
        RequestKind::Sleep(Some(_)) => Answer::Response(Value::Bool(true)),
        RequestKind::Sleep(None) => {
            Answer::Failure(RequestFailure::new("sleep takes a number of seconds"))
        }
        RequestKind::Handler(_) | RequestKind::Outside => {
            Answer::Failure(RequestFailure::new("not a built-in request"))
        }
    }
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
