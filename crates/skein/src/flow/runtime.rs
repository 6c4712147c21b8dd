//! The machine's flow operations: start, resume, `request`, replay, and the
//! queries and store operations of the Scheme surface.
//!
//! A running flow sits above a prompt frame on the machine's stack. `request`
//! moves the frames above the prompt into the flow's instance (a live,
//! delimited continuation) and returns `(flow-suspended id tag payload)` to
//! whoever started or resumed it. The replay log — every answered request —
//! plus the flow's name and arguments is the durable truth: after an import a
//! flow has no frames and is rebuilt by replay the first time it is resumed.

use crate::flow::document::RequestFailure;
use crate::flow::document::StoreDocument;
use crate::flow::error::FlowError;
use crate::flow::model::{
    Answer, FlowStore, Instance, Logged, Outcome, Pending, Replay, Suspension,
};
use crate::flow::status::{FlowStatus, Status};
use crate::flow::timestamp::Timestamp;
use crate::machine::frame::{Args, Frame, K};
use crate::machine::{Machine, Next, Step};
use crate::values::plain::{check_plain, NotPlain, Value};
use crate::values::prim::FlowQuery;
use crate::values::value::FlowDef;
use crate::values::value::{error, BoolBits, ErrorKind, ErrorObj, Val};
use std::rc::Rc;

fn sym(name: &str) -> Val {
    Val::sym(name)
}

fn id_val(id: u64) -> Val {
    Val::Int(i64::try_from(id).unwrap_or(i64::MAX))
}

fn plain_error(what: &str, v: &Val) -> Val {
    error(
        format!("{what} must be plain data (numbers, strings, symbols, keywords, chars, booleans, lists, vectors, maps)"),
        vec![v.clone()],
    )
}

/// Refuse `v` where it enters a flow unless it is plain data nested at most
/// `MAX_VALUE_DEPTH` deep: it could not be stored, exported or replayed.
fn enter_plain(what: &str, v: &Val) -> Result<(), Val> {
    match check_plain(v) {
        Ok(()) => Ok(()),
        Err(NotPlain::Kind) => Err(plain_error(what, v)),
        // No irritant: printing the value would print all of it.
        Err(NotPlain::TooDeep) => Err(error(NotPlain::too_deep(what), vec![])),
    }
}

impl Machine {
    fn flow_id_arg(&self, who: &str, v: &Val) -> Result<u64, Val> {
        match v {
            Val::Int(n) if *n > 0 => Ok(*n as u64),
            other => Err(crate::values::value::type_error(who, "a flow id", other)),
        }
    }

    fn refuse_inside_flow(&self, who: &str) -> Result<(), Val> {
        match self.flows.running {
            Some(id) => Err(error(
                format!(
                    "{who}: not allowed inside a running flow (flow {id}): flows are deterministic"
                ),
                vec![],
            )),
            None => Ok(()),
        }
    }

    /// `(flow/start flow arg ...)`.
    pub(crate) fn flow_start(&mut self, mut args: Args) -> Result<Next, Val> {
        self.refuse_inside_flow("flow/start")?;
        let flow = match args.remove(0) {
            Val::Flow(f) => f,
            other => {
                return Err(crate::values::value::type_error(
                    "flow/start",
                    "a flow",
                    &other,
                ))
            }
        };
        for a in &args {
            match check_plain(a) {
                Ok(()) => {}
                Err(NotPlain::Kind) => return Err(plain_error("flow/start: arguments", a)),
                Err(NotPlain::TooDeep) => {
                    return Err(error(NotPlain::too_deep("flow/start: an argument"), vec![]))
                }
            }
        }
        if let Err(refused) = crate::flow::arity::check_arity(&flow, args.len()) {
            return Err(error(format!("flow/start: {refused}"), vec![]));
        }
        let next_id = self.flows.next_id;
        if next_id > crate::MAX_FLOW_ID {
            let refused = FlowError::NoIdsLeft { next_id };
            return Err(error(format!("flow/start: {refused}"), vec![]));
        }
        Ok(self.begin_flow(flow, args))
    }

    /// Create an instance of `flow` on plain `args` and run its procedure
    /// above a new prompt: the core of `flow/start` and `Engine::start`.
    pub(crate) fn begin_flow(&mut self, flow: Rc<FlowDef>, args: Args) -> Next {
        let id = self.flows.next_id;
        self.flows.next_id += 1;
        let proc = flow.proc.clone();
        self.flows.instances.insert(
            id,
            Instance {
                flow,
                args: args.to_vec(),
                status: Status::Running,
                log: Vec::new(),
                pending: None,
                result: None,
                error: None,
                frames: None,
            },
        );
        self.enter_flow(id);
        Next::Apply(proc, args)
    }

    fn enter_flow(&mut self, id: u64) {
        self.flows.running = Some(id);
        self.frames
            .push(Frame::control(self.vals.len(), K::Prompt(id)));
    }

    /// `(flow/resume id value)`.
    pub(crate) fn flow_resume(&mut self, args: Args) -> Step {
        let value = args[1].clone();
        let answer =
            enter_plain("flow/resume: the response", &value).map(|()| Answer::Response(value));
        self.answer_from_scheme("flow/resume", &args[0], answer)
    }

    /// `(flow/fail id message [timed-out?])`: with a true third argument the
    /// failure is a timeout (`request-timeout?`).
    pub(crate) fn flow_fail(&mut self, args: Args) -> Step {
        let timeout = args
            .get(2)
            .is_some_and(|v| !matches!(v, Val::Bool(BoolBits::FALSE)));
        let answer = match &args[1] {
            Val::Str(message) => Ok(Answer::Failure(Box::new(RequestFailure {
                message: message.to_string(),
                timeout,
            }))),
            other => Err(crate::values::value::type_error(
                "flow/fail",
                "a message (a string)",
                other,
            )),
        };
        self.answer_from_scheme("flow/fail", &args[0], answer)
    }

    fn answer_from_scheme(&mut self, who: &str, id: &Val, answer: Result<Answer, Val>) -> Step {
        let answered = self.refuse_inside_flow(who).and_then(|()| {
            let id = self.flow_id_arg(who, id)?;
            Ok((id, answer?))
        });
        let refused = match answered {
            Ok((id, answer)) => match self.continue_flow(id, answer, None) {
                Ok(step) => return step,
                Err(e) => error(format!("{who}: {e}"), vec![]),
            },
            Err(e) => e,
        };
        self.raise(refused, false)
    }

    /// Answer suspended flow `id`'s pending request and run it on,
    /// rebuilding it by replay first if it has no frames: the core of
    /// `flow/resume`, `flow/fail`, `Engine::resume` and `Engine::fail`. A
    /// response is what `request` returns; a failure is raised from it.
    /// Refused, changing nothing: a flow that is not suspended or cannot be
    /// rebuilt, and an answer meant for another `position` than the pending one.
    pub(crate) fn continue_flow(
        &mut self,
        id: u64,
        answer: Answer,
        position: Option<u64>,
    ) -> Result<Step, FlowError> {
        if let Some(flow) = self.answerable(id, position)? {
            return Ok(Ok(self.flow_rebuild(id, flow, answer)));
        }
        let inst = self.flows.instances.get_mut(&id).expect("checked above");
        let live = inst.frames.take();
        let request = inst.pending.take();
        let (tag, payload) = request.map_or((Val::Null, Val::Null), |p| (p.tag, p.payload));
        let raised = answer.raised(&tag, &payload);
        inst.log.push(Logged::now(tag, payload, answer));
        inst.status = Status::Running;
        self.enter_flow(id);
        if let Some(live) = live {
            let vb = self.vals.len() as u32;
            self.vals.extend(live.vals);
            self.frames.extend(live.frames.into_iter().map(|mut f| {
                f.rebase(0, vb);
                f
            }));
        }
        Ok(match raised {
            Ok(response) => Ok(Next::Return(response)),
            Err(e) => self.raise(e, false),
        })
    }

    /// Whether suspended flow `id` may take an answer for `position` (the
    /// pending one if `None`), changing nothing: refused if it is not
    /// suspended, waits on another position, or must be rebuilt by replay
    /// from a name that no longer names a flow. `Some(flow)`: the definition
    /// to rebuild it from, for a flow that has no frames.
    pub(crate) fn answerable(
        &self,
        id: u64,
        position: Option<u64>,
    ) -> Result<Option<Rc<FlowDef>>, FlowError> {
        if let (Some(position), Some(inst)) = (position, self.flows.instances.get(&id)) {
            let status = inst.status.public();
            if status != FlowStatus::Suspended && position < inst.log.len() as u64 {
                return Err(FlowError::AlreadyAnswered {
                    id,
                    position,
                    status,
                });
            }
        }
        let inst = self.suspended(id)?;
        let pending = inst.log.len() as u64;
        if let Some(position) = position.filter(|p| *p != pending) {
            return Err(FlowError::WrongPosition {
                id,
                position,
                pending,
            });
        }
        match inst.frames {
            Some(_) => Ok(None),
            None => self.rebuild_target(id).map(Some),
        }
    }

    /// Rebuild a flow that has a log but no frames: run its procedure again,
    /// answering each request from the log, with output suppressed.
    fn flow_rebuild(&mut self, id: u64, flow: Rc<FlowDef>, answer: Answer) -> Next {
        let inst = self.flows.instances.get_mut(&id).expect("caller checked");
        inst.flow = flow.clone();
        inst.status = Status::Running;
        let args: Args = inst.args.iter().cloned().collect();
        self.flows.replay = Some(Replay { pos: 0, answer });
        self.out.suppressed = true;
        self.enter_flow(id);
        Next::Apply(flow.proc.clone(), args)
    }

    /// `(request tag [payload [:timeout seconds]])`.
    pub(crate) fn flow_request(&mut self, args: Args) -> Result<Next, Val> {
        let Some(id) = self.flows.running else {
            return Err(error(
                "request: only allowed inside a running flow (start one with flow/start)",
                vec![],
            ));
        };
        let tag = args[0].clone();
        let payload = args.get(1).cloned().unwrap_or(Val::Null);
        let timeout = request_timeout(&args)?;
        enter_plain("request: the tag", &tag)?;
        enter_plain("request: the payload", &payload)?;
        if let Some(replay) = &mut self.flows.replay {
            let inst = self.flows.instances.get(&id).expect("running flow exists");
            let pos = replay.pos;
            let expected = match inst.log.get(pos) {
                Some(logged) => {
                    if crate::values::equality::equal(&logged.tag, &tag) {
                        replay.pos += 1;
                        // A failure is raised again, at the same position.
                        return logged.answer.raised(&tag, &payload).map(Next::Return);
                    }
                    Some(logged.tag.clone())
                }
                // Past the log: this must be the request the flow was waiting on.
                None => match &inst.pending {
                    Some(p) if crate::values::equality::equal(&p.tag, &tag) => None,
                    Some(p) => Some(p.tag.clone()),
                    None => None,
                },
            };
            if let Some(expected) = expected {
                let diverged = FlowError::Diverged {
                    id,
                    flow: inst.flow.display_name(),
                    position: pos,
                    logged: Value::from_val(&expected),
                    requested: Some(Value::from_val(&tag)),
                };
                let e = error(diverged.to_string(), vec![]);
                self.flows.divergence = Some(diverged);
                return Err(e);
            }
            // Replay is complete: answer the pending request with the new
            // answer and run on live.
            let answer = self
                .flows
                .replay
                .take()
                .map_or(Answer::Response(Val::Null), |r| r.answer);
            self.out.suppressed = false;
            let raised = answer.raised(&tag, &payload);
            let inst = self
                .flows
                .instances
                .get_mut(&id)
                .expect("running flow exists");
            inst.pending = None;
            inst.log.push(Logged::now(tag, payload, answer));
            return raised.map(Next::Return);
        }
        // Suspend: move the flow's frames out, down to its prompt.
        let prompt = self.prompt_index().expect("a running flow has a prompt");
        let vb = self.frames[prompt].sp;
        let mut frames = self.frames.split_off(prompt + 1);
        self.frames.pop();
        for f in &mut frames {
            f.rebase(vb, 0);
        }
        let vals = self.vals.split_off(vb as usize);
        let frames = Suspension { frames, vals };
        self.flows.running = None;
        let inst = self
            .flows
            .instances
            .get_mut(&id)
            .expect("running flow exists");
        // The deadline is for the host; the flow's code never reads it.
        let deadline = timeout.map(|t| Timestamp::now().after(t));
        inst.frames = Some(frames);
        inst.pending = Some(Pending {
            tag: tag.clone(),
            payload: payload.clone(),
            timeout,
            deadline,
        });
        inst.status = Status::Suspended;
        Ok(Next::Return(self.left(Outcome::Suspended {
            id,
            tag,
            payload,
        })))
    }

    /// The flow's procedure returned `v` into its prompt.
    pub(crate) fn flow_returned(&mut self, id: u64, v: Val) -> Val {
        if let Some(replay) = &self.flows.replay {
            // The code finished where the log says it made more requests.
            let pos = replay.pos;
            let inst = self.flows.instances.get(&id);
            let logged = inst
                .and_then(|i| {
                    i.log
                        .get(pos)
                        .map(|e| &e.tag)
                        .or(i.pending.as_ref().map(|p| &p.tag))
                })
                .map_or(Value::Unspecified, Value::from_val);
            let diverged = FlowError::Diverged {
                id,
                flow: inst.map(|i| i.flow.display_name()).unwrap_or_default(),
                position: pos,
                logged,
                requested: None,
            };
            let message = diverged.to_string();
            self.flows.divergence = Some(diverged);
            return self.flow_failed(id, message);
        }
        match check_plain(&v) {
            Ok(()) => {}
            Err(NotPlain::Kind) => {
                let message = "the flow's result must be plain data".to_string();
                return self.flow_failed(id, message);
            }
            Err(NotPlain::TooDeep) => {
                return self.flow_failed(id, NotPlain::too_deep("the flow's result"));
            }
        }
        self.leave_flow();
        if let Some(inst) = self.flows.instances.get_mut(&id) {
            inst.status = Status::Done;
            inst.result = Some(v.clone());
            inst.frames = None;
        }
        self.left(Outcome::Done { id, value: v })
    }

    /// An uncaught raise reached the flow's prompt (already popped).
    pub(crate) fn flow_failed(&mut self, id: u64, message: String) -> Val {
        // A failure while rebuilding is the code's disagreement with its log.
        let replaying = self.flows.replay.is_some();
        match self.flows.divergence.take() {
            Some(divergence) => {
                self.flows.failures.insert(id, divergence);
            }
            None if replaying => {
                let message = message.clone();
                self.flows
                    .failures
                    .insert(id, FlowError::ReplayFailed { id, message });
            }
            None => {}
        }
        self.leave_flow();
        if let Some(inst) = self.flows.instances.get_mut(&id) {
            inst.status = Status::Failed;
            inst.error = Some(message.clone());
            inst.frames = None;
            inst.pending = None;
        }
        self.left(Outcome::Failed { id, message })
    }

    /// A flow left its prompt: keep the typed outcome for the host, and give
    /// the Scheme caller its list.
    fn left(&mut self, outcome: Outcome) -> Val {
        let list = outcome.to_list();
        self.flows.outcome = Some(outcome);
        list
    }

    fn leave_flow(&mut self) {
        self.flows.running = None;
        self.flows.replay = None;
        self.flows.divergence = None;
        self.out.suppressed = false;
    }

    /// Flow `id`, if it is suspended: what resuming and cancelling need.
    pub(crate) fn suspended(&self, id: u64) -> Result<&Instance, FlowError> {
        let inst = self
            .flows
            .instances
            .get(&id)
            .ok_or(FlowError::UnknownFlow { id })?;
        match inst.status.public() {
            FlowStatus::Suspended => Ok(inst),
            status => Err(FlowError::WrongStatus {
                id,
                status,
                expected: FlowStatus::Suspended,
            }),
        }
    }

    /// The flow definition that rebuilds flow `id` by replay: whatever its
    /// name is bound to now, which must be a flow.
    pub(crate) fn rebuild_target(&self, id: u64) -> Result<Rc<FlowDef>, FlowError> {
        let inst = self.suspended(id)?;
        let current = inst
            .flow
            .name
            .and_then(|n| self.globals.lookup(n))
            .map(|g| self.globals.get(g));
        match current {
            Some(Val::Flow(f)) => Ok(f.clone()),
            _ => Err(FlowError::NotRebuildable {
                id,
                name: inst.flow.display_name(),
            }),
        }
    }

    /// Cancel suspended flow `id`: it never runs again; its log stays.
    pub(crate) fn cancel_flow(&mut self, id: u64) -> Result<(), FlowError> {
        self.suspended(id)?;
        if let Some(inst) = self.flows.instances.get_mut(&id) {
            inst.status = Status::Cancelled;
            inst.frames = None;
            inst.pending = None;
        }
        Ok(())
    }

    /// After an aborted evaluation (a limit, an interrupt) inside a flow: a
    /// flow that was running live cannot continue, so it fails with the
    /// reason; one still being rebuilt by replay is left as it was.
    pub(crate) fn abandon_running_flow(&mut self, reason: &str) {
        let Some(id) = self.flows.running else {
            return;
        };
        if self.flows.replay.is_some() {
            // Still being rebuilt: the resume's response is not in the log
            // yet, so nothing of it happened. The flow stays suspended, to be
            // resumed again (under other limits).
            self.leave_flow();
            if let Some(inst) = self.flows.instances.get_mut(&id) {
                inst.status = Status::Suspended;
                inst.frames = None;
            }
            return;
        }
        self.flow_failed(id, reason.to_string());
    }

    /// Index of the nearest prompt frame, if a flow is running.
    pub(crate) fn prompt_index(&self) -> Option<usize> {
        self.flows.running?;
        self.frames
            .iter()
            .rposition(|f| matches!(f.k(), K::Prompt(_)))
    }

    fn instance(&self, who: &str, v: &Val) -> Result<(u64, &Instance), Val> {
        let id = self.flow_id_arg(who, v)?;
        self.flows
            .instances
            .get(&id)
            .map(|i| (id, i))
            .ok_or_else(|| error(format!("{who}: no flow with id {id}"), vec![]))
    }

    pub(crate) fn flow_query(&mut self, op: FlowQuery, args: &[Val]) -> Result<Val, Val> {
        match op {
            FlowQuery::Status => {
                let id = self.flow_id_arg("flow/status", &args[0])?;
                Ok(match self.flows.instances.get(&id) {
                    Some(i) => sym(i.status.name()),
                    None => Val::bool(false),
                })
            }
            FlowQuery::Result => {
                let (id, inst) = self.instance("flow/result", &args[0])?;
                match (&inst.status, &inst.result) {
                    (Status::Done, Some(v)) => Ok(v.clone()),
                    (status, _) => Err(error(
                        format!("flow/result: flow {id} is {}, not done", status.name()),
                        vec![],
                    )),
                }
            }
            FlowQuery::Waiting => {
                let (_, inst) = self.instance("flow/waiting", &args[0])?;
                Ok(match (&inst.status, &inst.pending) {
                    (Status::Suspended, Some(p)) => Val::list([p.tag.clone(), p.payload.clone()]),
                    _ => Val::bool(false),
                })
            }
            FlowQuery::Log => {
                let (_, inst) = self.instance("flow/log", &args[0])?;
                Ok(Val::list(
                    inst.log
                        .iter()
                        .map(|e| Val::list([e.tag.clone(), e.answer.to_val()]))
                        .collect::<Vec<_>>(),
                ))
            }
            FlowQuery::List => Ok(Val::list(
                self.flows
                    .instances
                    .keys()
                    .map(|id| id_val(*id))
                    .collect::<Vec<_>>(),
            )),
            FlowQuery::HostRequests => Ok(Val::list(
                self.flows
                    .instances
                    .iter()
                    .filter(|(_, i)| i.status == Status::Suspended)
                    .filter_map(|(id, i)| {
                        let p = i.pending.as_ref()?;
                        Some(Val::list([id_val(*id), p.tag.clone(), p.payload.clone()]))
                    })
                    .collect::<Vec<_>>(),
            )),
            FlowQuery::Cancel => {
                self.refuse_inside_flow("flow/cancel")?;
                let id = self.flow_id_arg("flow/cancel", &args[0])?;
                self.cancel_flow(id)
                    .map_err(|e| error(format!("flow/cancel: {e}"), vec![]))?;
                Ok(Val::list([sym("flow-cancelled"), id_val(id)]))
            }
            FlowQuery::Reset => {
                self.refuse_inside_flow("flow-store-reset!")?;
                self.flows = FlowStore::new();
                Ok(Val::Unspecified)
            }
            FlowQuery::Export => {
                self.refuse_inside_flow("flow-store-export")?;
                StoreDocument::from_store(&self.flows)
                    .and_then(|doc| doc.to_val())
                    .map_err(|m| error(format!("flow-store-export: {m}"), vec![]))
            }
            FlowQuery::Import => {
                self.refuse_inside_flow("flow-store-import!")?;
                self.flows = StoreDocument::from_val(&args[0])
                    .and_then(StoreDocument::into_store)
                    .map_err(|m| error(format!("flow-store-import!: {m}"), vec![]))?;
                Ok(Val::Unspecified)
            }
        }
    }
}

/// The `:timeout seconds` after a request's payload, if given.
fn request_timeout(args: &[Val]) -> Result<Option<f64>, Val> {
    match args.get(2..) {
        None | Some([]) => Ok(None),
        Some([Val::Keyword(k), seconds]) if k.name() == "timeout" => {
            match crate::values::number::to_f64(seconds) {
                Some(t) if t.is_finite() && t >= 0.0 && seconds.is_number() => Ok(Some(t)),
                _ => Err(crate::values::value::type_error(
                    "request",
                    "a timeout in seconds (a non-negative number)",
                    seconds,
                )),
            }
        }
        Some(_) => Err(error(
            "request: expected (request tag payload :timeout seconds)",
            vec![],
        )),
    }
}

impl Answer {
    /// What `request` does with this answer to the request `tag` with
    /// `payload`: return the response, or raise the failure (an error
    /// object for which `request-error?` is true).
    pub(crate) fn raised(&self, tag: &Val, payload: &Val) -> Result<Val, Val> {
        match self {
            Answer::Response(v) => Ok(v.clone()),
            Answer::Failure(f) => {
                let kind = if f.timeout {
                    ErrorKind::RequestTimeout
                } else {
                    ErrorKind::RequestError
                };
                Err(Val::Error(Rc::new(ErrorObj::new(
                    kind,
                    f.message.clone(),
                    vec![tag.clone(), payload.clone()],
                ))))
            }
        }
    }
}
