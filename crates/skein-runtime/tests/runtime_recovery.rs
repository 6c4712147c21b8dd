//! The runtime's loop recovering from what goes wrong: a warm set smaller
//! than a batch, handlers that panic or answer what the flow cannot take,
//! limits, failed commits, handlers configured later, shutdown with
//! handlers under way. Each was a bug found in review (on 387abbf): the
//! comment above a test says what went wrong then.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skein::{Limits, Value};
use skein_runtime::{Backoff, Client, Config, Handler, Program, Runtime, State};
use skein_sqlite::Store;

const FLOWS: &str = r#"
(defflow nap (lambda (seconds) (flow/sleep seconds) 'awake))
(defflow naps (lambda (seconds) (flow/sleep seconds) (flow/sleep seconds) 'rested))
(defflow nap-then-ask (lambda (seconds) (flow/sleep seconds) (request 'approve '())))
(defflow order (lambda (id) (list 'reserved (request 'reserve id))))
(defflow dice (lambda () (flow/random 6)))
(defflow heavy
  (lambda ()
    (let loop ((i 0)) (if (< i 1000000) (loop (+ i 1)) 'done))))
"#;

struct Fixture {
    dir: tempfile::TempDir,
    tokio: tokio::runtime::Runtime,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("flows.flow"), FLOWS).unwrap();
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Fixture { dir, tokio }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("skein.db")
    }

    fn flow_file(&self) -> std::path::PathBuf {
        self.dir.path().join("flows.flow")
    }

    fn runtime(&self, config: Config) -> Runtime {
        let store = Store::open_or_create(self.db()).unwrap();
        let program = Program::new([self.flow_file()]);
        let config = Config {
            poll_interval: Duration::from_millis(20),
            ..config
        };
        Runtime::start(store, program, config, self.tokio.handle().clone()).unwrap()
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.tokio.block_on(f)
    }

    /// Flow `id`'s state once it is no longer suspended, or `None` after `within`.
    fn finished_within(&self, client: &Client, id: u64, within: Duration) -> Option<State> {
        let deadline = Instant::now() + within;
        loop {
            let (info, _) = self.block(client.flow(id)).unwrap();
            if !matches!(info.state, State::Suspended { .. }) {
                return Some(info.state);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn sym(s: &str) -> Value {
    Value::symbol(s)
}

fn quick_retries(retries: u32) -> Backoff {
    Backoff {
        retries,
        first_delay: Duration::from_millis(10),
        ..Backoff::default()
    }
}

/// With fewer warm slots than flows in one batch, `keep_warm` after the
/// commit evicts from the engine a flow whose step is later in the same
/// batch, then the later `keep_warm` marks it warm again: the LRU says warm,
/// the engine has no such flow. Every later step on it is refused as an
/// unknown flow, so its next sleep never wakes.
#[test]
fn a_flow_evicted_in_the_batch_that_stepped_it_still_wakes() {
    let f = Fixture::new();
    let (a, b) = {
        // Both flows sleep while no runtime runs, so that the next one
        // claims both in one batch.
        let mut other = Store::open_or_create(f.db()).unwrap();
        let a = other
            .start(&f.flow_file(), "nap", vec![Value::Real(0.2)])
            .unwrap()
            .id;
        let b = other
            .start(&f.flow_file(), "naps", vec![Value::Real(0.3)])
            .unwrap()
            .id;
        (a, b)
    };
    std::thread::sleep(Duration::from_millis(400));
    let runtime = f.runtime(Config {
        warm_flows: 1,
        ..Config::default()
    });
    let client = runtime.client();
    assert_eq!(
        f.finished_within(&client, a, Duration::from_secs(5)),
        Some(State::Done(sym("awake")))
    );
    // b's second sleep is 0.3 s: it should be done well within 5 s.
    let state = f.finished_within(&client, b, Duration::from_secs(5));
    assert_eq!(
        state,
        Some(State::Done(sym("rested"))),
        "flow {b} never woke from its second sleep"
    );
}

/// The same phantom, seen from the HTTP API's side: an answer to a flow
/// that exists is refused as "unknown flow".
#[test]
fn a_flow_evicted_in_the_batch_that_stepped_it_can_be_cancelled() {
    let f = Fixture::new();
    let (a, b) = {
        let mut other = Store::open_or_create(f.db()).unwrap();
        let a = other
            .start(&f.flow_file(), "nap", vec![Value::Real(0.1)])
            .unwrap()
            .id;
        let b = other
            .start(&f.flow_file(), "nap-then-ask", vec![Value::Real(0.1)])
            .unwrap()
            .id;
        (a, b)
    };
    // b is stepped in the same batch as a (both wake), and was left a phantom.
    std::thread::sleep(Duration::from_millis(300));
    let runtime = f.runtime(Config {
        warm_flows: 1,
        ..Config::default()
    });
    let client = runtime.client();
    assert!(f
        .finished_within(&client, a, Duration::from_secs(5))
        .is_some());
    std::thread::sleep(Duration::from_millis(500));
    // A cancel goes through the same warm-up path.
    let cancelled = f.block(client.cancel(b));
    assert!(
        cancelled.is_ok(),
        "cancelling flow {b}, which is suspended in the store: {cancelled:?}"
    );
}

/// A Rust handler that panics: its task dies without reporting, the flow
/// stays `in_flight` forever, and every time its claim runs out the worker
/// sees it "still under way" and claims it again. Never retried, never
/// dead-lettered.
#[test]
fn a_panicking_handler_fails_its_attempt_and_is_retried() {
    let f = Fixture::new();
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let boom = Handler::rust(move |_| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                panic!("the handler has a bug");
            }
            Ok(sym("ok"))
        }
    });
    let runtime = f.runtime(Config {
        handlers: vec![("reserve".into(), boom)],
        backoff: quick_retries(3),
        handler_timeout: Duration::from_millis(200),
        ..Config::default()
    });
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-1")]))
        .unwrap()
        .id;
    // The lease is handler timeout + 5 s = 5.2 s; allow two of them.
    let state = f.finished_within(&client, id, Duration::from_secs(12));
    assert_eq!(
        (state, calls.load(Ordering::SeqCst)),
        (
            Some(State::Done(Value::list([sym("reserved"), sym("ok")]))),
            2
        ),
        "a panicked attempt should count as a failed one and be retried"
    );
}

/// A handler whose answer the engine refuses (here: nested deeper than
/// plain data may be): the answer is dropped at debug level, the attempt is
/// not counted as failed, and the handler is called again as attempt 1
/// every time the claim runs out — forever, with no dead letter.
#[test]
fn a_handler_answer_the_flow_refuses_is_a_failed_attempt_then_a_dead_letter() {
    let f = Fixture::new();
    let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let deep = Handler::rust(move |req| {
        seen.lock().unwrap().push(req.attempt);
        async move {
            let mut v = Value::from(0);
            for _ in 0..1100 {
                v = Value::list([v]);
            }
            Ok(v)
        }
    });
    let runtime = f.runtime(Config {
        handlers: vec![("reserve".into(), deep)],
        backoff: quick_retries(1),
        handler_timeout: Duration::from_millis(100),
        ..Config::default()
    });
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-1")]))
        .unwrap()
        .id;
    // retries 1: at most two attempts, then a failed request and a dead
    // letter. Give it two leases (5.1 s each).
    let state = f.finished_within(&client, id, Duration::from_secs(11));
    let attempts = attempts.lock().unwrap().clone();
    let letters = f.block(client.dead_letters()).unwrap();
    assert!(
        state.is_some() && letters.len() == 1,
        "state {state:?}, attempts {attempts:?}, dead letters {letters:?}"
    );
}

/// The same for a limit that trips in the step the handler's answer runs.
#[test]
fn a_handler_answer_whose_step_trips_a_limit_is_not_retried_forever() {
    const HEAVY_AFTER: &str = r#"
(defflow order
  (lambda (id)
    (let ((r (request 'reserve id)))
      (let loop ((i 0)) (if (< i 1000000) (loop (+ i 1)) r)))))
"#;
    let f = Fixture::new();
    std::fs::write(f.flow_file(), HEAVY_AFTER).unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let ok = Handler::rust(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok(sym("ok")) }
    });
    let limits = Limits {
        max_steps: Some(100_000),
        ..Limits::default()
    };
    let runtime = f.runtime(Config {
        handlers: vec![("reserve".into(), ok)],
        backoff: quick_retries(1),
        handler_timeout: Duration::from_millis(100),
        limits,
        ..Config::default()
    });
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-1")]))
        .unwrap()
        .id;
    let state = f.finished_within(&client, id, Duration::from_secs(11));
    let (_, history) = f.block(client.flow(id)).unwrap();
    assert!(
        state.is_some() || !history.is_empty(),
        "the handler answered {} times; nothing was ever recorded (state {state:?})",
        calls.load(Ordering::SeqCst)
    );
}

/// A flow that began waiting on `reserve` while no handler served it is
/// parked with no due time; a runtime started later with a `reserve`
/// handler never hands it over.
#[test]
fn a_handler_configured_later_serves_flows_already_waiting() {
    let f = Fixture::new();
    let id = {
        let runtime = f.runtime(Config::default());
        let id = f
            .block(runtime.client().start("order", vec![Value::from("o-1")]))
            .unwrap()
            .id;
        runtime.shutdown();
        id
    };
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let ok = Handler::rust(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok(sym("ok")) }
    });
    let runtime = f.runtime(Config {
        handlers: vec![("reserve".into(), ok)],
        ..Config::default()
    });
    let state = f.finished_within(&runtime.client(), id, Duration::from_secs(5));
    assert_eq!(
        state,
        Some(State::Done(Value::list([sym("reserved"), sym("ok")]))),
        "handler calls: {}",
        calls.load(Ordering::SeqCst)
    );
}

/// docs/serve.md: "A server stopped by SIGTERM releases its claims as it
/// stops, so a restart retries at once." Not for a flow that was not warm
/// when its attempt was dispatched (here: started by another process):
/// `release_in_flight` only knows versions of warm flows.
#[test]
fn shutdown_releases_the_claim_of_a_flow_that_was_not_warm() {
    let f = Fixture::new();
    let id = Store::open_or_create(f.db())
        .unwrap()
        .start(&f.flow_file(), "order", vec![Value::from("o-1")])
        .unwrap()
        .id;
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let hang = Handler::rust(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(sym("late"))
        }
    });
    {
        let runtime = f.runtime(Config {
            handlers: vec![("reserve".into(), hang)],
            handler_timeout: Duration::from_secs(10),
            ..Config::default()
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while calls.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the handler was never called");
            std::thread::sleep(Duration::from_millis(10));
        }
        runtime.shutdown();
    }
    let ok = Handler::rust(|_| async { Ok(sym("ok")) });
    let runtime = f.runtime(Config {
        handlers: vec![("reserve".into(), ok)],
        ..Config::default()
    });
    // Released: tried again at once. Not released: after the 15 s lease.
    let state = f.finished_within(&runtime.client(), id, Duration::from_secs(3));
    assert!(
        state.is_some(),
        "the restarted runtime waited for the old claim"
    );
}

/// SPEC: "Ids are integers from 1, deterministic per store; a refused start
/// uses no id." A start refused because a limit tripped uses one in the
/// shared engine, and the next start skips it.
#[test]
fn a_start_refused_by_a_limit_uses_no_id() {
    let f = Fixture::new();
    let limits = Limits {
        max_steps: Some(100_000),
        ..Limits::default()
    };
    let runtime = f.runtime(Config {
        limits,
        ..Config::default()
    });
    let client = runtime.client();
    assert!(f.block(client.start("heavy", vec![])).is_err());
    let id = f.block(client.start("dice", vec![])).unwrap().id;
    assert_eq!(id, 1, "the refused start took an id");
}

/// A store that fails the first commit holding an update of flow `fail_for`.
struct FlakyStore {
    inner: Store,
    fail_for: u64,
    failed: Arc<AtomicU32>,
}

impl skein_runtime::RuntimeStore for FlakyStore {
    fn name(&self) -> String {
        skein_runtime::RuntimeStore::name(&self.inner)
    }
    fn next_id(&mut self) -> skein_runtime::StoreResult<u64> {
        skein_runtime::RuntimeStore::next_id(&mut self.inner)
    }
    fn load(&mut self, id: u64) -> skein_runtime::StoreResult<skein_runtime::Loaded> {
        skein_runtime::RuntimeStore::load(&mut self.inner, id)
    }
    fn claim_due(
        &mut self,
        now: skein::Timestamp,
        lease_until: skein::Timestamp,
        limit: usize,
    ) -> skein_runtime::StoreResult<Vec<skein_runtime::Due>> {
        self.inner.claim_due(now, lease_until, limit)
    }
    fn next_due(&mut self) -> skein_runtime::StoreResult<Option<skein::Timestamp>> {
        self.inner.next_due()
    }
    fn make_waiting_due(&mut self, now: skein::Timestamp) -> skein_runtime::StoreResult<u64> {
        self.inner.make_waiting_due(now)
    }
    fn commit(
        &mut self,
        writes: &[skein_runtime::Write],
    ) -> skein_runtime::StoreResult<Vec<skein_runtime::Applied>> {
        let hit = writes.iter().any(
            |w| matches!(w, skein_runtime::Write::Update { tail, .. } if tail.id == self.fail_for),
        );
        if hit && self.failed.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(skein_runtime::StoreFailure::Other(
                "database is locked (simulated SQLITE_BUSY)".into(),
            ));
        }
        self.inner.commit(writes)
    }
    fn flows(
        &mut self,
        filter: &skein_runtime::Filter,
    ) -> skein_runtime::StoreResult<Vec<skein_runtime::FlowInfo>> {
        skein_runtime::RuntimeStore::flows(&mut self.inner, filter)
    }
    fn flow(&mut self, id: u64) -> skein_runtime::StoreResult<skein_runtime::FlowInfo> {
        skein_runtime::RuntimeStore::flow(&mut self.inner, id)
    }
    fn history(&mut self, id: u64) -> skein_runtime::StoreResult<Vec<skein::LogEntry>> {
        skein_runtime::RuntimeStore::history(&mut self.inner, id)
    }
    fn dead_letters(&mut self) -> skein_runtime::StoreResult<Vec<skein_runtime::DeadLetter>> {
        skein_runtime::RuntimeStore::dead_letters(&mut self.inner)
    }
    fn export_json(&mut self) -> skein_runtime::StoreResult<String> {
        skein_runtime::RuntimeStore::export_json(&mut self.inner)
    }
}

/// One failed commit (a transient SQLITE_BUSY: another process held the
/// write lock past the busy timeout) drops the steps of its batch that no
/// host waits on — a timer firing, a deadline, a handler's answer — and
/// nothing puts them back: the flow waits until its claim runs out
/// (handler timeout + 5 s, 35 s by default), and a handler is called again.
#[test]
fn a_failed_commit_does_not_delay_a_timer_by_a_whole_claim() {
    let f = Fixture::new();
    let id = Store::open_or_create(f.db())
        .unwrap()
        .start(&f.flow_file(), "nap", vec![Value::Real(0.2)])
        .unwrap()
        .id;
    let failed = Arc::new(AtomicU32::new(0));
    let store = FlakyStore {
        inner: Store::open_or_create(f.db()).unwrap(),
        fail_for: id,
        failed: failed.clone(),
    };
    let config = Config {
        poll_interval: Duration::from_millis(20),
        handler_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let runtime = Runtime::start(
        store,
        Program::new([f.flow_file()]),
        config,
        f.tokio.handle().clone(),
    )
    .unwrap();
    let state = f.finished_within(&runtime.client(), id, Duration::from_secs(4));
    assert_eq!(
        state,
        Some(State::Done(sym("awake"))),
        "after one failed commit ({} commits refused) the 0.2 s nap waits for its 10 s claim",
        failed.load(Ordering::SeqCst)
    );
}
