//! The embedding API exactly as SPEC.md ("Embedding (Rust)") spells it:
//! an engine, the order-lifecycle flow driven from Rust, export into a fresh
//! engine and continuing there, `Step`, host functions, limits, `Send`, serde.
//!
//! Integration tests run with the crate directory (crates/skein) as the
//! working directory, hence the `../../flows/` paths.

mod common;

use common::{kw, list, s, sym};
use serde::{Deserialize, Serialize};
use skein::{Capabilities, Engine, Error, FlowError, FlowStatus, Limits, Step, Value};

const ORDER_FLOW: &str = "../../flows/order-lifecycle.flow";

fn order_engine() -> Engine {
    let mut engine = Engine::new();
    engine.capture_output();
    engine.load_file(ORDER_FLOW).expect("load order-lifecycle");
    engine
}

#[test]
fn the_embedding_walkthrough_from_the_spec() {
    let mut engine = Engine::new();
    engine.capture_output();
    assert_eq!(engine.eval("(define x 1)"), Ok(Value::Unspecified));
    assert_eq!(engine.eval("x"), Ok(Value::from(1)));
    engine.load_file(ORDER_FLOW).expect("load");
    assert_eq!(engine.take_output(), "", "loading a flow file runs nothing");

    let step = engine
        .start("order-lifecycle", vec![Value::from("o-1")])
        .unwrap();
    assert_eq!(
        step,
        Step::Suspended {
            id: 1,
            tag: sym("reserve"),
            payload: s("o-1")
        }
    );
    let id = step.id();
    let step = engine.resume(id, Value::symbol("reserved")).unwrap();
    assert_eq!(
        step,
        Step::Suspended {
            id,
            tag: sym("payment"),
            payload: s("o-1")
        }
    );
    assert_eq!(engine.pending(), vec![(id, sym("payment"), s("o-1"))]);
    assert_eq!(engine.status(id), Some(FlowStatus::Suspended));

    // Another process picks the store up and continues.
    let json = engine.export_json().unwrap();
    let mut other = order_engine();
    other.import_json(&json).unwrap();
    assert_eq!(other.pending(), engine.pending());
    assert_eq!(other.log(id), engine.log(id));
    let payment = Value::Map(vec![(kw("amount"), Value::from(1800))]);
    let step = other.resume(id, payment.clone()).unwrap();
    assert_eq!(
        step,
        Step::Suspended {
            id,
            tag: sym("fulfil"),
            payload: s("o-1")
        }
    );
    let step = other.resume(id, s("Z123")).unwrap();
    let expected = list(vec![
        sym("completed"),
        s("o-1"),
        kw("reservation"),
        sym("reserved"),
        kw("payment"),
        payment.clone(),
        kw("shipment"),
        s("Z123"),
    ]);
    assert_eq!(
        step,
        Step::Done {
            id,
            value: expected.clone()
        }
    );
    assert_eq!(other.status(id), Some(FlowStatus::Done));
    assert_eq!(other.pending(), vec![]);
    assert_eq!(
        other.log(id),
        Some(vec![
            (sym("reserve"), sym("reserved")),
            (sym("payment"), payment),
            (sym("fulfil"), s("Z123")),
        ])
    );
    assert_eq!(
        other.eval(&format!("(flow/result {id})")),
        Ok(expected),
        "the Scheme side sees the same result"
    );
    // The first engine is untouched by what the second did.
    assert_eq!(engine.status(id), Some(FlowStatus::Suspended));
    assert_eq!(engine.pending(), vec![(id, sym("payment"), s("o-1"))]);
    assert_eq!(other.take_output(), "");
}

#[test]
fn the_settle_webhook_is_idempotent_from_rust_too() {
    let mut engine = order_engine();
    let id = engine
        .start("order-lifecycle", vec![s("o-9")])
        .unwrap()
        .id();
    engine.resume(id, sym("ok")).unwrap();
    let first = engine.eval(&format!("(order-settle! {id} 'paid)")).unwrap();
    assert_eq!(
        first,
        list(vec![
            sym("flow-suspended"),
            Value::from(1),
            sym("fulfil"),
            s("o-9")
        ])
    );
    let again = engine.eval(&format!("(order-settle! {id} 'paid)")).unwrap();
    assert_eq!(again, sym("already-settled"));
    assert_eq!(engine.log(id).unwrap().len(), 2);
}

#[test]
fn step_has_three_variants_and_is_debug() {
    let mut engine = Engine::new();
    engine.capture_output();
    engine
        .eval(
            "(defflow quick (lambda (x) (* x 2)))
             (defflow waits (lambda () (request 'ask 1)))
             (defflow breaks (lambda () (car '())))",
        )
        .unwrap();
    let done = engine.start("quick", vec![Value::from(21)]).unwrap();
    assert_eq!(
        done,
        Step::Done {
            id: 1,
            value: Value::from(42)
        }
    );
    let suspended = engine.start("waits", vec![]).unwrap();
    assert!(matches!(suspended, Step::Suspended { id: 2, .. }));
    let failed = engine.start("breaks", vec![]).unwrap();
    match &failed {
        Step::Failed { id: 3, error } => {
            assert!(error.contains("car"), "names what failed: {error}");
            assert!(error.contains("<eval>:3:"), "has a location: {error}");
        }
        other => panic!("expected a failed step, got {other:?}"),
    }
    for step in [&done, &suspended, &failed] {
        assert!(!format!("{step:?}").is_empty());
    }
    assert_eq!(
        [done.id(), suspended.id(), failed.id()],
        [1, 2, 3],
        "Step::id"
    );
    assert_eq!(engine.status(3), Some(FlowStatus::Failed));
    assert_eq!(engine.status(4), None);
    assert_eq!(engine.log(4), None);
}

#[test]
fn refused_starts_and_resumes_are_errors_that_change_nothing() {
    let mut engine = order_engine();
    let err = engine.start("no-such-flow", vec![]).unwrap_err();
    assert!(
        matches!(&err, Error::Flow(FlowError::UndefinedFlow { name }) if name == "no-such-flow"),
        "{err:?}"
    );
    engine.eval("(define not-a-flow 5)").unwrap();
    assert!(matches!(
        engine.start("not-a-flow", vec![]),
        Err(Error::Flow(_))
    ));
    // A value that is not plain data cannot even be sent.
    let err = engine
        .start(
            "order-lifecycle",
            vec![Value::Opaque("#<procedure>".into())],
        )
        .unwrap_err();
    assert!(err.to_string().contains("not plain data"), "{err}");
    // No id was used by the refusals.
    let id = engine
        .start("order-lifecycle", vec![s("o-1")])
        .unwrap()
        .id();
    assert_eq!(id, 1);

    let before = engine.export_json().unwrap();
    let err = engine.resume(7, sym("x")).unwrap_err();
    assert!(
        matches!(&err, Error::Flow(FlowError::UnknownFlow { id: 7 })),
        "{err:?}"
    );
    let err = engine
        .resume(id, Value::Opaque("#<procedure>".into()))
        .unwrap_err();
    assert!(err.to_string().contains("not plain data"), "{err}");
    assert_eq!(engine.export_json().unwrap(), before);

    engine.resume(id, sym("a")).unwrap();
    engine.resume(id, sym("b")).unwrap();
    engine.resume(id, sym("c")).unwrap();
    let before = engine.export_json().unwrap();
    let err = engine.resume(id, sym("again")).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Flow(FlowError::WrongStatus {
                status: FlowStatus::Done,
                ..
            })
        ),
        "names the status: {err:?}"
    );
    assert_eq!(engine.export_json().unwrap(), before);
}

#[test]
fn pending_lists_every_suspended_flow_by_id() {
    let mut engine = order_engine();
    for order in ["o-1", "o-2", "o-3"] {
        engine.start("order-lifecycle", vec![s(order)]).unwrap();
    }
    engine.resume(2, sym("reserved")).unwrap();
    engine
        .eval("(flow/cancel 3)")
        .expect("cancel a suspended flow");
    assert_eq!(
        engine.pending(),
        vec![(1, sym("reserve"), s("o-1")), (2, sym("payment"), s("o-2")),]
    );
    assert_eq!(engine.status(3), Some(FlowStatus::Cancelled));
}

#[test]
fn register_fn_is_callable_from_scheme_and_from_flows() {
    let mut engine = Engine::new();
    engine.capture_output();
    engine.register_fn("price", |args: &[Value]| -> Result<Value, Error> {
        let mut total = 0;
        for a in args {
            match a {
                Value::Int(n) => total += n,
                other => return Err(Error::Host(format!("not a price: {other}"))),
            }
        }
        Ok(Value::from(total))
    });
    assert_eq!(engine.eval("(price 2 3 5)"), Ok(Value::from(10)));
    assert_eq!(
        engine.eval("(map price '(1 2) '(10 20))"),
        Ok(list(vec![11.into(), 22.into()]))
    );
    // A host error is an ordinary Scheme error: catchable, and reported with its name.
    assert_eq!(
        engine.eval("(guard (e (#t (error-object-message e))) (price 'free))"),
        Ok(s("price: not a price: free"))
    );
    let err = engine.eval("(price \"x\")").unwrap_err();
    assert!(matches!(err, Error::Eval(_)), "{err:?}");
    assert!(err.to_string().contains("price"), "{err}");
    // Host functions receive plain data only.
    let err = engine.eval("(price car)").unwrap_err();
    assert!(err.to_string().contains("plain data"), "{err}");
    // Inside a flow.
    engine
        .eval("(defflow priced (lambda (n) (price n (request 'shipping n))))")
        .unwrap();
    let id = engine.start("priced", vec![Value::from(7)]).unwrap().id();
    assert_eq!(
        engine.resume(id, Value::from(3)).unwrap(),
        Step::Done {
            id,
            value: Value::from(10)
        }
    );
}

#[test]
// Written the way SPEC.md spells it: default limits, then one field changed.
#[allow(clippy::field_reassign_with_default)]
fn a_limit_that_trips_is_an_ordinary_error_and_the_engine_stays_usable() {
    let defaults = Limits::default();
    assert!(defaults.max_steps.is_some(), "never unlimited");
    assert!(defaults.max_depth.is_some(), "never unlimited");
    assert!(defaults.max_heap_bytes.is_some(), "never unlimited");

    let mut engine = Engine::new();
    engine.capture_output();
    let mut limits = Limits::default();
    limits.max_steps = Some(100_000);
    engine.set_limits(limits.clone());
    assert_eq!(engine.limits(), &limits);

    let err = engine
        .eval("(define (spin n) (spin (+ n 1))) (spin 0)")
        .unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
    assert_eq!(engine.eval("(+ 1 2)"), Ok(Value::from(3)));

    // A limit tripping inside a flow: an Err for the host, the flow fails, and
    // the engine goes on (the next flow gets the next id).
    engine
        .eval("(defflow spinner (lambda () (request 'go 1) (spin 0)))")
        .unwrap();
    let id = engine.start("spinner", vec![]).unwrap().id();
    let err = engine.resume(id, Value::from(0)).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
    assert_eq!(engine.status(id), Some(FlowStatus::Failed));
    assert_eq!(
        engine.eval("(flow/status 1)"),
        Ok(sym("failed")),
        "the Scheme side agrees"
    );
    engine.eval("(defflow fine (lambda () 'ok))").unwrap();
    assert_eq!(
        engine.start("fine", vec![]).unwrap(),
        Step::Done {
            id: 2,
            value: sym("ok")
        }
    );

    let mut limits = Limits::default();
    limits.max_depth = Some(1_000);
    engine.set_limits(limits);
    let err = engine
        .eval("(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1))))) (deep 100000)")
        .unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
    assert_eq!(engine.eval("(deep 10)"), Ok(Value::from(10)));
}

#[test]
fn engine_is_send_and_engines_are_independent() {
    fn assert_send<T: Send>() {}
    assert_send::<Engine>();

    let mut a = Engine::new();
    a.capture_output();
    a.eval("(define who 'a) (defflow f (lambda () (request who 0)))")
        .unwrap();
    let handle = std::thread::spawn(move || {
        let step = a.start("f", vec![]).unwrap();
        (a, step)
    });
    let mut b = Engine::new();
    b.capture_output();
    b.eval("(define who 'b) (defflow f (lambda () (request who 0)))")
        .unwrap();
    let step_b = b.start("f", vec![]).unwrap();
    let (mut a, step_a) = handle.join().unwrap();
    assert_eq!(
        step_a,
        Step::Suspended {
            id: 1,
            tag: sym("a"),
            payload: Value::from(0)
        }
    );
    assert_eq!(
        step_b,
        Step::Suspended {
            id: 1,
            tag: sym("b"),
            payload: Value::from(0)
        },
        "ids are per store, not per process"
    );
    assert_eq!(a.eval("who"), Ok(sym("a")));
    assert_eq!(b.eval("who"), Ok(sym("b")));
}

#[test]
fn values_are_built_with_from_symbol_and_keyword() {
    let mut engine = Engine::new();
    engine.capture_output();
    let v = engine
        .eval(r#"(list 1 -2 2.5 #t "s" 's :k #\x '() (expt 2 70) 1/3 '(a . b) #(1) #u8(7) {:a 1})"#)
        .unwrap();
    let expected = Value::List(vec![
        Value::from(1i64),
        Value::from(-2i32),
        Value::from(2.5),
        Value::from(true),
        Value::from("s"),
        Value::symbol("s"),
        Value::keyword("k"),
        Value::from('x'),
        Value::from(Vec::<Value>::new()),
        Value::BigInt("1180591620717411303424".into()),
        Value::Rational("1/3".into()),
        Value::DottedList(vec![sym("a")], Box::new(sym("b"))),
        Value::Vector(vec![Value::from(1u32)]),
        Value::Bytes(vec![7]),
        Value::Map(vec![(kw("a"), Value::from(1))]),
    ]);
    assert_eq!(v, expected);
    assert_ne!(Value::from("s"), Value::symbol("s"));
    assert_ne!(Value::symbol("s"), Value::keyword("s"));
    assert_ne!(Value::from(1), Value::from(1.0));
    assert_eq!(
        Value::from(usize::MAX),
        Value::BigInt(usize::MAX.to_string())
    );
    assert_eq!(
        v.to_write_string(),
        r#"(1 -2 2.5 #t "s" s :k #\x () 1180591620717411303424 1/3 (a . b) #(1) #u8(7) {:a 1})"#
    );
    // Values built in Rust go into the engine unchanged and come back equal.
    engine.eval("(defflow echo (lambda (x) x))").unwrap();
    assert_eq!(
        engine.start("echo", vec![expected.clone()]).unwrap(),
        Step::Done {
            id: 1,
            value: expected
        }
    );
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    zip: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: String,
    qty: i64,
    express: bool,
    weight: f64,
    tags: Vec<String>,
    note: Option<String>,
    address: Address,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Receipt {
    order: String,
    charged: u64,
    lines: Vec<(String, i64)>,
}

fn sample_order() -> Order {
    Order {
        id: "o-1".into(),
        qty: 3,
        express: true,
        weight: 1.25,
        tags: vec!["gift".into(), "fragile".into()],
        note: None,
        address: Address {
            city: "Lyon".into(),
            zip: "69001".into(),
        },
    }
}

#[test]
fn serde_round_trip_of_a_struct() {
    let order = sample_order();
    let v = skein::to_value(&order).unwrap();
    // Structs become maps with keyword keys.
    match &v {
        Value::Map(pairs) => {
            assert!(pairs.contains(&(kw("id"), s("o-1"))));
            assert!(pairs.contains(&(kw("qty"), Value::from(3))));
            // `None` is `#f`, which a flow reads as false (the unspecified value is true).
            assert!(pairs.contains(&(kw("note"), Value::Bool(false))));
        }
        other => panic!("expected a map, got {other}"),
    }
    let back: Order = skein::from_value(&v).unwrap();
    assert_eq!(back, order);
    let with_note = Order {
        note: Some("ring twice".into()),
        ..order
    };
    let back: Order = skein::from_value(&skein::to_value(&with_note).unwrap()).unwrap();
    assert_eq!(back, with_note);
    // A value of the wrong shape is an error, not a panic.
    assert!(skein::from_value::<Order>(&Value::from(1)).is_err());
}

#[test]
fn serde_values_cross_a_flow_and_an_export() {
    let mut engine = Engine::new();
    engine.capture_output();
    engine
        .eval(
            "(defflow checkout
               (lambda (order)
                 (let ((receipt (request 'charge (map-get order :address))))
                   (list (map-get order :qty) receipt))))",
        )
        .unwrap();
    let order = sample_order();
    let step = engine
        .start("checkout", vec![skein::to_value(&order).unwrap()])
        .unwrap();
    let Step::Suspended { id, payload, .. } = step else {
        panic!("expected a suspension, got {step:?}");
    };
    let address: Address = skein::from_value(&payload).unwrap();
    assert_eq!(address, order.address);

    let json = engine.export_json().unwrap();
    let mut other = Engine::new();
    other.capture_output();
    other
        .eval(
            "(defflow checkout
               (lambda (order)
                 (let ((receipt (request 'charge (map-get order :address))))
                   (list (map-get order :qty) receipt))))",
        )
        .unwrap();
    other.import_json(&json).unwrap();
    let receipt = Receipt {
        order: "o-1".into(),
        charged: 4200,
        lines: vec![("tea".into(), 2), ("cup".into(), 1)],
    };
    let step = other
        .resume(id, skein::to_value(&receipt).unwrap())
        .unwrap();
    let Step::Done { value, .. } = step else {
        panic!("expected done, got {step:?}");
    };
    let (qty, back): (i64, Receipt) = skein::from_value(&value).unwrap();
    assert_eq!(qty, 3);
    assert_eq!(back, receipt);
}

#[test]
fn output_is_captured_or_sent_to_a_writer() {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let mut engine = Engine::new();
    engine.capture_output();
    engine.eval("(display \"hi\") (newline)").unwrap();
    assert_eq!(engine.take_output(), "hi\n");
    assert_eq!(engine.take_output(), "", "taken once");

    let sink = Shared::default();
    engine.set_output(Box::new(sink.clone()));
    engine
        .eval("(defflow talk (lambda () (display \"before \") (request 'x 0) (display \"after\")))")
        .unwrap();
    let id = engine.start("talk", vec![]).unwrap().id();
    assert_eq!(
        String::from_utf8(sink.0.lock().unwrap().clone()).unwrap(),
        "before "
    );
    engine.resume(id, Value::from(1)).unwrap();
    assert_eq!(
        String::from_utf8(sink.0.lock().unwrap().clone()).unwrap(),
        "before after",
        "output reaches the writer by the time start/resume return"
    );
}

#[test]
fn load_file_errors_name_the_file() {
    let mut engine = Engine::new();
    let err = engine.load_file("../../flows/no-such.flow").unwrap_err();
    assert!(err.to_string().contains("no-such.flow"), "{err}");
    // `load` inside a loaded file resolves relative to that file, under
    // the directory the host granted.
    engine.set_capabilities(Capabilities {
        load: Some("../../flows".into()),
        ..Capabilities::none()
    });
    engine.capture_output();
    engine
        .load_file("../../flows/run-order.flow")
        .expect("run-order loads order-lifecycle.flow relative to itself");
    let out = engine.take_output();
    assert!(
        out.starts_with("started: (flow-suspended 1 reserve \"o-1001\")"),
        "{out}"
    );
    assert!(out.contains("same webhook again: already-settled"), "{out}");
}
