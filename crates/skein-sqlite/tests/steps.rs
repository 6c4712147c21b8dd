//! Steps through the store: start, resume, cancel; what each writes, and that
//! a refused step writes nothing.

mod common;

use common::{datum, example_flow, snapshot, Scratch};
use skein::Value;
use skein_sqlite::{Resume, SourceState, State, StoreError};

const TWO_STEPS: &str = "
(defflow order
  (lambda (id)
    (display \"reserving \") (display id) (newline)
    (let ((r (request 'reserve id)))
      (display \"paying\") (newline)
      (list r (request 'payment id)))))
(defflow boom (lambda () (request 'go '()) (car '())))";

fn suspended(tag: &str, payload: &str) -> State {
    State::Suspended {
        tag: datum(tag),
        payload: datum(payload),
    }
}

#[test]
fn order_lifecycle_runs_to_done_across_store_reopenings() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let step = s
        .store()
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    assert_eq!((step.id, step.state), (1, suspended("reserve", "\"o-1\"")));
    // Each step through a store opened afresh, as separate processes would.
    let step = s
        .store()
        .resume(1, datum("{:warehouse \"north\"}"), None)
        .unwrap();
    assert_eq!(step.state, suspended("payment", "\"o-1\""));
    let step = s.store().resume(1, datum("{:amount 1800}"), None).unwrap();
    assert_eq!(step.state, suspended("fulfil", "\"o-1\""));
    let step = s
        .store()
        .resume(1, datum("{:carrier \"dhl\"}"), None)
        .unwrap();
    assert_eq!(
        step.state,
        State::Done(datum(
            "(completed \"o-1\" :reservation {:warehouse \"north\"} :payment {:amount 1800} :shipment {:carrier \"dhl\"})"
        ))
    );
    let store = s.store();
    assert_eq!(store.log(1).unwrap().len(), 3);
    let info = store.flow(1).unwrap();
    assert_eq!(info.flow.as_deref(), Some("order-lifecycle"));
    assert_eq!(info.args, vec![datum("\"o-1\"")]);
    assert_eq!(info.source.unwrap().state(), SourceState::Unchanged);
}

#[test]
fn ids_come_from_the_store_and_a_refused_start_uses_none() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    assert_eq!(store.start(&flow, "order", vec![datum("a")]).unwrap().id, 1);
    let before = snapshot(&store);
    let refusals = [
        store.start(&flow, "no-such-flow", vec![]),
        store.start(
            &flow,
            "order",
            vec![Value::Opaque("#<procedure car>".into())],
        ),
        store.start(&s.path("missing.flow"), "order", vec![datum("a")]),
    ];
    for refused in refusals {
        assert!(refused.is_err(), "{refused:?}");
    }
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.start(&flow, "order", vec![datum("b")]).unwrap().id, 2);
}

#[test]
fn output_of_a_step_comes_out_once_and_loading_output_apart() {
    let s = Scratch::new();
    let flow = s.file("f.flow", &format!("(display \"loaded\")\n{TWO_STEPS}"));
    let step = s.store().start(&flow, "order", vec![datum("a")]).unwrap();
    assert_eq!(step.output, "reserving a\n");
    assert_eq!(step.load_output, "loaded");
    // The resume replays the first part; only the new part writes.
    let step = s.store().resume(1, datum("ok"), None).unwrap();
    assert_eq!(step.output, "paying\n");
}

#[test]
fn refused_resumes_change_nothing() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "order", vec![datum("a")]).unwrap();
    store.start(&flow, "boom", vec![]).unwrap();
    assert!(matches!(
        store.resume(2, datum("go"), None).unwrap().state,
        State::Failed(ref m) if m.contains("car")
    ));
    let before = snapshot(&store);
    let cases: Vec<(u64, Value)> = vec![
        (9, datum("x")),
        (2, datum("x")),
        (1, Value::Opaque("#<procedure>".into())),
    ];
    let mut messages = Vec::new();
    for (id, response) in cases {
        let err = store.resume(id, response, None).unwrap_err();
        messages.push(err.to_string());
    }
    assert_eq!(messages[0], "no flow with id 9");
    assert_eq!(messages[1], "flow 2 is failed, not suspended");
    assert!(messages[2].contains("not plain data"), "{}", messages[2]);
    assert!(matches!(
        store.cancel(2),
        Err(StoreError::NotSuspended { .. })
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn a_replay_that_diverges_is_refused_and_the_flow_waits_for_fixed_code() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "order", vec![datum("a")]).unwrap();
    store.resume(1, datum("reserved"), None).unwrap();
    let before = snapshot(&store);
    // The code now asks for something else first: the log cannot be replayed.
    s.file("f.flow", &TWO_STEPS.replace("'reserve", "'hold"));
    assert!(matches!(
        store.flow(1).unwrap().source.unwrap().state(),
        SourceState::Changed { .. }
    ));
    let err = store.resume(1, datum("paid"), None).unwrap_err();
    assert!(matches!(err, StoreError::Diverged { id: 1, .. }), "{err}");
    assert!(err.to_string().contains("replay diverged"), "{err}");
    assert_eq!(snapshot(&store), before);
    // Back to code that makes the logged requests: the flow goes on.
    s.file("f.flow", TWO_STEPS);
    let step = store.resume(1, datum("paid"), None).unwrap();
    assert_eq!(step.state, State::Done(datum("(reserved paid)")));
}

#[test]
fn a_changed_source_that_still_replays_is_reported_but_runs() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "order", vec![datum("a")]).unwrap();
    s.file("f.flow", &TWO_STEPS.replace("(list r", "(vector r"));
    let recorded = store.flow(1).unwrap().source.unwrap();
    assert!(matches!(recorded.state(), SourceState::Changed { .. }));
    store.resume(1, datum("r"), None).unwrap();
    let step = store.resume(1, datum("p"), None).unwrap();
    assert_eq!(step.state, State::Done(datum("#(r p)")));
}

#[test]
fn a_failed_flow_is_recorded_with_its_message() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "boom", vec![]).unwrap();
    let step = store.resume(1, datum("go"), None).unwrap();
    let State::Failed(message) = step.state else {
        panic!("boom should fail");
    };
    assert_eq!(store.flow(1).unwrap().state, State::Failed(message));
    assert_eq!(store.log(1).unwrap(), vec![(datum("go"), datum("go"))]);
}

#[test]
fn cancel_keeps_the_log_and_ends_the_flow() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "order", vec![datum("a")]).unwrap();
    store.resume(1, datum("r"), None).unwrap();
    assert_eq!(store.cancel(1).unwrap().state, State::Cancelled);
    assert_eq!(store.flow(1).unwrap().state, State::Cancelled);
    assert_eq!(store.log(1).unwrap().len(), 1);
    assert!(matches!(
        store.resume(1, datum("p"), None),
        Err(StoreError::NotSuspended {
            id: 1,
            status: "cancelled"
        })
    ));
}

#[test]
fn a_source_named_on_resume_is_used_and_recorded() {
    let s = Scratch::new();
    let first = s.file("a.flow", TWO_STEPS);
    let second = s.file("b.flow", &TWO_STEPS.replace("(list r", "(vector r"));
    let mut store = s.store();
    store.start(&first, "order", vec![datum("a")]).unwrap();
    store.resume(1, datum("r"), Some(&second)).unwrap();
    let source = store.flow(1).unwrap().source.unwrap();
    assert_eq!(source.path, std::fs::canonicalize(&second).unwrap());
    let step = store.resume(1, datum("p"), None).unwrap();
    assert_eq!(step.state, State::Done(datum("#(r p)")));
}

#[test]
fn a_resume_that_expects_another_request_is_refused() {
    let s = Scratch::new();
    let flow = s.file("f.flow", TWO_STEPS);
    let mut store = s.store();
    store.start(&flow, "order", vec![datum("a")]).unwrap();
    let expect = |tag: &str| Resume {
        expect_tag: Some(datum(tag)),
        ..Resume::default()
    };
    store
        .resume_with(1, datum("r"), &expect("reserve"))
        .unwrap();
    let before = snapshot(&store);
    let err = store
        .resume_with(1, datum("r"), &expect("reserve"))
        .unwrap_err();
    assert_eq!(err.to_string(), "flow 1 waits on payment, not reserve");
    assert_eq!(snapshot(&store), before);
}
