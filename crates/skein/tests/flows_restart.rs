//! The restart-at-every-step harness: every example flow, driven by a
//! scripted host, once uninterrupted and once with a process restart
//! (export_json -> fresh Engine loading the same flow file -> import_json)
//! between every pair of steps. Steps, final status, logs and captured output
//! must be identical; output written by flow code appears exactly once.
//!
//! To make flow code write output, the engines wrap `request` (before loading
//! the flow files) so that it prints a line before each request and after
//! each answer: those lines are flow output, suppressed during replay.

mod common;

use std::collections::BTreeMap;

use common::{
    assert_restart_invariant, drive, engine_with, flow_file, kw, list, s, sym, Host, Run,
};
use proptest::prelude::*;
use skein::{Engine, FlowStatus, Step, Value};

fn traced_engine(file: &str) -> Engine {
    let mut e = engine_with(common::TRACE_REQUESTS);
    e.load_file(flow_file(file))
        .unwrap_or_else(|err| panic!("load {file}: {}", err.report()));
    e
}

fn order_engine() -> Engine {
    traced_engine("order-lifecycle.flow")
}

fn notify_engine() -> Engine {
    traced_engine("notify.flow")
}

fn refund_engine() -> Engine {
    traced_engine("refund-saga.flow")
}

/// The trace a run must have written: a "> tag" line per request issued and
/// a "< response" line per answer, each exactly once.
fn expected_trace(run: &Run) -> String {
    let mut out = String::new();
    let log = run.log.clone().unwrap_or_default();
    for (tag, response) in &log {
        out.push_str(&format!("> {tag}\n< {response}\n"));
    }
    if let Step::Suspended { tag, .. } = run.last() {
        out.push_str(&format!("> {tag}\n"));
    }
    out
}

fn check_trace(run: &Run) {
    assert_eq!(run.output, expected_trace(run), "each line exactly once");
}

// ---- order-lifecycle ----

fn order_host(responses: [Value; 3]) -> impl Fn() -> Host {
    move || {
        let responses = responses.clone();
        Box::new(move |tag: &Value, _payload: &Value| match tag {
            Value::Symbol(t) if t == "reserve" => responses[0].clone(),
            Value::Symbol(t) if t == "payment" => responses[1].clone(),
            Value::Symbol(t) if t == "fulfil" => responses[2].clone(),
            other => panic!("unexpected request {other}"),
        })
    }
}

#[test]
fn order_lifecycle_survives_a_restart_at_every_step() {
    let reservation = Value::Map(vec![
        (kw("qty"), Value::from(2)),
        (kw("sku"), s("tea-earl-grey")),
    ]);
    let payment = Value::Map(vec![
        (kw("amount"), Value::from(1800)),
        (kw("currency"), s("EUR")),
    ]);
    let shipment = list(vec![sym("dhl"), s("Z123")]);
    let run = assert_restart_invariant(
        &order_engine,
        "order-lifecycle",
        vec![s("o-1001")],
        order_host([reservation.clone(), payment.clone(), shipment.clone()]),
    );
    assert_eq!(run.steps.len(), 4);
    assert_eq!(
        run.last(),
        &Step::Done {
            id: 1,
            value: list(vec![
                sym("completed"),
                s("o-1001"),
                kw("reservation"),
                reservation,
                kw("payment"),
                payment,
                kw("shipment"),
                shipment,
            ])
        }
    );
    assert_eq!(run.status, Some(FlowStatus::Done));
    check_trace(&run);
    assert!(
        run.output.starts_with("> reserve\n< {:qty 2"),
        "{}",
        run.output
    );
}

// ---- notify ----

fn outcome(ok: bool, n: usize) -> Value {
    if ok {
        list(vec![sym("ok"), s(&format!("sent on attempt {n}"))])
    } else {
        list(vec![sym("retry"), s(&format!("timeout {n}"))])
    }
}

/// A transport scripted per message id: the i-th attempt for a message
/// succeeds iff its script says so (attempts past the script succeed).
fn transport(script: BTreeMap<String, Vec<bool>>) -> impl Fn() -> Host {
    move || {
        let script = script.clone();
        Box::new(move |tag: &Value, payload: &Value| {
            let (id, n) = match tag {
                Value::List(items) => match items.as_slice() {
                    [Value::Symbol(d), Value::Str(id), Value::Int(n)] if d == "deliver" => {
                        (id.clone(), *n as usize)
                    }
                    _ => panic!("unexpected tag {tag}"),
                },
                _ => panic!("unexpected tag {tag}"),
            };
            match payload {
                Value::List(m) => assert_eq!(m.first(), Some(&s(&id)), "payload is the message"),
                other => panic!("unexpected payload {other}"),
            }
            let ok = script
                .get(&id)
                .and_then(|attempts| attempts.get(n - 1).copied())
                .unwrap_or(true);
            outcome(ok, n)
        })
    }
}

fn message(id: &str) -> Value {
    list(vec![
        s(id),
        s(&format!("{id}@example.com")),
        s("Weekly digest"),
    ])
}

/// What the notify flows must compute for a message under a script.
fn expected_delivery(id: &str, attempts: &[bool], maxn: usize) -> Value {
    for n in 1..=maxn {
        let ok = attempts.get(n - 1).copied().unwrap_or(true);
        if ok {
            return list(vec![sym("delivered"), s(id), Value::from(n)]);
        }
        if n >= maxn {
            return list(vec![sym("failed"), s(id), s(&format!("timeout {n}"))]);
        }
    }
    unreachable!("maxn >= 1")
}

fn check_reminder(attempts: Vec<bool>, maxn: usize) {
    let script = BTreeMap::from([("m-1".to_string(), attempts.clone())]);
    let run = assert_restart_invariant(
        &notify_engine,
        "reminder",
        vec![message("m-1"), Value::from(maxn)],
        transport(script),
    );
    assert_eq!(
        run.last(),
        &Step::Done {
            id: 1,
            value: expected_delivery("m-1", &attempts, maxn)
        }
    );
    check_trace(&run);
}

fn check_digest(script: Vec<Vec<bool>>, maxn: usize) {
    let ids: Vec<String> = (0..script.len()).map(|i| format!("m-{i}")).collect();
    let messages = list(ids.iter().map(|id| message(id)).collect());
    let by_id: BTreeMap<String, Vec<bool>> = ids.iter().cloned().zip(script.clone()).collect();
    let run = assert_restart_invariant(
        &notify_engine,
        "digest",
        vec![messages, Value::from(maxn)],
        transport(by_id),
    );
    let expected = list(
        ids.iter()
            .zip(&script)
            .map(|(id, attempts)| expected_delivery(id, attempts, maxn))
            .collect(),
    );
    assert_eq!(
        run.last(),
        &Step::Done {
            id: 1,
            value: expected
        }
    );
    check_trace(&run);
}

#[test]
fn notify_reminder_survives_a_restart_at_every_step() {
    check_reminder(vec![false, true], 3);
    check_reminder(vec![false, false, false], 3);
    check_reminder(vec![true], 1);
}

#[test]
fn notify_digest_survives_a_restart_at_every_step() {
    check_digest(vec![vec![false, false], vec![false, true]], 2);
    check_digest(vec![], 3);
}

// ---- refund saga ----

const SAGA: [(&str, &str); 3] = [
    ("credit-customer", "reverse-credit"),
    ("restock", "unstock"),
    ("notify-customer", "retract-notice"),
];

/// A host where the action at index `fail_at` fails (none if out of range).
fn saga_host(fail_at: usize) -> impl Fn() -> Host {
    move || {
        Box::new(move |tag: &Value, _payload: &Value| {
            let Value::Symbol(t) = tag else {
                panic!("unexpected tag {tag}")
            };
            if let Some(i) = SAGA.iter().position(|(action, _)| action == t) {
                if i == fail_at {
                    return list(vec![sym("error"), s(&format!("{t} unavailable"))]);
                }
                return list(vec![sym("ok"), s(&format!("{t} done"))]);
            }
            assert!(
                SAGA.iter().any(|(_, comp)| comp == t),
                "unexpected request {t}"
            );
            list(vec![sym("ok")])
        })
    }
}

fn expected_saga(fail_at: usize) -> (Value, Vec<&'static str>) {
    if fail_at >= SAGA.len() {
        let tags: Vec<&str> = SAGA.iter().map(|(a, _)| *a).collect();
        let value = list(vec![
            sym("completed"),
            list(tags.iter().map(|t| sym(t)).collect()),
        ]);
        return (value, tags);
    }
    let done = &SAGA[..fail_at];
    // Compensations run newest first.
    let undone: Vec<&str> = done.iter().rev().map(|(_, c)| *c).collect();
    let mut tags: Vec<&str> = SAGA[..=fail_at].iter().map(|(a, _)| *a).collect();
    tags.extend(&undone);
    let value = list(vec![
        sym("compensated"),
        kw("failed"),
        sym(SAGA[fail_at].0),
        kw("reason"),
        s(&format!("{} unavailable", SAGA[fail_at].0)),
        kw("undone"),
        list(undone.iter().map(|t| sym(t)).collect()),
    ]);
    (value, tags)
}

fn check_refund(fail_at: usize) {
    let run = assert_restart_invariant(
        &refund_engine,
        "refund",
        vec![s("o-1"), Value::from(1800)],
        saga_host(fail_at),
    );
    let (value, tags) = expected_saga(fail_at);
    assert_eq!(run.last(), &Step::Done { id: 1, value });
    let logged: Vec<Value> = run
        .log
        .clone()
        .unwrap()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let expected: Vec<Value> = tags.iter().map(|t| sym(t)).collect();
    assert_eq!(
        logged, expected,
        "each action and compensation exactly once"
    );
    check_trace(&run);
}

#[test]
fn refund_saga_survives_a_restart_at_every_step() {
    for fail_at in 0..=SAGA.len() {
        check_refund(fail_at);
    }
}

// ---- a restart also works from the Scheme side (run-*.flow style) ----

#[test]
fn the_scheme_host_loop_with_restarts_matches_the_rust_one() {
    let mut e = notify_engine();
    e.eval(common::SCHEME_DRIVER).unwrap();
    e.eval(
        r#"(define (transport tag message)
             (if (= (caddr tag) 1) '(retry "timeout 1") '(ok "sent on attempt 2")))"#,
    )
    .unwrap();
    let live = e
        .eval(r#"(drive (flow/start reminder '("m-1" "m-1@example.com" "Weekly digest") 3) transport #f)"#)
        .unwrap();
    let live_out = e.take_output();
    let restarted = e
        .eval(r#"(drive (flow/start reminder '("m-1" "m-1@example.com" "Weekly digest") 3) transport #t)"#)
        .unwrap();
    let restarted_out = e.take_output();
    assert_eq!(
        live.to_write_string(),
        r#"(flow-done 1 (delivered "m-1" 2))"#
    );
    assert_eq!(
        restarted.to_write_string(),
        r#"(flow-done 2 (delivered "m-1" 2))"#
    );
    assert_eq!(live_out, restarted_out);
    assert_eq!(
        live_out,
        "> (deliver \"m-1\" 1)\n< (retry \"timeout 1\")\n> (deliver \"m-1\" 2)\n< (ok \"sent on attempt 2\")\n"
    );
    assert_eq!(
        e.eval("(equal? (flow/log 1) (flow/log 2))"),
        Ok(Value::Bool(true))
    );
}

// ---- properties ----

fn canonical_int(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(n.to_string()),
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..6).prop_map(|cs| cs.into_iter().collect())
}

/// Arbitrary plain data, in the canonical form the engine hands back.
pub fn plain_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Unspecified),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<i128>().prop_map(canonical_int),
        (any::<i32>(), 2i64..1000).prop_map(|(n, d)| {
            let g = gcd(n as i64, d);
            let (n, d) = (n as i64 / g, d / g);
            if d == 1 {
                Value::Int(n)
            } else {
                Value::Rational(format!("{n}/{d}"))
            }
        }),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
            .prop_map(Value::Real),
        any::<char>().prop_map(Value::Char),
        text().prop_map(Value::Str),
        text().prop_map(Value::Symbol),
        text().prop_map(Value::Keyword),
        prop::collection::vec(any::<u8>(), 0..5).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Vector),
            (
                prop::collection::vec(inner.clone(), 1..3),
                prop_oneof![
                    any::<i64>().prop_map(Value::Int),
                    text().prop_map(Value::Str)
                ]
            )
                .prop_map(|(items, tail)| Value::DottedList(items, Box::new(tail))),
            prop::collection::btree_map(text(), inner, 0..4).prop_map(|m| {
                Value::Map(m.into_iter().map(|(k, v)| (Value::Keyword(k), v)).collect())
            }),
        ]
    })
}

fn attempts() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(any::<bool>(), 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_order_lifecycle_with_any_plain_responses(
        order in text(),
        a in plain_value(),
        b in plain_value(),
        c in plain_value(),
    ) {
        let run = assert_restart_invariant(
            &order_engine,
            "order-lifecycle",
            vec![Value::Str(order.clone())],
            order_host([a.clone(), b.clone(), c.clone()]),
        );
        let expected = list(vec![
            sym("completed"), Value::Str(order),
            kw("reservation"), a, kw("payment"), b, kw("shipment"), c,
        ]);
        prop_assert_eq!(run.last(), &Step::Done { id: 1, value: expected });
        check_trace(&run);
    }

    #[test]
    fn prop_notify_reminder_with_random_outcomes(script in attempts(), maxn in 1usize..5) {
        check_reminder(script, maxn);
    }

    #[test]
    fn prop_notify_digest_with_random_outcomes(
        script in prop::collection::vec(attempts(), 0..4),
        maxn in 1usize..4,
    ) {
        check_digest(script, maxn);
    }

    #[test]
    fn prop_refund_saga_whichever_step_fails(fail_at in 0usize..=3) {
        check_refund(fail_at);
    }

    #[test]
    fn prop_interrupted_runs_any_subset_of_steps(
        script in attempts(),
        restarts in prop::collection::vec(any::<bool>(), 8),
    ) {
        // Restart only before some answers: the same outcome as always/never.
        let by_id = BTreeMap::from([("m-1".to_string(), script.clone())]);
        let live = drive(&notify_engine, "reminder", vec![message("m-1"), Value::from(4)],
                         &mut *transport(by_id.clone())(), false);
        let mut engine = notify_engine();
        let mut output = String::new();
        let mut step = engine.start("reminder", vec![message("m-1"), Value::from(4)]).unwrap();
        let mut steps = vec![step.clone()];
        let mut host = transport(by_id)();
        let mut i = 0;
        while let Step::Suspended { id, tag, payload } = &step {
            let (id, response) = (*id, host(tag, payload));
            if restarts[i % restarts.len()] {
                output.push_str(&engine.take_output());
                let json = engine.export_json().unwrap();
                engine = notify_engine();
                engine.import_json(&json).unwrap();
            }
            i += 1;
            step = engine.resume(id, response).unwrap();
            steps.push(step.clone());
        }
        output.push_str(&engine.take_output());
        prop_assert_eq!(&steps, &live.steps);
        prop_assert_eq!(engine.log(1), live.log);
        prop_assert_eq!(output, live.output);
    }
}
