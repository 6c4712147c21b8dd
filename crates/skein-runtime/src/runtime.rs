//! [`Runtime`]: the running loop, and [`Client`], how a host (the HTTP
//! API, a Rust program) asks it to start, answer, fail or cancel flows and
//! reads what the store holds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use skein::{FlowError, Limits, LogEntry, PendingRequest, RequestFailure, Value};
use tokio::sync::oneshot;

use crate::backoff::Backoff;
use crate::flow_info::{FlowInfo, State};
use crate::handler::Handler;
use crate::metrics::Metrics;
use crate::program::Program;
use crate::store::{DeadLetter, Filter, Notifier, RuntimeStore, StoreFailure};
use crate::worker::{Msg, Read, Worker};

/// How a runtime works.
#[derive(Clone, Debug)]
pub struct Config {
    /// Who performs each tag's requests (`--handler TAG=COMMAND|URL`).
    pub handlers: Vec<(String, Handler)>,
    /// Retries of failed handler attempts.
    pub backoff: Backoff,
    /// How long one handler attempt may take before it counts as failed
    /// (default 30 s).
    pub handler_timeout: Duration,
    /// How many flows stay live in memory (default 10,000); the least
    /// recently used is rebuilt by replay when next needed.
    pub warm_flows: usize,
    /// How often the store is asked for work that other processes made
    /// due (default 250 ms). The runtime's own work needs no polling.
    pub poll_interval: Duration,
    /// At most this many steps go into one commit (default 512).
    pub max_batch: usize,
    /// Limits for every step's run of a flow.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            handlers: Vec::new(),
            backoff: Backoff::default(),
            handler_timeout: Duration::from_secs(30),
            warm_flows: 10_000,
            poll_interval: Duration::from_millis(250),
            max_batch: 512,
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Refuse handlers the runtime cannot use: one for a built-in request,
    /// two for one tag.
    pub fn check(&self) -> Result<(), RuntimeError> {
        if self.max_batch == 0 {
            return Err(RuntimeError::Config(
                "max_batch must be at least 1".to_string(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (tag, _) in &self.handlers {
            if matches!(tag.as_str(), "now" | "random" | "sleep") {
                return Err(RuntimeError::Config(format!(
                    "`{tag}` is a built-in request, answered by the runtime itself: it takes no handler"
                )));
            }
            if tag.is_empty() || tag.contains(char::is_whitespace) {
                return Err(RuntimeError::Config(format!(
                    "`{tag}` is not a tag: a handler names a symbol, as in --handler reserve=./reserve.sh"
                )));
            }
            if !seen.insert(tag) {
                return Err(RuntimeError::Config(format!(
                    "two handlers for `{tag}`: give each tag one"
                )));
            }
        }
        Ok(())
    }
}

/// Why the runtime refused or could not do what it was asked. A refusal
/// changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine refused: an unknown flow name, a flow not suspended, an
    /// answer for another position, a value that is not plain data, a
    /// limit that tripped, the program failing to load, ...
    #[error("{0}")]
    Engine(#[from] skein::Error),
    /// The store failed, or has no such flow.
    #[error("{0}")]
    Store(#[from] StoreFailure),
    /// Replaying the flow's log failed before reaching its pending request:
    /// its code no longer makes the requests its log records.
    #[error("flow {id} was not resumed: replaying its log failed: {message}")]
    Diverged {
        /// The flow.
        id: u64,
        /// Why.
        message: String,
    },
    /// Another process kept changing the flow: try again.
    #[error("flow {0} was changed by another process meanwhile: try again")]
    Conflict(u64),
    /// A configuration the runtime cannot work with.
    #[error("{0}")]
    Config(String),
    /// The runtime is stopping, or stopped.
    #[error("the runtime is shutting down")]
    ShuttingDown,
}

impl RuntimeError {
    /// The error is about a flow that does not exist.
    pub fn is_unknown_flow(&self) -> bool {
        matches!(
            self,
            RuntimeError::Store(StoreFailure::UnknownFlow(_))
                | RuntimeError::Engine(skein::Error::Flow(FlowError::UnknownFlow { .. }))
        )
    }
}

/// Where a flow stands after a step the runtime committed.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// The flow.
    pub id: u64,
    /// Its state after the step.
    pub state: State,
    /// The request it now waits on (position, tag, payload, deadline).
    pub pending: Option<PendingRequest>,
}

/// The running loop: one thread that owns the engine and the store and
/// commits steps in groups, and handler calls on a tokio runtime.
pub struct Runtime {
    inbox: mpsc::Sender<Msg>,
    worker: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
    /// Tells the notification thread to end.
    stop: Arc<AtomicBool>,
}

/// How often a runtime with notifications asks the store anyway.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// A thread that waits for the store's news of due work and wakes the
/// worker, until `stop`.
fn listen(
    mut notifier: Box<dyn Notifier>,
    inbox: mpsc::Sender<Msg>,
    stop: Arc<AtomicBool>,
) -> Result<(), RuntimeError> {
    std::thread::Builder::new()
        .name("skein-listen".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match notifier.wait(Duration::from_millis(500)) {
                    Ok(true) => {
                        if inbox.send(Msg::Wake).is_err() {
                            return;
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!("no news of due work from the store (it is polled): {e}");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
        })
        .map(drop)
        .map_err(|e| RuntimeError::Config(format!("cannot start listening: {e}")))
}

impl Runtime {
    /// Load `program` and start working on `store`'s flows. Handler calls
    /// run on the tokio runtime `tokio`. Refused: a program that does not
    /// load, a configuration it cannot use.
    pub fn start(
        store: impl RuntimeStore,
        program: Program,
        config: Config,
        tokio: tokio::runtime::Handle,
    ) -> Result<Runtime, RuntimeError> {
        config.check()?;
        let mut store = store;
        let metrics = Arc::new(Metrics::default());
        let (inbox, rx) = mpsc::channel();
        let notifier = store.notifier()?;
        let listening = notifier.is_some();
        let stop = Arc::new(AtomicBool::new(false));
        if let Some(notifier) = notifier {
            listen(notifier, inbox.clone(), stop.clone())?;
        }
        let config = Config {
            // News of other processes' work comes by notification: polling
            // is only the fallback for news that was lost.
            poll_interval: if listening {
                config.poll_interval.max(FALLBACK_POLL)
            } else {
                config.poll_interval
            },
            ..config
        };
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker = {
            let inbox = inbox.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("skein-worker".into())
                .spawn(move || {
                    match Worker::new(Box::new(store), &program, config, inbox, rx, tokio, metrics)
                    {
                        Ok(worker) => {
                            let _ = ready_tx.send(Ok(()));
                            worker.run();
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                })
                .map_err(|e| RuntimeError::Config(format!("cannot start the worker: {e}")))?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Runtime {
                inbox,
                worker: Some(worker),
                metrics,
                stop,
            }),
            Ok(Err(e)) => {
                stop.store(true, Ordering::Relaxed);
                let _ = worker.join();
                Err(e)
            }
            Err(_) => Err(RuntimeError::ShuttingDown),
        }
    }

    /// A handle to ask the runtime for work and reads; cheap to clone.
    pub fn client(&self) -> Client {
        Client {
            inbox: self.inbox.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// Finish the steps in hand, commit them, and stop. Handler calls under
    /// way are abandoned: their requests are tried again by the next
    /// runtime on this store.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.inbox.send(Msg::Shutdown);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asks a [`Runtime`] to work, and reads its store. Every call is answered
/// once what it did is committed.
#[derive(Clone)]
pub struct Client {
    inbox: mpsc::Sender<Msg>,
    metrics: Arc<Metrics>,
}

impl Client {
    async fn ask<T>(
        &self,
        msg: impl FnOnce(oneshot::Sender<Result<T, RuntimeError>>) -> Msg,
    ) -> Result<T, RuntimeError> {
        let (tx, rx) = oneshot::channel();
        self.inbox
            .send(msg(tx))
            .map_err(|_| RuntimeError::ShuttingDown)?;
        rx.await.map_err(|_| RuntimeError::ShuttingDown)?
    }

    /// Start flow `name` with `args`; it runs until it waits, finishes or fails.
    pub async fn start(&self, name: &str, args: Vec<Value>) -> Result<StepReport, RuntimeError> {
        let name = name.to_string();
        self.ask(|reply| Msg::Start { name, args, reply }).await
    }

    /// Answer flow `id`'s pending request (the one at `position`, if given:
    /// refused when the flow waits on another).
    pub async fn answer(
        &self,
        id: u64,
        position: Option<u64>,
        value: Value,
    ) -> Result<StepReport, RuntimeError> {
        let answer = skein::Answer::Response(value);
        self.ask(|reply| Msg::answer(id, position, answer, Some(reply)))
            .await
    }

    /// Fail flow `id`'s pending request: its `request` raises a
    /// `request-error?` error in the flow.
    pub async fn fail(
        &self,
        id: u64,
        position: Option<u64>,
        failure: RequestFailure,
    ) -> Result<StepReport, RuntimeError> {
        let answer = skein::Answer::Failure(failure);
        self.ask(|reply| Msg::answer(id, position, answer, Some(reply)))
            .await
    }

    /// Cancel suspended flow `id`.
    pub async fn cancel(&self, id: u64) -> Result<StepReport, RuntimeError> {
        self.ask(|reply| Msg::Cancel { id, reply }).await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn RuntimeStore) -> Result<T, StoreFailure> + Send + 'static,
    ) -> Result<T, RuntimeError> {
        self.ask(|reply| {
            Msg::Read(Box::new(move |store: &mut dyn RuntimeStore| {
                let _ = reply.send(f(store).map_err(RuntimeError::Store));
            }) as Read)
        })
        .await
    }

    /// Flows by id, filtered.
    pub async fn flows(&self, filter: Filter) -> Result<Vec<FlowInfo>, RuntimeError> {
        self.read(move |s| s.flows(&filter)).await
    }

    /// Flow `id`, with its log.
    pub async fn flow(&self, id: u64) -> Result<(FlowInfo, Vec<LogEntry>), RuntimeError> {
        self.read(move |s| Ok((s.flow(id)?, s.history(id)?))).await
    }

    /// Every dead letter.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, RuntimeError> {
        self.read(|s| s.dead_letters()).await
    }

    /// The whole store as a `skein-store` JSON document.
    pub async fn export_json(&self) -> Result<String, RuntimeError> {
        self.read(|s| s.export_json()).await
    }

    /// The runtime's metrics, in Prometheus text format.
    pub fn metrics(&self) -> String {
        self.metrics.render()
    }
}
