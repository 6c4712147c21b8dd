//! The limits a store keeps: one maximum nesting for values
//! (`skein::MAX_VALUE_DEPTH`) in every column, and ids that cannot run out.

mod common;

use common::{snapshot, Scratch};
use skein::{Engine, Error, FlowError, Value, MAX_FLOW_ID, MAX_VALUE_DEPTH};
use skein_sqlite::{State, Store, StoreError};

const FLOWS: &str = "
(defflow echo (lambda (v) (request 'more v)))
(defflow wrap (lambda (v) (request 'again (list v))))
";

/// A value exactly `depth` levels deep, its levels maps, vectors, lists and
/// dotted lists in turn (a map costs the JSON encoding three levels).
fn nested(depth: usize) -> Value {
    let mut v = Value::symbol("x");
    for level in 1..depth {
        v = match level % 4 {
            0 => Value::Map(vec![(Value::keyword("k"), v)]),
            1 => Value::list([v, Value::from("s")]),
            2 => Value::Vector(vec![Value::from(1), v]),
            // Its tail is the vector just made: a dotted list stays dotted.
            _ => Value::DottedList(vec![Value::from(2)], Box::new(v)),
        };
    }
    v
}

#[test]
fn a_value_nested_at_the_maximum_round_trips_through_every_column_and_a_resume() {
    let s = Scratch::new();
    let flow = s.file("deep.flow", FLOWS);
    let deep = nested(MAX_VALUE_DEPTH);
    let mut store = s.store();
    let step = store.start(&flow, "echo", vec![deep.clone()]).unwrap();
    let waiting = State::Suspended {
        tag: Value::symbol("more"),
        payload: deep.clone(),
    };
    // Compared without printing: a failure would print a thousand levels.
    assert!(step.state == waiting);
    // A later process reads the columns back: args and pending payload.
    let mut store = Store::open(s.db()).unwrap();
    store.check_integrity().unwrap();
    assert!(store.flow(1).unwrap().args == vec![deep.clone()]);
    let step = store.resume(1, deep.clone(), None).unwrap();
    assert!(step.state == State::Done(deep.clone()));
    assert!(store.log(1).unwrap() == vec![(Value::symbol("more"), deep.clone())]);
    // Export, import into a new store and into an engine, export again.
    let json = store.export_json().unwrap();
    let copy = s.path("copy.db");
    assert_eq!(Store::import_json_at(&copy, &json, Some(&flow)).unwrap(), 1);
    assert!(snapshot(&Store::open(&copy).unwrap()) == json);
    let mut engine = Engine::new();
    engine.import_json(&json).unwrap();
    assert!(engine.result(1).unwrap() == deep);
}

#[test]
fn a_value_one_level_deeper_is_refused_where_it_enters_and_changes_nothing() {
    let s = Scratch::new();
    let flow = s.file("deep.flow", FLOWS);
    let mut store = s.store();
    let too_deep = nested(MAX_VALUE_DEPTH + 1);
    let err = store
        .start(&flow, "echo", vec![too_deep.clone()])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Engine(Error::Flow(FlowError::TooDeep { what })) if what == "argument 1"),
        "{err}"
    );
    store.start(&flow, "echo", vec![Value::from(1)]).unwrap();
    let before = snapshot(&store);
    let err = store.resume(1, too_deep, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("nested more than 1000 levels deep"),
        "{err}"
    );
    assert_eq!(snapshot(&store), before);
    // Made inside the flow: its request fails it, saying why, and the
    // store keeps a flow that exports.
    let step = store
        .start(&flow, "wrap", vec![nested(MAX_VALUE_DEPTH)])
        .unwrap();
    match step.state {
        State::Failed(message) => assert!(
            message.contains("request: the payload is nested more than 1000 levels deep"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    Engine::new()
        .import_json(&store.export_json().unwrap())
        .unwrap();
}

#[test]
fn a_column_holding_a_value_too_deep_is_reported_as_damage_not_a_crash() {
    let s = Scratch::new();
    let flow = s.file("deep.flow", FLOWS);
    let mut store = s.store();
    store.start(&flow, "echo", vec![Value::from(1)]).unwrap();
    // Far deeper than any value may be: refused before it is parsed.
    let column = format!("{}1{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute("UPDATE flows SET pending_payload = ?1", [&column])
        .unwrap();
    let err = store.resume(1, Value::from(2), None).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("nested more than"), "{err}");
}

#[test]
fn an_import_whose_next_id_leaves_no_room_is_refused_and_creates_no_file() {
    let s = Scratch::new();
    let doc = |next_id: u64| {
        format!(r#"{{"flows": [], "format": "skein-store", "next_id": {next_id}, "version": 1}}"#)
    };
    for next_id in [i64::MAX as u64, MAX_FLOW_ID + 2] {
        let err = Store::import_json_at(s.db(), &doc(next_id), None).unwrap_err();
        assert!(matches!(err, StoreError::Document(_)), "{err}");
        assert!(
            err.to_string().contains("beyond the largest flow id"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(s.dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn a_store_whose_ids_are_used_up_refuses_start_clearly() {
    let s = Scratch::new();
    let flow = s.file("deep.flow", FLOWS);
    let last = format!(
        r#"{{"flows": [], "format": "skein-store", "next_id": {MAX_FLOW_ID}, "version": 1}}"#
    );
    Store::import_json_at(s.db(), &last, None).unwrap();
    let mut store = Store::open(s.db()).unwrap();
    let step = store.start(&flow, "echo", vec![Value::from(1)]).unwrap();
    assert_eq!(step.id, MAX_FLOW_ID);
    let before = snapshot(&store);
    let err = store
        .start(&flow, "echo", vec![Value::from(2)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Engine(Error::Flow(FlowError::NoIdsLeft { .. }))
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "no flow id is left: the store's next id 9007199254740992 is beyond the largest flow id 9007199254740991"
    );
    assert_eq!(snapshot(&store), before);
    // The store still opens, resumes and exports.
    let mut store = Store::open(s.db()).unwrap();
    store.resume(MAX_FLOW_ID, Value::from(3), None).unwrap();
    Engine::new()
        .import_json(&store.export_json().unwrap())
        .unwrap();
}
