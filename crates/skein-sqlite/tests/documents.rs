//! The store and `skein-store` documents: export, import, and exchange with
//! an embedding host's engine in both directions.

mod common;

use common::{datum, example_flow, snapshot, Scratch};
use skein::{Engine, Step, Value};
use skein_sqlite::{State, Store, StoreError};

#[test]
fn a_store_exports_what_a_host_engine_imports_and_continues() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let mut store = s.store();
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    store
        .resume(1, datum("{:warehouse \"north\"}"), None)
        .unwrap();

    let mut host = Engine::new();
    host.load_file(&flow).unwrap();
    host.import_json(&store.export_json().unwrap()).unwrap();
    assert_eq!(
        host.pending(),
        vec![(1, datum("payment"), datum("\"o-1\""))]
    );
    let step = host.resume(1, datum("{:amount 1800}")).unwrap();
    assert!(matches!(step, Step::Suspended { id: 1, .. }));
}

#[test]
fn a_host_engines_export_imports_into_a_store_and_continues() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let mut host = Engine::new();
    host.load_file(&flow).unwrap();
    host.start("order-lifecycle", vec![Value::from("o-7")])
        .unwrap();
    host.start("order-lifecycle", vec![Value::from("o-8")])
        .unwrap();
    host.resume(2, datum("reserved")).unwrap();
    let json = host.export_json().unwrap();

    let mut store = s.store();
    assert_eq!(store.import_json(&json, Some(&flow)).unwrap(), 2);
    // Ids are kept, and the next start continues after them.
    let step = store.resume(2, datum("paid"), None).unwrap();
    assert_eq!(
        step.state,
        State::Suspended {
            tag: datum("fulfil"),
            payload: datum("\"o-8\"")
        }
    );
    let step = store
        .start(&flow, "order-lifecycle", vec![datum("\"o-9\"")])
        .unwrap();
    assert_eq!(step.id, 3);
}

#[test]
fn export_then_import_into_a_new_store_round_trips() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let mut store = s.store();
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    store
        .start(
            &flow,
            "order-lifecycle",
            vec![datum("#(1 2.5 #\\x \"s\" sym :kw)")],
        )
        .unwrap();
    store
        .resume(1, datum("{:b (1 . 2) :a -0.0}"), None)
        .unwrap();
    store.cancel(2).unwrap();
    let json = store.export_json().unwrap();

    let mut copy = Store::open_or_create(s.path("copy.db")).unwrap();
    copy.import_json(&json, None).unwrap();
    assert_eq!(snapshot(&copy), json);
}

#[test]
fn imported_flows_without_a_source_ask_for_one() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let mut host = Engine::new();
    host.load_file(&flow).unwrap();
    host.start("order-lifecycle", vec![Value::from("o-1")])
        .unwrap();
    let mut store = s.store();
    store
        .import_json(&host.export_json().unwrap(), None)
        .unwrap();
    assert_eq!(store.flow(1).unwrap().source, None);
    let err = store.resume(1, datum("r"), None).unwrap_err();
    assert!(matches!(err, StoreError::NoSource(1)), "{err}");
    assert!(store.resume(1, datum("r"), Some(&flow)).is_ok());
}

#[test]
fn refused_imports_change_nothing() {
    let s = Scratch::new();
    let flow = example_flow("order-lifecycle.flow");
    let mut store = s.store();
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    let before = snapshot(&store);
    let valid = before.clone();
    let documents = [
        before.replace("\"version\": 2", "\"version\": 3"),
        "{\"format\": \"skein-store\"".to_string(),
        before.replace("\"order-lifecycle\"", "17"),
    ];
    for doc in &documents {
        let err = store.import_json(doc, None).unwrap_err();
        assert!(matches!(err, StoreError::Document(_)), "{err}");
    }
    let err = store.import_json(&documents[0], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the document was refused: unsupported version 3 (this engine reads versions 1 to 2)"
    );
    // A valid document, but the store already holds flows.
    assert!(matches!(
        store.import_json(&valid, None),
        Err(StoreError::NotEmpty(1))
    ));
    assert_eq!(snapshot(&store), before);
}
