//! Requests a host fails, times out and addresses by position (SPEC
//! "Requests: failure, deadlines, identity"), through the `Engine` and the
//! Scheme surface, and across export and import at every step.

use skein::{Answer, Engine, Error, FlowError, FlowStatus, RequestFailure, Step, Timestamp, Value};

const PAY: &str = r#"
  (defflow pay (lambda (amount)
    (guard (e ((request-timeout? e) (list 'timed-out (error-object-message e)))
              ((request-error? e)
               (list 'declined (error-object-message e) (error-object-irritants e))))
      (let ((receipt (request 'charge amount :timeout 3600)))
        (list 'paid receipt (request 'notify receipt))))))
"#;

fn engine() -> Engine {
    let mut e = Engine::new();
    e.eval(PAY).unwrap();
    e
}

fn sym(s: &str) -> Value {
    Value::symbol(s)
}

/// The same engine state, moved through a store document into a new engine.
fn restarted(e: &Engine) -> Engine {
    let mut next = engine();
    next.import_json(&e.export_json().unwrap()).unwrap();
    next
}

#[test]
fn a_failed_request_raises_a_request_error_the_flow_can_catch() {
    let mut e = engine();
    let id = e.start("pay", vec![Value::from(10)]).unwrap().id();
    let step = e.fail(id, RequestFailure::new("card declined")).unwrap();
    let irritants = Value::List(vec![sym("charge"), Value::from(10)]);
    let expected = Value::List(vec![
        sym("declined"),
        Value::from("card declined"),
        irritants,
    ]);
    assert_eq!(
        step,
        Step::Done {
            id,
            value: expected
        }
    );
    // Logged with its tag, payload and time; Engine::log shows the failure.
    let history = e.history(id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].answer,
        Answer::Failure(RequestFailure::new("card declined"))
    );
    assert_eq!(history[0].payload, Value::from(10));
    assert!(history[0].at.is_some());
    let failed = Value::List(vec![sym("request-failed"), Value::from("card declined")]);
    assert_eq!(e.log(id).unwrap(), vec![(sym("charge"), failed)]);
}

#[test]
fn a_timed_out_request_is_both_a_request_error_and_a_timeout() {
    let mut e = engine();
    let id = e.start("pay", vec![Value::from(10)]).unwrap().id();
    let step = e.fail(id, RequestFailure::timeout()).unwrap();
    let expected = Value::List(vec![sym("timed-out"), Value::from("the request timed out")]);
    assert_eq!(
        step,
        Step::Done {
            id,
            value: expected
        }
    );
}

#[test]
fn the_pending_request_carries_its_position_timeout_and_deadline() {
    let mut e = engine();
    let before = Timestamp::now();
    let id = e.start("pay", vec![Value::from(10)]).unwrap().id();
    let after = Timestamp::now();
    let pending = e.pending_request(id).unwrap();
    assert_eq!((pending.position, pending.timeout), (0, Some(3600.0)));
    let deadline = pending.deadline.unwrap();
    assert!(before.after(3600.0) <= deadline && deadline <= after.after(3600.0));
    // Exported and imported, the deadline is the same moment.
    assert_eq!(restarted(&e).pending_request(id), Some(pending));
    // The next request has no timeout, and the next position.
    e.resume(id, Value::from("r-1")).unwrap();
    let next = e.pending_request(id).unwrap();
    assert_eq!(
        (next.position, next.timeout, next.deadline),
        (1, None, None)
    );
}

#[test]
fn an_answer_for_another_position_is_refused_and_changes_nothing() {
    let mut e = engine();
    let id = e.start("pay", vec![Value::from(10)]).unwrap().id();
    e.resume_at(id, 0, Value::from("r-1")).unwrap();
    let before = e.export_json().unwrap();
    // The webhook delivers the same answer again: it was for position 0.
    for refused in [
        e.resume_at(id, 0, Value::from("r-1")),
        e.fail_at(id, 0, RequestFailure::new("late")),
        e.resume_at(id, 7, Value::from("r-1")),
    ] {
        assert!(
            matches!(
                refused,
                Err(Error::Flow(FlowError::WrongPosition { pending: 1, .. }))
            ),
            "{refused:?}"
        );
    }
    assert_eq!(e.export_json().unwrap(), before);
    // The right position goes through.
    let done = e.resume_at(id, 1, sym("sent")).unwrap();
    let value = Value::List(vec![sym("paid"), Value::from("r-1"), sym("sent")]);
    assert_eq!(done, Step::Done { id, value });
}

#[test]
fn a_logged_failure_is_raised_again_at_its_position_by_replay() {
    // Fail the first request, answer the one the handler makes; restart
    // the engine between every step: the outcome is the same.
    const RETRY: &str = r#"
      (defflow deliver (lambda (to)
        (let loop ((attempt 1))
          (guard (e ((and (request-error? e) (< attempt 3)) (loop (+ attempt 1))))
            (list 'delivered to attempt (request 'send (list to attempt)))))))
    "#;
    let fresh = || {
        let mut e = Engine::new();
        e.eval(RETRY).unwrap();
        e
    };
    let mut live = fresh();
    let mut moved = fresh();
    let id = live
        .start("deliver", vec![Value::from("ada")])
        .unwrap()
        .id();
    moved.start("deliver", vec![Value::from("ada")]).unwrap();
    for e in [&mut live, &mut moved] {
        e.fail(id, RequestFailure::new("smtp down")).unwrap();
        e.fail(id, RequestFailure::new("smtp down")).unwrap();
    }
    let mut restarted = fresh();
    restarted
        .import_json(&moved.export_json().unwrap())
        .unwrap();
    let answers = [live.resume(id, sym("ok")), restarted.resume(id, sym("ok"))];
    let value = Value::List(vec![
        sym("delivered"),
        Value::from("ada"),
        Value::from(3),
        sym("ok"),
    ]);
    for step in answers {
        assert_eq!(
            step.unwrap(),
            Step::Done {
                id,
                value: value.clone()
            }
        );
    }
    assert_eq!(live.log(id), restarted.log(id));
    let payloads: Vec<Value> = restarted
        .history(id)
        .unwrap()
        .into_iter()
        .map(|e| e.payload)
        .collect();
    let to = |n: i64| Value::List(vec![Value::from("ada"), Value::from(n)]);
    assert_eq!(payloads, vec![to(1), to(2), to(3)]);
}

#[test]
fn a_failure_nobody_catches_fails_the_flow_with_the_hosts_message() {
    let mut e = Engine::new();
    e.eval("(defflow bare (lambda () (request 'charge 5)))")
        .unwrap();
    let id = e.start("bare", vec![]).unwrap().id();
    let Step::Failed { error, .. } = e.fail(id, RequestFailure::new("card declined")).unwrap()
    else {
        panic!("expected the flow to fail")
    };
    assert!(error.contains("card declined"), "{error}");
    assert_eq!(e.status(id), Some(FlowStatus::Failed));
}

#[test]
fn flows_are_failed_and_answered_from_scheme_too() {
    let mut e = engine();
    let out = e
        .eval("(flow/start pay 3) (flow/fail 1 \"no funds\")")
        .unwrap();
    let irritants = Value::List(vec![sym("charge"), Value::from(3)]);
    let value = Value::List(vec![sym("declined"), Value::from("no funds"), irritants]);
    assert_eq!(
        out,
        Value::List(vec![sym("flow-done"), Value::from(1), value])
    );
    let logged = e.eval("(flow/log 1)").unwrap();
    assert_eq!(
        logged.to_write_string(),
        "((charge (request-failed \"no funds\")))"
    );
    let refused = e.eval("(flow/fail 1 \"again\")").unwrap_err();
    assert!(refused.to_string().contains("flow 1 is done"), "{refused}");
    let refused = e
        .eval("(flow/start pay 4) (flow/fail 2 'not-a-string)")
        .unwrap_err();
    assert!(refused.to_string().contains("a message"), "{refused}");
}

#[test]
fn a_request_with_a_malformed_timeout_is_an_error_in_the_flow() {
    let mut e = Engine::new();
    e.eval(
        "(defflow a (lambda () (request 'x 1 :timeout -5)))
         (defflow b (lambda () (request 'x 1 :deadline 5)))
         (defflow c (lambda () (request 'x 1 :timeout \"soon\")))",
    )
    .unwrap();
    for (flow, words) in [
        ("a", "non-negative"),
        ("b", ":timeout"),
        ("c", "non-negative"),
    ] {
        let Step::Failed { error, .. } = e.start(flow, vec![]).unwrap() else {
            panic!("{flow}: expected a failure")
        };
        assert!(error.contains(words), "{flow}: {error}");
    }
}

#[test]
fn a_version_1_document_imports_and_its_flows_resume() {
    let v1 = r#"{"format": "skein-store", "version": 1, "next_id": 2,
      "flows": [{"id": 1, "flow": "pay", "args": [10], "status": "suspended",
                 "log": [{"tag": {"symbol": "charge"}, "response": "r-9"}],
                 "pending": {"tag": {"symbol": "notify"}, "payload": "r-9"}}]}"#;
    let mut e = engine();
    e.import_json(v1).unwrap();
    let pending = e.pending_request(1).unwrap();
    assert_eq!((pending.position, pending.deadline), (1, None));
    let history = e.history(1).unwrap();
    assert_eq!(history[0].payload, Value::List(vec![]));
    assert_eq!(history[0].at, None);
    let value = Value::List(vec![sym("paid"), Value::from("r-9"), sym("sent")]);
    assert_eq!(
        e.resume_at(1, 1, sym("sent")).unwrap(),
        Step::Done { id: 1, value }
    );
}

#[test]
fn a_version_2_round_trip_keeps_everything() {
    let mut e = engine();
    let a = e.start("pay", vec![Value::from(1)]).unwrap().id();
    e.fail(a, RequestFailure::timeout()).unwrap();
    let b = e.start("pay", vec![Value::from(2)]).unwrap().id();
    e.resume(b, Value::from("r-2")).unwrap();
    e.start("pay", vec![Value::from(3)]).unwrap();
    let json = e.export_json().unwrap();
    let again = restarted(&e);
    assert_eq!(again.export_json().unwrap(), json);
    assert_eq!(again.export().unwrap(), e.export().unwrap());
    // And through Scheme data.
    let mut scheme = engine();
    scheme.eval("(define saved #f)").unwrap();
    let mut source = restarted(&e);
    source.eval("(define saved (flow-store-export))").unwrap();
    let doc = source.eval("saved").unwrap();
    scheme.register_fn("saved-doc", move |_| Ok(doc.clone()));
    scheme.eval("(flow-store-import! (saved-doc))").unwrap();
    assert_eq!(scheme.export_json().unwrap(), json);
}

// ---- the example flows of flows/ that use failures and deadlines ----

fn example(file: &str) -> Engine {
    let mut e = Engine::new();
    let path = format!("{}/../../flows/{file}", env!("CARGO_MANIFEST_DIR"));
    e.load_file(&path).unwrap();
    e
}

/// How a host answers one request: a response, or a failure.
enum Reply {
    Answer(Value),
    Fail(RequestFailure),
}

/// Drive flow `id` from `step` to its end, moving it through a JSON store
/// document into a fresh engine before every answer. Returns the final
/// step and the requests made, in order.
fn drive_restarting(
    file: &str,
    mut e: Engine,
    mut step: Step,
    host: impl Fn(&Value, &Value) -> Reply,
) -> (Step, Vec<Value>) {
    let mut requests = Vec::new();
    while let Step::Suspended { id, tag, payload } = step.clone() {
        requests.push(tag.clone());
        let mut next = example(file);
        next.import_json(&e.export_json().unwrap()).unwrap();
        e = next;
        let position = e.pending_request(id).unwrap().position;
        step = match host(&tag, &payload) {
            Reply::Answer(v) => e.resume_at(id, position, v).unwrap(),
            Reply::Fail(f) => e.fail_at(id, position, f).unwrap(),
        };
    }
    (step, requests)
}

fn kw(s: &str) -> Value {
    Value::keyword(s)
}

#[test]
fn a_notification_whose_delivery_keeps_failing_reports_the_last_reason() {
    let file = "delivery.flow";
    let mut e = example(file);
    let m = Value::List(vec![Value::from("m-2"), Value::from("bob@example.com")]);
    let start = e
        .start("notification", vec![m, Value::from(3), Value::from(60)])
        .unwrap();
    let (end, requests) = drive_restarting(file, e, start, |tag, _| match tag {
        Value::Symbol(s) if s == "sleep" => Reply::Answer(sym("woke")),
        _ => Reply::Fail(RequestFailure::new("mailbox full")),
    });
    let value = Value::List(vec![
        sym("failed"),
        Value::from("m-2"),
        kw("attempts"),
        Value::from(3),
        kw("reason"),
        Value::from("mailbox full"),
    ]);
    assert_eq!(end, Step::Done { id: 1, value });
    let deliver = |n: i64| Value::List(vec![sym("deliver"), Value::from("m-2"), Value::from(n)]);
    let sleep = sym("sleep");
    assert_eq!(
        requests,
        vec![deliver(1), sleep.clone(), deliver(2), sleep, deliver(3)]
    );
}

#[test]
fn a_notification_delivered_on_a_retry_sleeps_with_backoff_between() {
    let file = "delivery.flow";
    let mut e = example(file);
    let m = Value::List(vec![Value::from("m-1"), Value::from("ada@example.com")]);
    let start = e
        .start("notification", vec![m, Value::from(4), Value::from(30)])
        .unwrap();
    let sleeps = std::cell::RefCell::new(Vec::new());
    let (end, _) = drive_restarting(file, e, start, |tag, payload| match tag {
        Value::Symbol(s) if s == "sleep" => {
            sleeps.borrow_mut().push(payload.clone());
            Reply::Answer(sym("woke"))
        }
        Value::List(items) if items.last() == Some(&Value::from(3)) => {
            Reply::Answer(Value::from("receipt-1"))
        }
        _ => Reply::Fail(RequestFailure::new("connection reset")),
    });
    let Step::Done { value, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(
        value.to_write_string(),
        "(delivered \"m-1\" :attempts 3 :receipt \"receipt-1\")"
    );
    assert_eq!(sleeps.into_inner(), vec![Value::from(30), Value::from(60)]);
}

#[test]
fn an_order_whose_payment_times_out_is_compensated() {
    let file = "order-payment.flow";
    let mut e = example(file);
    let start = e
        .start("order-with-deadline", vec![Value::from("o-3")])
        .unwrap();
    e.resume(1, sym("held")).unwrap();
    // The payment request carries its three-day deadline.
    let pending = e.pending_request(1).unwrap();
    assert_eq!(pending.timeout, Some(259_200.0));
    let deadline = pending.deadline.unwrap();
    let from_now = deadline.millis() as i64 - Timestamp::now().millis() as i64;
    assert!(
        (259_100_000..=259_200_000).contains(&from_now),
        "{from_now}"
    );
    drop(start);
    let step = e.fail(1, RequestFailure::timeout()).unwrap();
    assert!(
        matches!(&step, Step::Suspended { tag, payload, .. } if *tag == sym("release") && *payload == sym("held")),
        "{step:?}"
    );
    let (end, _) = drive_restarting(file, e, step, |_, _| Reply::Answer(sym("released")));
    let Step::Done { value, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(
        value.to_write_string(),
        "(cancelled \"o-3\" :reason \"no payment within three days\" :released held)"
    );
}

#[test]
fn an_order_paid_in_time_is_fulfilled() {
    let file = "order-payment.flow";
    let mut e = example(file);
    let start = e
        .start("order-with-deadline", vec![Value::from("o-1")])
        .unwrap();
    let (end, requests) = drive_restarting(file, e, start, |tag, _| match tag {
        Value::Symbol(s) if s == "payment" => Reply::Answer(Value::from(1800)),
        _ => Reply::Answer(sym("ok")),
    });
    let Step::Done { value, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(
        value.to_write_string(),
        "(completed \"o-1\" :payment 1800 :shipment ok)"
    );
    assert_eq!(
        requests,
        vec![sym("reserve"), sym("payment"), sym("fulfil")]
    );
}
