//! The typed flow API (SPEC "Precision the API owes its users"): cancel,
//! result, status and log, and refusals a host can match by kind, each of
//! which leaves the store as it was.

mod common;

use common::{engine_with, sym};
use skein::{Engine, Error, FlowError, FlowStatus, LimitKind, Limits, Step, Value};

const APPROVAL: &str = "
(defflow approval
  (lambda (who)
    (let ((answer (request 'approve who)))
      (if (eq? answer 'yes) (list 'approved who) (error \"refused by\" who)))))";

fn approval() -> Engine {
    engine_with(APPROVAL)
}

fn flow_error<T: std::fmt::Debug>(result: Result<T, Error>) -> FlowError {
    match result {
        Err(Error::Flow(e)) => e,
        other => panic!("expected Err(Error::Flow(..)), got {other:?}"),
    }
}

#[test]
fn an_unknown_id_is_refused_by_every_flow_call_naming_the_id() {
    let mut e = approval();
    let before = e.export_json().unwrap();
    assert_eq!(
        flow_error(e.resume(7, sym("yes"))),
        FlowError::UnknownFlow { id: 7 }
    );
    assert_eq!(flow_error(e.cancel(7)), FlowError::UnknownFlow { id: 7 });
    assert_eq!(flow_error(e.result(7)), FlowError::UnknownFlow { id: 7 });
    assert_eq!(e.status(7), None);
    assert_eq!(e.log(7), None);
    assert_eq!(e.export_json().unwrap(), before);
}

#[test]
fn a_call_on_a_flow_in_the_wrong_status_names_both_statuses() {
    let mut e = approval();
    let id = e.start("approval", vec![Value::from("ada")]).unwrap().id();
    assert_eq!(
        flow_error(e.result(id)),
        FlowError::WrongStatus {
            id,
            status: FlowStatus::Suspended,
            expected: FlowStatus::Done
        }
    );
    e.resume(id, sym("yes")).unwrap();
    let before = e.export_json().unwrap();
    for refused in [e.resume(id, sym("yes")).map(|_| ()), e.cancel(id)] {
        assert_eq!(
            flow_error(refused),
            FlowError::WrongStatus {
                id,
                status: FlowStatus::Done,
                expected: FlowStatus::Suspended
            }
        );
    }
    assert_eq!(e.export_json().unwrap(), before);
    assert_eq!(
        e.result(id).unwrap(),
        Value::list([sym("approved"), Value::from("ada")])
    );
}

#[test]
fn cancel_stops_a_flow_for_good_and_keeps_its_log() {
    let mut e =
        engine_with("(defflow two-step (lambda () (request 'first 1) (request 'second 2) 'done))");
    let id = e.start("two-step", vec![]).unwrap().id();
    e.resume(id, Value::from(10)).unwrap();
    e.cancel(id).unwrap();
    assert_eq!(e.status(id), Some(FlowStatus::Cancelled));
    assert_eq!(e.log(id), Some(vec![(sym("first"), Value::from(10))]));
    assert!(e.pending().is_empty());
    assert_eq!(
        e.eval(&format!("(flow/status {id})")).unwrap(),
        sym("cancelled")
    );
    assert!(matches!(
        flow_error(e.resume(id, Value::from(20))),
        FlowError::WrongStatus {
            status: FlowStatus::Cancelled,
            ..
        }
    ));
}

#[test]
fn the_result_of_a_failed_flow_is_its_failure() {
    let mut e = approval();
    let id = e.start("approval", vec![Value::from("bob")]).unwrap().id();
    let Step::Failed { error, .. } = e.resume(id, sym("no")).unwrap() else {
        panic!("the flow should fail")
    };
    assert!(error.contains("refused by \"bob\""), "{error}");
    assert_eq!(
        flow_error(e.result(id)),
        FlowError::Failed { id, message: error }
    );
}

#[test]
fn a_value_that_is_not_plain_data_is_refused_before_anything_changes() {
    let mut e = approval();
    let procedure = e.eval("car").unwrap();
    assert!(matches!(procedure, Value::Opaque(_)));
    let refused = flow_error(e.start("approval", vec![Value::from(1), procedure.clone()]));
    assert!(
        matches!(&refused, FlowError::NotPlainData { what, .. } if what == "argument 2"),
        "{refused:?}"
    );
    // No id was used: the first flow started is still flow 1.
    let id = e.start("approval", vec![Value::from("ada")]).unwrap().id();
    assert_eq!(id, 1);
    let before = e.export_json().unwrap();
    let refused = flow_error(e.resume(id, procedure));
    assert!(
        matches!(&refused, FlowError::NotPlainData { what, .. } if what == "the response"),
        "{refused:?}"
    );
    assert_eq!(e.export_json().unwrap(), before);
    assert_eq!(e.status(id), Some(FlowStatus::Suspended));
}

#[test]
fn a_start_with_the_wrong_number_of_arguments_is_refused_naming_the_parameters() {
    let mut e = engine_with(
        "(defflow two (lambda (order-id amount) (request 'pay amount)))
         (defflow some (lambda (to . cc) (request 'mail to)))
         (defflow either (case-lambda ((a) (request 'one a)) ((a b c) (request 'three a))))",
    );
    let refused = |e: &mut Engine, name: &str, n: i64| {
        let args = (0..n).map(Value::from).collect();
        flow_error(e.start(name, args)).to_string()
    };
    assert_eq!(
        refused(&mut e, "two", 1),
        "two takes 2 arguments (order-id amount), got 1"
    );
    assert_eq!(
        refused(&mut e, "some", 0),
        "some takes at least 1 argument (to . cc), got 0"
    );
    assert_eq!(
        refused(&mut e, "either", 2),
        "either takes 1 argument (a) or 3 arguments (a b c), got 2"
    );
    // From Scheme too, and neither way uses an id.
    let raised = e.eval("(flow/start two 1)").unwrap_err().to_string();
    assert!(
        raised.contains("flow/start: two takes 2 arguments (order-id amount), got 1"),
        "{raised}"
    );
    assert_eq!(
        e.start("two", vec![Value::from(1), Value::from(2)])
            .unwrap()
            .id(),
        1
    );
}

#[test]
fn starting_a_name_that_is_not_a_flow_is_refused_by_name() {
    let mut e = engine_with("(define (helper) 1) (define limit 3)");
    assert_eq!(
        flow_error(e.start("helper", vec![])),
        FlowError::NotAFlow {
            name: "helper".into(),
            what: "a procedure".into()
        }
    );
    assert_eq!(
        flow_error(e.start("limit", vec![])).to_string(),
        "limit is a variable, not a flow (flows are defined with defflow)"
    );
    assert_eq!(
        flow_error(e.start("nowhere", vec![])),
        FlowError::UndefinedFlow {
            name: "nowhere".into()
        }
    );
}

#[test]
fn replayed_code_that_finishes_early_diverges_with_no_requested_tag() {
    let mut first = engine_with("(defflow f (lambda () (request 'a 1) (request 'b 2) 'end))");
    let id = first.start("f", vec![]).unwrap().id();
    first.resume(id, Value::from(10)).unwrap();
    let json = first.export_json().unwrap();

    let mut second = engine_with("(defflow f (lambda () 'early))");
    second.import_json(&json).unwrap();
    assert!(matches!(
        second.resume(id, Value::from(20)).unwrap(),
        Step::Failed { .. }
    ));
    assert_eq!(
        flow_error(second.result(id)),
        FlowError::Diverged {
            id,
            flow: "f".into(),
            position: 0,
            logged: sym("a"),
            requested: None
        }
    );
}

#[test]
fn a_limit_that_trips_in_a_flow_names_the_limit_and_the_flow() {
    let mut e = engine_with(
        "(define (spin n) (spin (+ n 1)))
         (defflow spinner (lambda () (request 'go 1) (spin 0)))",
    );
    e.set_limits(Limits {
        max_steps: Some(200_000),
        ..Limits::default()
    });
    let id = e.start("spinner", vec![]).unwrap().id();
    let Err(Error::Limit(limit)) = e.resume(id, Value::from(0)) else {
        panic!("expected a limit")
    };
    assert_eq!((limit.kind, limit.flow), (LimitKind::Steps, Some(id)));
    assert!(limit.contains("max_steps") && limit.contains(&format!("flow {id}")));
    // The report says where the flow's code was when it stopped.
    let at = limit.diagnostic.as_ref().and_then(|d| d.location.clone());
    assert_eq!(at.map(|l| (l.line, l.column)), Some((1, 18)));
    assert_eq!(e.status(id), Some(FlowStatus::Failed));
    // Outside a flow, the same limit names no flow, and the engine goes on.
    let Err(Error::Limit(limit)) = e.eval("(spin 0)") else {
        panic!("expected a limit")
    };
    assert_eq!((limit.kind, limit.flow), (LimitKind::Steps, None));
    assert_eq!(e.eval("(+ 1 2)").unwrap(), Value::from(3));
}

#[test]
fn the_api_types_are_what_a_host_can_keep_and_send() {
    fn send<T: Send>() {}
    fn keep<T: Clone + std::fmt::Debug + PartialEq>() {}
    send::<Engine>();
    send::<Value>();
    keep::<Value>();
    keep::<Step>();
    keep::<FlowError>();
    keep::<Error>();
    // An error displays as its message; `report` adds the place for people.
    let mut e = approval();
    let err = e.cancel(3).unwrap_err();
    assert_eq!(err.to_string(), "no flow with id 3");
    assert_eq!(err.report(), "error: no flow with id 3\n");
}

#[test]
fn code_that_now_fails_while_its_log_is_replayed_is_a_replay_failure() {
    let mut first = engine_with("(defflow f (lambda () (request 'a 1) (request 'b 2) 'end))");
    let id = first.start("f", vec![]).unwrap().id();
    first.resume(id, Value::from(10)).unwrap();
    let json = first.export_json().unwrap();

    let mut second = engine_with("(defflow f (lambda () (car '()) (request 'a 1)))");
    second.import_json(&json).unwrap();
    let Step::Failed { error, .. } = second.resume(id, Value::from(20)).unwrap() else {
        panic!("the flow should fail")
    };
    assert_eq!(
        flow_error(second.result(id)),
        FlowError::ReplayFailed { id, message: error }
    );
    assert_eq!(second.log(id), Some(vec![(sym("a"), Value::from(10))]));
}

#[test]
fn a_limit_that_trips_while_a_flow_is_replayed_refuses_the_resume_and_changes_nothing() {
    const FLOW: &str = "(define (spin n) (if (= n 0) 0 (spin (- n 1))))
                        (defflow slow (lambda () (spin 300000) (request 'a 1) (request 'b 2) 'end))";
    let mut first = engine_with(FLOW);
    let id = first.start("slow", vec![]).unwrap().id();
    first.resume(id, Value::from(10)).unwrap();
    let json = first.export_json().unwrap();

    // Rebuilding replays the 300,000-step spin: more than this budget.
    let mut second = engine_with(FLOW);
    second.import_json(&json).unwrap();
    second.set_limits(Limits {
        max_steps: Some(100_000),
        ..Limits::default()
    });
    let Err(Error::Limit(limit)) = second.resume(id, Value::from(20)) else {
        panic!("expected the limit")
    };
    assert_eq!((limit.kind, limit.flow), (LimitKind::Steps, Some(id)));
    assert_eq!(second.status(id), Some(FlowStatus::Suspended));
    assert_eq!(second.export_json().unwrap(), json, "nothing changed");

    // Under other limits the same resume goes through.
    second.set_limits(Limits::default());
    assert_eq!(
        second.resume(id, Value::from(20)).unwrap(),
        Step::Done {
            id,
            value: sym("end")
        }
    );
}
