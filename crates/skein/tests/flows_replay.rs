//! Replay after import: divergence is detected and reported without touching
//! the log; a flow whose definition is missing waits until it is defined; a
//! flow replays at most once per import; long histories replay.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{engine, ev, ev_str, list, s, sym};
use skein::{Engine, Error, FlowError, FlowStatus, Step, Value};

const ORIGINAL: &str = "(defflow f
  (lambda (x)
    (let* ((a (request 'a x))
           (b (request 'b a)))
      (list a b (request 'c b)))))";

/// The same flow, but the second request now has tag `B` (line 4, col 15).
const CHANGED_SECOND: &str = "(defflow f
  (lambda (x)
    (let* ((a (request 'a x))
           (b (request 'B a)))
      (list a b (request 'c b)))))";

/// The same flow, but the pending (third) request now has tag `C`.
const CHANGED_PENDING: &str = "(defflow f
  (lambda (x)
    (let* ((a (request 'a x))
           (b (request 'b a)))
      (list a b (request 'C b)))))";

fn engine_from(name: &str, source: &str) -> Engine {
    let mut e = engine();
    e.eval_source(name, source)
        .unwrap_or_else(|err| panic!("{}", err.report()));
    e
}

/// A store with flow 1 (`f`) suspended at its third request, `c`, after
/// answering `a` with 10 and `b` with 20.
fn suspended_export() -> String {
    let mut e = engine_from("original.flow", ORIGINAL);
    assert_eq!(
        e.start("f", vec![Value::from(1)]).unwrap(),
        Step::Suspended {
            id: 1,
            tag: sym("a"),
            payload: Value::from(1)
        }
    );
    e.resume(1, Value::from(10)).unwrap();
    e.resume(1, Value::from(20)).unwrap();
    e.export_json().unwrap()
}

fn expected_log() -> Vec<(Value, Value)> {
    vec![(sym("a"), Value::from(10)), (sym("b"), Value::from(20))]
}

fn failed_message(step: Step) -> String {
    match step {
        Step::Failed { id: 1, error } => error,
        other => panic!("expected flow 1 to fail, got {other:?}"),
    }
}

#[test]
fn divergence_fails_the_flow_naming_flow_position_tags_and_location() {
    let json = suspended_export();
    let mut e = engine_from("changed.flow", CHANGED_SECOND);
    e.import_json(&json).unwrap();
    let error = failed_message(e.resume(1, Value::from(30)).unwrap());
    for part in [
        "changed.flow:4:",
        "replay diverged",
        "flow 1",
        "(f)",
        "log position 1",
        "the log has tag b",
        "the code now requests B",
    ] {
        assert!(error.contains(part), "{part:?} missing from: {error}");
    }
    assert!(
        error.starts_with("changed.flow:4:15: "),
        "located at the diverging request: {error}"
    );
    assert_eq!(e.status(1), Some(FlowStatus::Failed));
    // A host matches the divergence by kind: position and both tags.
    assert_eq!(
        e.result(1),
        Err(Error::Flow(FlowError::Diverged {
            id: 1,
            flow: "f".into(),
            position: 1,
            logged: sym("b"),
            requested: Some(sym("B")),
        }))
    );
    assert_eq!(
        e.log(1),
        Some(expected_log()),
        "the log is intact: the response 30 was not appended"
    );
    assert!(e.pending().is_empty());
    // The failed flow exports with its log, and stays failed.
    let after = e.export_json().unwrap();
    let mut again = engine_from("changed.flow", CHANGED_SECOND);
    again.import_json(&after).unwrap();
    assert_eq!(again.log(1), Some(expected_log()));
    assert_eq!(again.status(1), Some(FlowStatus::Failed));

    // The same export, imported where the original code runs, continues fine.
    let mut good = engine_from("original.flow", ORIGINAL);
    good.import_json(&json).unwrap();
    assert_eq!(
        good.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![Value::from(10), Value::from(20), Value::from(30)])
        }
    );
}

#[test]
fn divergence_at_the_pending_request_is_detected_too() {
    let json = suspended_export();
    let mut e = engine_from("changed.flow", CHANGED_PENDING);
    e.import_json(&json).unwrap();
    let error = failed_message(e.resume(1, Value::from(30)).unwrap());
    assert!(error.starts_with("changed.flow:5:"), "{error}");
    assert!(error.contains("log position 2"), "{error}");
    assert!(
        error.contains("tag c") && error.contains("requests C"),
        "{error}"
    );
    assert_eq!(e.log(1), Some(expected_log()));
}

#[test]
fn divergence_seen_from_scheme_and_other_flows_unaffected() {
    let mut e = engine_from("original.flow", ORIGINAL);
    ev(
        &mut e,
        "(flow/start f 1) (flow/resume 1 10) (flow/start f 2)",
    );
    let saved = ev(&mut e, "(define saved (flow-store-export)) 'ok");
    assert_eq!(saved, sym("ok"));
    e.eval_source("changed.flow", CHANGED_SECOND).unwrap();
    ev(&mut e, "(flow-store-import! saved)");
    let step = ev_str(&mut e, "(flow/resume 1 99)");
    assert!(
        step.starts_with("(flow-failed 1 \"changed.flow:4:15: replay diverged in flow 1"),
        "{step}"
    );
    assert_eq!(ev_str(&mut e, "(flow/log 1)"), "((a 10))");
    // Flow 2 has an empty log: its pending request `a` still matches.
    assert_eq!(
        ev_str(&mut e, "(flow/resume 2 5)"),
        "(flow-suspended 2 B 5)"
    );
}

#[test]
fn a_changed_payload_with_the_same_tag_is_not_a_divergence() {
    // Replay checks tags only: the log holds responses, not payloads.
    let json = suspended_export();
    let mut e = engine_from(
        "payload.flow",
        "(defflow f
           (lambda (x)
             (let* ((a (request 'a (list 'changed x)))
                    (b (request 'b (* a 100))))
               (list a b (request 'c 'changed)))))",
    );
    e.import_json(&json).unwrap();
    assert_eq!(
        e.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![Value::from(10), Value::from(20), Value::from(30)])
        }
    );
}

#[test]
fn replayed_code_that_finishes_early_is_a_divergence() {
    let json = suspended_export();
    let mut e = engine_from(
        "early.flow",
        "(defflow f (lambda (x) (let ((a (request 'a x))) (display \"early\") (list 'early a))))",
    );
    e.import_json(&json).unwrap();
    let step = e.resume(1, Value::from(30)).unwrap();
    // Observed: Step::Done { id: 1, value: (early 10) }, no output at all.
    let error = failed_message(step);
    assert!(error.contains("replay diverged"), "{error}");
    assert!(
        error.contains("flow 1") && error.contains("log position 1"),
        "{error}"
    );
    assert_eq!(e.status(1), Some(FlowStatus::Failed));
    assert_eq!(e.log(1), Some(expected_log()));
}

#[test]
fn an_error_raised_while_replaying_fails_the_flow_and_keeps_the_log() {
    let json = suspended_export();
    let mut e = engine_from(
        "raises.flow",
        "(defflow f (lambda (x) (let ((a (request 'a x))) (error \"no longer supported\" a))))",
    );
    e.import_json(&json).unwrap();
    let error = failed_message(e.resume(1, Value::from(30)).unwrap());
    assert!(error.starts_with("raises.flow:1:"), "{error}");
    assert!(error.contains("no longer supported 10"), "{error}");
    assert_eq!(e.log(1), Some(expected_log()));
    // Output is back to normal after a replay that failed.
    ev(&mut e, "(display \"visible\")");
    assert_eq!(e.take_output(), "visible");
}

#[test]
fn an_unbound_flow_name_at_rebuild_is_an_error_that_changes_nothing() {
    let json = suspended_export();
    // Import needs no definitions.
    let mut e = engine();
    e.import_json(&json).unwrap();
    assert_eq!(e.pending(), vec![(1, sym("c"), Value::from(20))]);
    assert_eq!(ev_str(&mut e, "(flow/waiting 1)"), "(c 20)");

    let err = e.resume(1, Value::from(30)).unwrap_err();
    let Error::Flow(refusal @ FlowError::NotRebuildable { id: 1, name }) = &err else {
        panic!("expected Error::Flow(NotRebuildable), got {err:?}")
    };
    assert_eq!(name, "f");
    let message = refusal.to_string();
    assert!(
        message.contains("`f` is not defined as a flow"),
        "{message}"
    );
    assert!(message.contains("flow 1"), "{message}");
    assert_eq!(e.export_json().unwrap(), json, "nothing changed");
    assert_eq!(e.status(1), Some(FlowStatus::Suspended));

    // Bound, but not to a flow: the same.
    ev(&mut e, "(define f 5)");
    assert!(matches!(e.resume(1, Value::from(30)), Err(Error::Flow(_))));
    assert_eq!(e.export_json().unwrap(), json);
    // From Scheme it is an ordinary, catchable error.
    let msg = common::scheme_error(&mut e, "(flow/resume 1 30)");
    assert!(
        msg.contains("not defined as a flow: define it, then resume"),
        "{msg}"
    );
    assert_eq!(e.export_json().unwrap(), json);

    // Define it, resume again: it works.
    e.eval(ORIGINAL).unwrap();
    assert_eq!(
        e.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![Value::from(10), Value::from(20), Value::from(30)])
        }
    );
}

/// An engine with a host function `tick` that counts its calls, and a flow
/// that calls it before every request.
fn ticking_engine(count: &Arc<AtomicUsize>) -> Engine {
    let mut e = engine();
    let c = count.clone();
    e.register_fn("tick", move |_args: &[Value]| {
        Ok(Value::from(c.fetch_add(1, Ordering::SeqCst) as i64))
    });
    e.eval(
        "(defflow ticker
           (lambda ()
             (let loop ((i 0) (seen '()))
               (if (= i 4)
                   (reverse seen)
                   (begin
                     (tick)
                     (loop (+ i 1) (cons (request 'step i) seen)))))))",
    )
    .unwrap();
    e
}

#[test]
fn host_functions_inside_a_flow_run_again_during_replay_and_replay_happens_once_per_import() {
    // Host functions are not requests: their results are not logged, so a
    // replay calls them again. Side effects belong in requests.
    let live = Arc::new(AtomicUsize::new(0));
    let mut e = ticking_engine(&live);
    e.start("ticker", vec![]).unwrap();
    e.resume(1, sym("r0")).unwrap();
    e.resume(1, sym("r1")).unwrap();
    assert_eq!(live.load(Ordering::SeqCst), 3, "once per step when live");
    let json = e.export_json().unwrap();

    let replayed = Arc::new(AtomicUsize::new(0));
    let mut other = ticking_engine(&replayed);
    other.import_json(&json).unwrap();
    assert_eq!(
        replayed.load(Ordering::SeqCst),
        0,
        "import runs no flow code"
    );
    other.resume(1, sym("r2")).unwrap();
    // The replay re-ran the three ticks before the pending request, then one live tick.
    assert_eq!(replayed.load(Ordering::SeqCst), 4);
    // The flow is live now: the next resume does not replay.
    assert_eq!(
        other.resume(1, sym("r3")).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![sym("r0"), sym("r1"), sym("r2"), sym("r3")])
        }
    );
    assert_eq!(replayed.load(Ordering::SeqCst), 4, "no second replay");

    // Each import replays once more, and only once.
    let again = Arc::new(AtomicUsize::new(0));
    let mut third = ticking_engine(&again);
    third.import_json(&json).unwrap();
    third.resume(1, sym("r2")).unwrap();
    third.import_json(&json).unwrap();
    third.resume(1, sym("r2")).unwrap();
    assert_eq!(again.load(Ordering::SeqCst), 8, "two imports, two replays");
    third.resume(1, sym("r3")).unwrap();
    assert_eq!(again.load(Ordering::SeqCst), 8);
}

#[test]
fn a_replayed_flow_does_not_ask_the_host_again() {
    // Every earlier request is answered from the log: after an import the
    // host sees only the pending request, never an earlier one.
    let json = suspended_export();
    let mut e = engine_from("original.flow", ORIGINAL);
    e.import_json(&json).unwrap();
    assert_eq!(e.pending(), vec![(1, sym("c"), Value::from(20))]);
    let step = e.resume(1, Value::from(30)).unwrap();
    assert!(matches!(step, Step::Done { .. }));
    assert_eq!(e.log(1).unwrap().len(), 3);
}

#[test]
fn a_history_of_twenty_thousand_requests_replays() {
    const N: i64 = 20_000;
    let source = "(defflow long
       (lambda (n)
         (let loop ((i 0) (acc 0))
           (if (= i n)
               (list 'total acc (request 'final acc))
               (loop (+ i 1) (+ acc (request 'n i)))))))";
    let mut e = engine_from("long.flow", source);
    let mut step = e.start("long", vec![Value::from(N)]).unwrap();
    // Answer request i with i * 2.
    while let Step::Suspended {
        tag,
        payload: Value::Int(i),
        ..
    } = &step
    {
        if tag != &sym("n") {
            break;
        }
        step = e.resume(1, Value::from(i * 2)).unwrap();
    }
    let total = (0..N).map(|i| i * 2).sum::<i64>();
    assert_eq!(
        step,
        Step::Suspended {
            id: 1,
            tag: sym("final"),
            payload: Value::from(total)
        }
    );
    assert_eq!(e.log(1).unwrap().len(), N as usize);
    let json = e.export_json().unwrap();

    let mut fresh = engine_from("long.flow", source);
    fresh.import_json(&json).unwrap();
    assert_eq!(fresh.log(1).unwrap().len(), N as usize);
    let done = fresh.resume(1, sym("ok")).unwrap();
    assert_eq!(
        done,
        Step::Done {
            id: 1,
            value: list(vec![sym("total"), Value::from(total), sym("ok")])
        }
    );
    let log = fresh.log(1).unwrap();
    assert_eq!(log.len(), N as usize + 1);
    assert_eq!(log[12_345], (sym("n"), Value::from(24_690)));
    assert_eq!(log[N as usize], (sym("final"), sym("ok")));
}

#[test]
fn a_long_history_replays_once_then_resumes_live() {
    // After the one replay, each further resume runs one step of the flow,
    // not its history: a host function called once per loop iteration counts.
    const N: usize = 20_000;
    let source = "(defflow counter
       (lambda ()
         (let loop ((i 0))
           (tick)
           (if (eq? (request 'tick i) 'stop) i (loop (+ i 1))))))";
    let counting = |count: &Arc<AtomicUsize>| {
        let mut e = engine();
        let c = count.clone();
        e.register_fn("tick", move |_: &[Value]| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Unspecified)
        });
        e.eval_source("counter.flow", source).unwrap();
        e
    };
    let first = Arc::new(AtomicUsize::new(0));
    let mut e = counting(&first);
    e.start("counter", vec![]).unwrap();
    for _ in 0..N {
        e.resume(1, sym("go")).unwrap();
    }
    assert_eq!(first.load(Ordering::SeqCst), N + 1);
    let json = e.export_json().unwrap();

    let second = Arc::new(AtomicUsize::new(0));
    let mut fresh = counting(&second);
    fresh.import_json(&json).unwrap();
    fresh.resume(1, sym("go")).unwrap();
    assert_eq!(
        second.load(Ordering::SeqCst),
        N + 2,
        "one replay, then one live step"
    );
    for _ in 0..10 {
        assert!(matches!(
            fresh.resume(1, sym("go")).unwrap(),
            Step::Suspended { .. }
        ));
    }
    assert_eq!(
        second.load(Ordering::SeqCst),
        N + 12,
        "live: one step per resume"
    );
    assert_eq!(
        fresh.resume(1, sym("stop")).unwrap(),
        Step::Done {
            id: 1,
            value: Value::from(N + 11)
        }
    );
}

// ---- determinism holes: state outside the flow changed from inside it ----

#[test]
fn forcing_a_promise_made_outside_the_flow_fails_the_flow() {
    // Its memoised value would be state shared across runs: a replay in the
    // same engine would skip the request. Forcing it is refused like a
    // global set!, and the promise stays unforced.
    let source = "(define p (delay (request 'x 1)))
                  (defflow t (lambda () (list (force p) (request 'y 2))))";
    let mut e = engine_from("promise.flow", source);
    let step = e.start("t", vec![]).unwrap();
    let Step::Failed { error, .. } = step else {
        panic!("expected the flow to fail: {step:?}");
    };
    assert!(error.contains("promise made outside flow 1"), "{error}");
    assert_eq!(
        e.eval("(force (delay 5))").unwrap(),
        Value::from(5),
        "promises outside flows are unaffected"
    );
}

#[test]
fn a_promise_made_inside_the_flow_can_be_forced() {
    let source =
        "(defflow t (lambda () (let ((p (delay (request 'x 1)))) (list (force p) (force p)))))";
    let mut e = engine_from("promise.flow", source);
    e.start("t", vec![]).unwrap();
    let json = e.export_json().unwrap();
    e.import_json(&json).unwrap();
    assert_eq!(
        e.resume(1, sym("ax")).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![sym("ax"), sym("ax")]),
        }
    );
}

#[test]
fn mutating_a_closed_over_variable_from_outside_the_flow_is_refused() {
    let mut e = engine_from(
        "counter.flow",
        "(define next-number (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
         (defflow numbered (lambda () (let ((a (next-number))) (request 'wait a) (list a (next-number)))))",
    );
    let step = e.start("numbered", vec![]).unwrap();
    let Step::Failed { error, .. } = step else {
        panic!("expected the flow to fail: {step:?}");
    };
    assert!(error.contains("captured from outside flow 1"), "{error}");
    assert_eq!(
        e.eval("(next-number)"),
        Ok(Value::from(1)),
        "the counter is unchanged"
    );
}

#[test]
fn variables_made_inside_the_flow_can_be_assigned() {
    let mut e = engine_from(
        "counter.flow",
        "(defflow counting (lambda ()
           (let ((n 0))
             (set! n (+ n 1))
             (request 'wait n)
             (set! n (+ n 1))
             n)))",
    );
    e.start("counting", vec![]).unwrap();
    let json = e.export_json().unwrap();
    e.import_json(&json).unwrap();
    assert_eq!(
        e.resume(1, sym("ok")).unwrap(),
        Step::Done {
            id: 1,
            value: Value::from(2),
        }
    );
}

#[test]
fn replay_in_the_same_engine_matches_an_uninterrupted_run() {
    // Flows that keep to the rules replay identically even in the engine
    // that ran them (where closures and globals already exist).
    let mut e = engine_from("original.flow", ORIGINAL);
    e.start("f", vec![s("x")]).unwrap();
    e.resume(1, Value::from(10)).unwrap();
    let json = e.export_json().unwrap();
    e.import_json(&json).unwrap();
    e.resume(1, Value::from(20)).unwrap();
    e.import_json(&e.export_json().unwrap()).unwrap();
    assert_eq!(
        e.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![Value::from(10), Value::from(20), Value::from(30)])
        }
    );
}

#[test]
fn a_live_flow_keeps_its_code_when_redefined_and_a_rebuild_uses_the_new_one() {
    // Redefinition replaces the global, as `define` does; a suspended flow's
    // live continuation is not touched. Only a rebuild (after an import)
    // runs the current definition.
    let mut e = engine_from("original.flow", ORIGINAL);
    e.start("f", vec![Value::from(1)]).unwrap();
    e.resume(1, Value::from(10)).unwrap();
    e.eval_source(
        "v2.flow",
        "(defflow f (lambda (x) (let* ((a (request 'a x)) (b (request 'b a))) (list 'v2 a b (request 'c b)))))",
    )
    .unwrap();
    e.resume(1, Value::from(20)).unwrap();
    assert_eq!(
        e.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![Value::from(10), Value::from(20), Value::from(30)])
        },
        "the live flow finished with the code it started with"
    );
    // The same history rebuilt under the new definition takes the new code.
    let json = suspended_export();
    e.import_json(&json).unwrap();
    assert_eq!(
        e.resume(1, Value::from(30)).unwrap(),
        Step::Done {
            id: 1,
            value: list(vec![
                sym("v2"),
                Value::from(10),
                Value::from(20),
                Value::from(30)
            ])
        }
    );
}
