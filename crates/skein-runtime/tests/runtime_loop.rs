//! The runtime's loop on a real SQLite store: built-in requests, durable
//! timers, deadlines, handlers that fail, hang or succeed, dead letters,
//! answers from outside, and other processes writing to the same store.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skein::{Answer, FlowStatus, RequestFailure, Timestamp, Value};
use skein_runtime::{Backoff, Client, Config, Filter, Handler, Program, Runtime, State};
use skein_sqlite::Store;

const FLOWS: &str = r#"
(defflow nap (lambda (seconds) (flow/sleep seconds) 'awake))
(defflow dice (lambda () (list (flow/random 6) (flow/now))))
(defflow order
  (lambda (id)
    (guard (e ((request-error? e)
               (list 'gave-up (error-object-message e) (request-timeout? e))))
      (list 'reserved (request 'reserve id) 'paid (request 'payment id)))))
(defflow approval
  (lambda ()
    (guard (e ((request-timeout? e) 'timed-out))
      (request 'approve '() :timeout 0.3))))
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

    fn runtime(&self, config: Config) -> Runtime {
        let store = Store::open_or_create(self.db()).unwrap();
        let program = Program::new([self.dir.path().join("flows.flow")]);
        let config = Config {
            poll_interval: Duration::from_millis(20),
            ..config
        };
        Runtime::start(store, program, config, self.tokio.handle().clone()).unwrap()
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.tokio.block_on(f)
    }

    /// Wait (bounded) until flow `id` is no longer suspended; its state.
    fn finished(&self, client: &Client, id: u64) -> State {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (info, _) = self.block(client.flow(id)).unwrap();
            if !matches!(info.state, State::Suspended { .. }) {
                return info.state;
            }
            assert!(
                Instant::now() < deadline,
                "flow {id} never finished: {info:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn quick_retries(retries: u32) -> Backoff {
    Backoff {
        retries,
        first_delay: Duration::from_millis(10),
        ..Backoff::default()
    }
}

fn sym(s: &str) -> Value {
    Value::symbol(s)
}

#[test]
fn now_and_random_are_answered_in_the_step_that_asks() {
    let f = Fixture::new();
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let before = Timestamp::now().millis() as f64 / 1000.0;
    let report = f.block(client.start("dice", vec![])).unwrap();
    let State::Done(Value::List(items)) = report.state else {
        panic!("{report:?}")
    };
    let Value::Int(roll) = items[0] else {
        panic!("{items:?}")
    };
    assert!((0..6).contains(&roll));
    let Value::Real(now) = items[1] else {
        panic!("{items:?}")
    };
    assert!(now >= before && now < before + 60.0, "{now} vs {before}");
    let (_, history) = f.block(client.flow(report.id)).unwrap();
    let tags: Vec<_> = history.iter().map(|e| e.tag.clone()).collect();
    assert_eq!(tags, [sym("random"), sym("now")]);
}

#[test]
fn a_sleep_wakes_at_its_time_and_not_before() {
    let f = Fixture::new();
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let asked = Timestamp::now();
    let report = f
        .block(client.start("nap", vec![Value::Real(0.3)]))
        .unwrap();
    assert_eq!(
        report.state,
        State::Suspended {
            tag: sym("sleep"),
            payload: Value::Real(0.3)
        }
    );
    assert_eq!(f.finished(&client, report.id), State::Done(sym("awake")));
    let (_, history) = f.block(client.flow(report.id)).unwrap();
    assert_eq!(history[0].answer, Answer::Response(Value::Bool(true)));
    let woke = history[0].at.expect("the answer's time");
    assert!(woke >= asked.after(0.3), "woke at {woke}, asked at {asked}");
}

#[test]
fn a_sleep_outlives_the_runtime_that_started_it() {
    let f = Fixture::new();
    let id = {
        let runtime = f.runtime(Config::default());
        let report = f
            .block(runtime.client().start("nap", vec![Value::Real(0.5)]))
            .unwrap();
        runtime.shutdown();
        report.id
    };
    // Nothing runs while no runtime does: the flow still sleeps.
    let info = Store::open(f.db()).unwrap().flow(id).unwrap();
    assert!(matches!(info.state, State::Suspended { .. }));
    let runtime = f.runtime(Config::default());
    assert_eq!(f.finished(&runtime.client(), id), State::Done(sym("awake")));
}

#[test]
fn a_request_past_its_deadline_fails_as_a_timeout() {
    let f = Fixture::new();
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let report = f.block(client.start("approval", vec![])).unwrap();
    let pending = report.pending.expect("it waits");
    assert!(pending.deadline.is_some());
    assert_eq!(
        f.finished(&client, report.id),
        State::Done(sym("timed-out"))
    );
    // The deadline's answer is logged once, as a timeout.
    let (_, history) = f.block(client.flow(report.id)).unwrap();
    assert_eq!(history.len(), 1);
    assert!(matches!(&history[0].answer, Answer::Failure(f) if f.timeout));
}

/// A handler that fails its first `failures` attempts, counting them all.
fn flaky(failures: u32, calls: Arc<AtomicU32>) -> Handler {
    Handler::rust(move |req| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if n <= failures {
                Err(format!("attempt {} failed", req.attempt))
            } else {
                Ok(Value::list([sym("ok"), req.payload]))
            }
        }
    })
}

#[test]
fn a_handler_that_fails_then_succeeds_is_retried_and_logged_once() {
    let f = Fixture::new();
    let (reserves, payments) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let config = Config {
        handlers: vec![
            ("reserve".into(), flaky(2, reserves.clone())),
            ("payment".into(), flaky(0, payments.clone())),
        ],
        backoff: quick_retries(5),
        ..Config::default()
    };
    let runtime = f.runtime(config);
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-1")]))
        .unwrap()
        .id;
    let done = f.finished(&client, id);
    let ok = |v: &str| Value::list([sym("ok"), Value::from(v)]);
    assert_eq!(
        done,
        State::Done(Value::list([
            sym("reserved"),
            ok("o-1"),
            sym("paid"),
            ok("o-1")
        ]))
    );
    assert_eq!(reserves.load(Ordering::SeqCst), 3);
    assert_eq!(payments.load(Ordering::SeqCst), 1);
    let (_, history) = f.block(client.flow(id)).unwrap();
    assert_eq!(history.len(), 2, "each request answered once: {history:?}");
    assert!(f.block(client.dead_letters()).unwrap().is_empty());
}

#[test]
fn a_handler_that_always_fails_fails_the_request_and_leaves_a_dead_letter() {
    let f = Fixture::new();
    let calls = Arc::new(AtomicU32::new(0));
    let config = Config {
        handlers: vec![("reserve".into(), flaky(u32::MAX, calls.clone()))],
        backoff: quick_retries(2),
        ..Config::default()
    };
    let runtime = f.runtime(config);
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-2")]))
        .unwrap()
        .id;
    let State::Done(Value::List(gave_up)) = f.finished(&client, id) else {
        panic!()
    };
    assert_eq!(gave_up[0], sym("gave-up"));
    let Value::Str(message) = &gave_up[1] else {
        panic!("{gave_up:?}")
    };
    assert!(
        message.contains("failed 3 times") && message.contains("attempt 3 failed"),
        "{message}"
    );
    assert_eq!(gave_up[2], Value::Bool(false));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let letters = f.block(client.dead_letters()).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!((letter.flow, letter.position, letter.attempts), (id, 0, 3));
    assert_eq!(letter.tag, sym("reserve"));
    assert_eq!(letter.error, "attempt 3 failed");
}

#[test]
fn a_handler_that_hangs_past_its_timeout_counts_as_failed() {
    let f = Fixture::new();
    let hang = Handler::rust(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(sym("too-late"))
    });
    let config = Config {
        handlers: vec![("reserve".into(), hang)],
        backoff: quick_retries(1),
        handler_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let runtime = f.runtime(config);
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-3")]))
        .unwrap()
        .id;
    assert!(
        matches!(f.finished(&client, id), State::Done(Value::List(v)) if v[0] == sym("gave-up"))
    );
    let letters = f.block(client.dead_letters()).unwrap();
    assert!(
        letters[0].error.contains("no answer within 0.1 s"),
        "{letters:?}"
    );
    assert_eq!(letters[0].attempts, 2);
}

#[test]
fn an_answer_is_for_one_position_and_is_taken_once() {
    let f = Fixture::new();
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-4")]))
        .unwrap()
        .id;
    let report = f.block(client.answer(id, Some(0), sym("north"))).unwrap();
    assert_eq!(report.pending.map(|p| p.position), Some(1));
    // The webhook delivered twice: refused, and nothing changes.
    let again = f
        .block(client.answer(id, Some(0), sym("north")))
        .unwrap_err();
    assert!(
        matches!(
            again,
            skein_runtime::RuntimeError::Engine(skein::Error::Flow(
                skein::FlowError::WrongPosition {
                    position: 0,
                    pending: 1,
                    ..
                }
            ))
        ),
        "{again:?}"
    );
    let (_, history) = f.block(client.flow(id)).unwrap();
    assert_eq!(history.len(), 1);
    let failed = f
        .block(client.fail(id, Some(1), RequestFailure::new("card declined")))
        .unwrap();
    assert_eq!(
        failed.state,
        State::Done(Value::list([
            sym("gave-up"),
            Value::from("card declined"),
            Value::Bool(false)
        ]))
    );
}

#[test]
fn work_written_by_other_processes_is_noticed_and_never_overwritten() {
    let f = Fixture::new();
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let flow_file = f.dir.path().join("flows.flow");
    // Started by another process: the runtime notices it and wakes it.
    let mut other = Store::open_or_create(f.db()).unwrap();
    let napping = other
        .start(&flow_file, "nap", vec![Value::from(0)])
        .unwrap()
        .id;
    assert_eq!(f.finished(&client, napping), State::Done(sym("awake")));

    // A flow warm in the runtime, then answered by another process.
    let id = f
        .block(client.start("order", vec![Value::from("o-5")]))
        .unwrap()
        .id;
    other.resume(id, sym("south"), None).unwrap();
    // The runtime's answer for the same position is refused, not written over it.
    let refused = f
        .block(client.answer(id, Some(0), sym("north")))
        .unwrap_err();
    assert!(refused.to_string().contains("position"), "{refused}");
    let (info, history) = f.block(client.flow(id)).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].answer, Answer::Response(sym("south")));
    assert_eq!(info.pending.map(|p| p.position), Some(1));
    // And the runtime goes on from the other process's answer.
    let done = f
        .block(client.answer(id, Some(1), Value::from(1800)))
        .unwrap();
    assert_eq!(
        done.state,
        State::Done(Value::list([
            sym("reserved"),
            sym("south"),
            sym("paid"),
            Value::from(1800)
        ]))
    );
    let listed = f
        .block(client.flows(Filter {
            status: Some(FlowStatus::Done),
            waiting: None,
        }))
        .unwrap();
    assert_eq!(listed.len(), 2);
}

#[test]
fn a_command_handler_gets_the_request_and_its_identity() {
    let f = Fixture::new();
    let script = f.dir.path().join("reserve.sh");
    // Answers with what it was given: its environment and the stdin JSON's tag.
    std::fs::write(
        &script,
        "read -r body\ncase \"$body\" in *'\"tag\":{\"symbol\":\"reserve\"}'*) tag=reserve;; *) tag=other;; esac\n\
         echo \"($tag $SKEIN_FLOW_ID $SKEIN_POSITION $SKEIN_ATTEMPT \\\"$SKEIN_IDEMPOTENCY_KEY\\\")\"\n",
    )
    .unwrap();
    let config = Config {
        handlers: vec![(
            "reserve".into(),
            Handler::parse(&format!("sh {}", script.display())).unwrap(),
        )],
        ..Config::default()
    };
    let runtime = f.runtime(config);
    let client = runtime.client();
    let id = f
        .block(client.start("order", vec![Value::from("o-6")]))
        .unwrap()
        .id;
    let deadline = Instant::now() + Duration::from_secs(20);
    let history = loop {
        let (_, history) = f.block(client.flow(id)).unwrap();
        if !history.is_empty() {
            break history;
        }
        assert!(Instant::now() < deadline, "the handler never answered");
        std::thread::sleep(Duration::from_millis(10));
    };
    let expected = Value::parse(&format!("(reserve {id} 0 1 \"skein-{id}-0\")")).unwrap();
    assert_eq!(history[0].answer, Answer::Response(expected));
}

/// The value of counter `name` in the runtime's metrics.
fn counter(client: &Client, name: &str) -> u64 {
    let text = client.metrics();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_warm_flow_is_stepped_without_replay_and_a_cold_one_is_rebuilt_once() {
    let f = Fixture::new();
    let id = {
        let runtime = f.runtime(Config::default());
        let client = runtime.client();
        let id = f
            .block(client.start("order", vec![Value::from("o-7")]))
            .unwrap()
            .id;
        f.block(client.answer(id, Some(0), sym("north"))).unwrap();
        // Started here and warm since: never read back from the store.
        assert_eq!(counter(&client, "skein_rebuilds_total"), 0);
        id
    };
    let runtime = f.runtime(Config::default());
    let client = runtime.client();
    let done = f
        .block(client.answer(id, Some(1), Value::from(1800)))
        .unwrap();
    assert!(matches!(done.state, State::Done(_)));
    // A new runtime read the flow from the store once, to rebuild it.
    assert_eq!(counter(&client, "skein_rebuilds_total"), 1);
    assert_eq!(counter(&client, "skein_steps_total"), 1);
}
