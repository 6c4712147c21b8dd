//! The embedding surface for flows: start, resume, inspect, export, import.

use crate::api::engine::Engine;
use crate::api::error::{Error, LimitError};
use crate::flow::document::{FlowRecord, LogEntry, PendingRequest, RequestFailure, StoreDocument};
use crate::flow::error::FlowError;
use crate::flow::model::Answer;
use crate::flow::model::Outcome;
use crate::flow::status::FlowStatus;
use crate::machine::frame::Args;
use crate::machine::limits::Abort;
use crate::machine::{Machine, Step as MachineStep};
use crate::values::plain::{check_plain_data, NotPlain, Value};
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// What a flow did when started or resumed: it waits on a request, finished, or failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Flow `id` waits on the request `(request tag payload)`.
    Suspended {
        /// The flow.
        id: u64,
        /// What it asks for: the request's tag.
        tag: Value,
        /// The data that goes with it.
        payload: Value,
    },
    /// Flow `id` returned `value`.
    Done {
        /// The flow.
        id: u64,
        /// What its procedure returned.
        value: Value,
    },
    /// Flow `id` failed; `error` says why (`file:line:col: message`, or a
    /// replay divergence: [`Engine::result`] gives it typed).
    Failed {
        /// The flow.
        id: u64,
        /// The failure, as the store document keeps it.
        error: String,
    },
}

impl Step {
    /// The flow this step is about.
    pub fn id(&self) -> u64 {
        match self {
            Step::Suspended { id, .. } | Step::Done { id, .. } | Step::Failed { id, .. } => *id,
        }
    }
}

/// One flow instance as [`Engine::flows`] lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSummary {
    /// The flow's id in the store.
    pub id: u64,
    /// The name given to `defflow`, or `anonymous` for a `flow-node`.
    pub flow: String,
    /// Where it stands.
    pub status: FlowStatus,
    /// The pending request of a suspended flow: `(tag, payload)`.
    pub waiting: Option<(Value, Value)>,
}

impl Engine {
    /// Start the flow bound to `name` (by `defflow`) with plain-data arguments.
    /// Refused, using no id: a name that is not bound
    /// ([`FlowError::UndefinedFlow`]) or is bound to something else than a
    /// flow ([`FlowError::NotAFlow`]), a number of arguments the flow's
    /// procedure does not take ([`FlowError::WrongArgCount`]), an argument
    /// that is not plain data ([`FlowError::NotPlainData`]).
    ///
    /// ```
    /// use skein::{Engine, Error, FlowError, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow order (lambda (order-id) (request 'pay order-id)))")?;
    /// let refused = engine.start("order", vec![]).unwrap_err();
    /// assert_eq!(refused.to_string(), "order takes 1 argument (order-id), got 0");
    /// assert!(matches!(refused, Error::Flow(FlowError::WrongArgCount { got: 0, .. })));
    /// assert!(engine.flows().is_empty()); // no flow was created
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn start(&mut self, name: &str, args: Vec<Value>) -> Result<Step, Error> {
        let flow = self
            .m
            .globals
            .lookup(Symbol::intern(name))
            .map(|id| self.m.globals.get(id).clone());
        let flow = match flow {
            Some(Val::Flow(f)) => f,
            None | Some(Val::Unassigned) => {
                return Err(Error::Flow(FlowError::UndefinedFlow {
                    name: name.to_string(),
                }))
            }
            Some(other) => {
                let what = if other.is_procedure() {
                    "a procedure"
                } else {
                    "a variable"
                };
                return Err(Error::Flow(FlowError::NotAFlow {
                    name: name.to_string(),
                    what: what.to_string(),
                }));
            }
        };
        let mut plain_args = Args::new();
        for (i, a) in args.iter().enumerate() {
            plain_args.push(plain(a, || format!("argument {}", i + 1))?);
        }
        crate::flow::arity::check_arity(&flow, args.len())?;
        let id = self.m.flows.next_id;
        if id > crate::MAX_FLOW_ID {
            return Err(Error::Flow(FlowError::NoIdsLeft { next_id: id }));
        }
        self.run_flow(id, |m| Ok(m.begin_flow(flow, plain_args)))
    }

    /// Answer the pending request of suspended flow `id` and run it on.
    /// Refused, changing nothing: an unknown id, a flow that is not
    /// suspended, a response that is not plain data, a flow that must be
    /// rebuilt by replay but is no longer defined.
    pub fn resume(&mut self, id: u64, value: Value) -> Result<Step, Error> {
        let response = plain(&value, || "the response".to_string())?;
        self.answer(id, None, Answer::Response(response))
    }

    /// Answer the request at `position` of suspended flow `id` (its
    /// [`PendingRequest::position`]) and run it on. Refused as [`resume`]
    /// is, and when the flow waits on another position
    /// ([`FlowError::WrongPosition`]): an answer delivered twice never
    /// answers the next request.
    ///
    /// ```
    /// use skein::{Engine, Error, FlowError, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow two (lambda () (list (request 'ask 1) (request 'ask 2))))")?;
    /// let id = engine.start("two", vec![])?.id();
    /// engine.resume_at(id, 0, Value::from("first"))?;
    /// // The same answer again: it was for position 0, the flow now waits at 1.
    /// let again = engine.resume_at(id, 0, Value::from("first")).unwrap_err();
    /// assert!(matches!(again, Error::Flow(FlowError::WrongPosition { position: 0, pending: 1, .. })));
    /// # Ok::<(), skein::Error>(())
    /// ```
    ///
    /// [`resume`]: Engine::resume
    pub fn resume_at(&mut self, id: u64, position: u64, value: Value) -> Result<Step, Error> {
        let response = plain(&value, || "the response".to_string())?;
        self.answer(id, Some(position), Answer::Response(response))
    }

    /// Fail the pending request of suspended flow `id` instead of answering
    /// it, and run the flow on: its `request` raises an error object for
    /// which `request-error?` is true (and `request-timeout?` for
    /// [`RequestFailure::timeout`]), with the message and the request's tag
    /// and payload as irritants, for the flow's own `guard` to handle. The
    /// failure is logged; replay raises it again at the same position.
    ///
    /// ```
    /// use skein::{Engine, RequestFailure, Step, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval(r#"
    ///   (defflow pay (lambda ()
    ///     (guard (e ((request-error? e) (list 'declined (error-object-message e))))
    ///       (request 'charge 10))))"#)?;
    /// let id = engine.start("pay", vec![])?.id();
    /// let done = engine.fail(id, RequestFailure::new("card declined"))?;
    /// let expected = Value::List(vec![Value::symbol("declined"), Value::from("card declined")]);
    /// assert_eq!(done, Step::Done { id, value: expected });
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn fail(&mut self, id: u64, failure: RequestFailure) -> Result<Step, Error> {
        self.answer(id, None, Answer::Failure(Box::new(failure)))
    }

    /// [`fail`](Engine::fail) the request at `position` of flow `id`;
    /// refused if the flow waits on another position.
    pub fn fail_at(
        &mut self,
        id: u64,
        position: u64,
        failure: RequestFailure,
    ) -> Result<Step, Error> {
        self.answer(id, Some(position), Answer::Failure(Box::new(failure)))
    }

    /// Whether flow `id` would take an answer now (for the request at
    /// `position`, if given), without running it: `Ok`, or the refusal
    /// [`resume_at`](Engine::resume_at) would give. A position the flow
    /// answered before it finished is [`FlowError::AlreadyAnswered`].
    ///
    /// ```
    /// use skein::{Engine, Error, FlowError, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow pay (lambda () (request 'payment '())))")?;
    /// let id = engine.start("pay", vec![])?.id();
    /// assert!(engine.answerable(id, Some(0)).is_ok());
    /// engine.resume_at(id, 0, Value::from(1800))?;
    /// // The webhook again, after the flow finished.
    /// let again = engine.answerable(id, Some(0)).unwrap_err();
    /// assert!(matches!(again, Error::Flow(FlowError::AlreadyAnswered { position: 0, .. })));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn answerable(&self, id: u64, position: Option<u64>) -> Result<(), Error> {
        self.m.answerable(id, position)?;
        Ok(())
    }

    fn answer(&mut self, id: u64, position: Option<u64>, answer: Answer) -> Result<Step, Error> {
        // Refused here, before the run: inside it a refusal would be raised.
        self.m.answerable(id, position)?;
        self.run_flow(id, |m| match m.continue_flow(id, answer, position) {
            Ok(step) => step,
            // Checked above: a refusal here would be a bug, reported plainly.
            Err(e) => m.raise(crate::values::value::error(e.to_string(), vec![]), false),
        })
    }

    /// Cancel suspended flow `id`: it never runs again; its log stays.
    ///
    /// ```
    /// use skein::{Engine, Error, FlowError, FlowStatus, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow ask (lambda () (request 'approve '())))")?;
    /// let id = engine.start("ask", vec![])?.id();
    /// engine.cancel(id)?;
    /// assert_eq!(engine.status(id), Some(FlowStatus::Cancelled));
    /// let again = engine.cancel(id).unwrap_err();
    /// assert!(matches!(again, Error::Flow(FlowError::WrongStatus { status: FlowStatus::Cancelled, .. })));
    /// assert!(matches!(engine.cancel(9), Err(Error::Flow(FlowError::UnknownFlow { id: 9 }))));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn cancel(&mut self, id: u64) -> Result<(), Error> {
        Ok(self.m.cancel_flow(id)?)
    }

    /// The value flow `id` finished with. A flow that failed is
    /// [`FlowError::Failed`], or [`FlowError::Diverged`] when its replay
    /// diverged; one that is not finished is [`FlowError::WrongStatus`].
    pub fn result(&self, id: u64) -> Result<Value, Error> {
        let inst = self
            .m
            .flows
            .instances
            .get(&id)
            .ok_or(FlowError::UnknownFlow { id })?;
        match (inst.status.public(), &inst.result) {
            (FlowStatus::Done, Some(v)) => Ok(Value::from_val(v)),
            (FlowStatus::Failed, _) => Err(Error::Flow(
                self.m
                    .flows
                    .failures
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| FlowError::Failed {
                        id,
                        message: inst.error.clone().unwrap_or_default(),
                    }),
            )),
            (status, _) => Err(Error::Flow(FlowError::WrongStatus {
                id,
                status,
                expected: FlowStatus::Done,
            })),
        }
    }

    /// Run a flow from what `first` sets up until it leaves its prompt.
    fn run_flow(
        &mut self,
        id: u64,
        first: impl FnOnce(&mut Machine) -> MachineStep,
    ) -> Result<Step, Error> {
        self.m.flows.outcome = None;
        let result = self.m.run_from(first);
        self.m.out.flush();
        let outcome = self.m.flows.outcome.take();
        match (result, outcome) {
            (Ok(v), Some(outcome)) => {
                crate::values::value::release(v);
                Ok(step_of(outcome))
            }
            (Err(Abort::Limit(kind)), _) => Err(Error::Limit(
                LimitError::new(kind, Some(id)).located(&self.m.sources, self.m.stopped_at.take()),
            )),
            (Err(abort), _) => Err(self.abort_error(abort)),
            // Checked before the run, a start or resume always leaves its prompt.
            (Ok(_), None) => Err(Error::Flow(FlowError::Failed {
                id,
                message: "the run ended without an outcome".to_string(),
            })),
        }
    }

    /// Every suspended flow's pending request, by id: `(id, tag, payload)`.
    pub fn pending(&self) -> Vec<(u64, Value, Value)> {
        self.m
            .flows
            .instances
            .iter()
            .filter_map(|(id, inst)| {
                let p = inst.pending.as_ref()?;
                Some((*id, Value::from_val(&p.tag), Value::from_val(&p.payload)))
            })
            .collect()
    }

    /// The status of flow `id`, or `None` if there is no such flow.
    pub fn status(&self, id: u64) -> Option<FlowStatus> {
        Some(crate::flow::status::Status::public(
            self.m.flows.instances.get(&id)?.status,
        ))
    }

    /// Every flow in the store, by id: its flow's name, status and pending request.
    ///
    /// ```
    /// use skein::{Engine, FlowStatus, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow greet (lambda (who) (request 'ask who)))")?;
    /// engine.start("greet", vec![Value::from("ada")])?;
    /// let flows = engine.flows();
    /// assert_eq!(flows.len(), 1);
    /// assert_eq!((flows[0].id, flows[0].flow.as_str()), (1, "greet"));
    /// assert_eq!(flows[0].status, FlowStatus::Suspended);
    /// assert_eq!(flows[0].waiting, Some((Value::symbol("ask"), Value::from("ada"))));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn flows(&self) -> Vec<FlowSummary> {
        self.m
            .flows
            .instances
            .iter()
            .map(|(id, inst)| FlowSummary {
                id: *id,
                flow: inst.flow.display_name(),
                status: crate::flow::status::Status::public(inst.status),
                waiting: inst
                    .pending
                    .as_ref()
                    .map(|p| (Value::from_val(&p.tag), Value::from_val(&p.payload))),
            })
            .collect()
    }

    /// The replay log of flow `id`: every answered request as `(tag,
    /// response)`; a failed request's response is the list `(request-failed
    /// "message")`, or `(request-timed-out "message")`. [`Engine::history`]
    /// has the entries whole.
    pub fn log(&self, id: u64) -> Option<Vec<(Value, Value)>> {
        let inst = self.m.flows.instances.get(&id)?;
        Some(
            inst.log
                .iter()
                .map(|e| (Value::from_val(&e.tag), Value::from_val(&e.answer.to_val())))
                .collect(),
        )
    }

    /// The replay log of flow `id`, entry P answering position P: each
    /// request's tag, payload, answer (response or failure) and the time
    /// it was recorded.
    pub fn history(&self, id: u64) -> Option<Vec<LogEntry>> {
        Some(self.flow_record(id).ok()?.log)
    }

    /// The request suspended flow `id` waits on: its position, tag, payload
    /// and deadline. `None` for a flow that is not suspended.
    ///
    /// ```
    /// use skein::{Engine, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow pay (lambda () (request 'charge 10 :timeout 60)))")?;
    /// let id = engine.start("pay", vec![])?.id();
    /// let pending = engine.pending_request(id).unwrap();
    /// assert_eq!((pending.position, pending.timeout), (0, Some(60.0)));
    /// assert!(pending.deadline.is_some());
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn pending_request(&self, id: u64) -> Option<PendingRequest> {
        self.flow_record(id).ok()?.pending
    }

    /// The whole flow store as a [`StoreDocument`]: every flow's name,
    /// arguments, status and replay log, as plain data. Refused
    /// ([`Error::Store`]): a live instance of an anonymous flow (`flow-node`),
    /// which could not be rebuilt elsewhere.
    ///
    /// ```
    /// use skein::{Engine, FlowStatus, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow order (lambda (id) (list 'paid (request 'payment id))))")?;
    /// let id = engine.start("order", vec![Value::from("o-1")])?.id();
    /// let doc = engine.export()?;
    /// assert_eq!(doc.next_id, 2);
    /// let record = &doc.flows[0];
    /// assert_eq!((record.id, record.flow.as_deref()), (id, Some("order")));
    /// assert_eq!(record.status, FlowStatus::Suspended);
    /// assert_eq!(record.pending.as_ref().unwrap().tag, Value::symbol("payment"));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn export(&self) -> Result<StoreDocument, Error> {
        StoreDocument::from_store(&self.m.flows).map_err(Error::Store)
    }

    /// The record of flow `id` alone, as [`Engine::export`] would write it:
    /// for a host that keeps each flow in its own storage. Refused: an
    /// unknown id ([`FlowError::UnknownFlow`]), a live instance of an
    /// anonymous flow ([`Error::Store`]).
    ///
    /// ```
    /// use skein::{Answer, Engine, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow ask (lambda () (request 'approve (request 'amount '()))))")?;
    /// let id = engine.start("ask", vec![])?.id();
    /// engine.resume(id, Value::from(1800))?;
    /// let record = engine.flow_record(id)?;
    /// assert_eq!(record.log.len(), 1);
    /// assert_eq!(record.log[0].answer, Answer::Response(Value::from(1800)));
    /// assert_eq!(record.pending.map(|p| p.position), Some(1));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn flow_record(&self, id: u64) -> Result<FlowRecord, Error> {
        let inst = self
            .m
            .flows
            .instances
            .get(&id)
            .ok_or(FlowError::UnknownFlow { id })?;
        FlowRecord::of_instance(id, inst).map_err(Error::Store)
    }

    /// Replace the flow store with `doc`. Its flows continue by replay: a
    /// suspended flow is rebuilt from its arguments and log when it is next
    /// resumed, so their definitions need not be loaded yet. A document that
    /// fails validation ([`Error::Store`]: ids not unique or not below
    /// `next_id`, a suspended flow without a pending request or a name, a done
    /// flow without a result, a value that is not plain data) is refused and
    /// nothing changes.
    ///
    /// ```
    /// use skein::{Engine, Error, Step, Value};
    ///
    /// const FLOW: &str = "(defflow order (lambda (id) (list 'paid (request 'payment id))))";
    /// let mut first = Engine::new();
    /// first.eval(FLOW)?;
    /// let id = first.start("order", vec![Value::from("o-1")])?.id();
    /// let doc = first.export()?;
    ///
    /// let mut second = Engine::new();
    /// second.eval(FLOW)?;
    /// let mut broken = doc.clone();
    /// broken.flows[0].pending = None;
    /// assert!(matches!(second.import(broken), Err(Error::Store(_))));
    /// assert!(second.flows().is_empty()); // a refused document changes nothing
    ///
    /// second.import(doc)?;
    /// let step = second.resume(id, Value::from(1800))?;
    /// assert_eq!(
    ///     step,
    ///     Step::Done { id, value: Value::list([Value::symbol("paid"), Value::from(1800)]) }
    /// );
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn import(&mut self, doc: StoreDocument) -> Result<(), Error> {
        self.m.flows = doc.into_store().map_err(Error::Store)?;
        Ok(())
    }

    /// The whole flow store as a `skein-store` JSON document
    /// (docs/store-format.md): [`Engine::export`], written as JSON.
    pub fn export_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(&self.export()?).map_err(|e| Error::Store(e.to_string()))
    }

    /// Replace the flow store with a `skein-store` JSON document:
    /// [`Engine::import`], read from JSON. A document that is not JSON, is of
    /// another format or version, or fails validation is refused and nothing
    /// changes.
    ///
    /// Values may nest up to [`MAX_VALUE_DEPTH`](crate::MAX_VALUE_DEPTH)
    /// levels, however deep that makes the JSON; text nested deeper than any
    /// such value needs is refused before it is parsed.
    pub fn import_json(&mut self, json: &str) -> Result<(), Error> {
        let doc = StoreDocument::from_json_str(json).map_err(Error::Store)?;
        self.import(doc)
    }
}

/// `value` as an engine value, refused unless it is plain data.
fn plain(value: &Value, what: impl Fn() -> String) -> Result<Val, FlowError> {
    let refuse = || FlowError::NotPlainData {
        what: what(),
        value: value.to_write_string(),
    };
    // Checked before converting: a value too deep is refused at once.
    match check_plain_data(value) {
        Ok(()) => {}
        Err(NotPlain::TooDeep) => return Err(FlowError::TooDeep { what: what() }),
        Err(NotPlain::Kind) => return Err(refuse()),
    }
    // Checked whole above, so it converts to plain data of the same depth.
    value.to_val().map_err(|_| refuse())
}

fn step_of(outcome: Outcome) -> Step {
    match outcome {
        Outcome::Suspended { id, tag, payload } => Step::Suspended {
            id,
            tag: Value::from_val(&tag),
            payload: Value::from_val(&payload),
        },
        Outcome::Done { id, value } => Step::Done {
            id,
            value: Value::from_val(&value),
        },
        Outcome::Failed { id, message } => Step::Failed { id, error: message },
    }
}
