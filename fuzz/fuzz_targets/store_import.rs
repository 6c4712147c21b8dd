//! Store import: arbitrary bytes as a `skein-store` JSON document.
//!
//! A refused document must leave the store as it was. An accepted one must
//! export, and the export must import into a fresh engine and export again
//! as the same document (and the same text). Then every suspended flow is
//! resumed under tight limits, which rebuilds it by replaying its log
//! through real flow code (the repository's flows are loaded), and the
//! store must still export.

use skein::{Engine, FlowStatus, Limits, Value};

/// The flows a fuzzed document can name: the repository's, plus the
/// smallest flow of the embedding guide.
const FLOWS: &[&str] = &[
    include_str!("../../flows/order-lifecycle.flow"),
    include_str!("../../flows/refund-saga.flow"),
    include_str!("../../flows/notify.flow"),
    "(defflow order (lambda (id) (request 'reserve id) (list 'paid (request 'payment id))))",
];

fn engine() -> Engine {
    let mut engine = Engine::new();
    engine.capture_output();
    engine.capture_error_output();
    for src in FLOWS {
        engine.eval(src).expect("the repository's flows load");
    }
    engine.set_limits(Limits {
        max_steps: Some(200_000),
        max_depth: Some(10_000),
        max_heap_bytes: Some(64 << 20),
    });
    engine
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(json) = std::str::from_utf8(data) else {
            return;
        };
        let mut first = engine();
        let empty = first.export().expect("an empty store exports");
        let imported = first.import_json(json);
        if skein_fuzz::show() {
            eprintln!("import: {imported:?}");
        }
        if let Err(e) = imported {
            skein_fuzz::check_error(&e);
            assert_eq!(
                first.export().expect("an empty store exports"),
                empty,
                "a refused document changed the store"
            );
            return;
        }
        let doc = first.export().expect("an imported document exports");
        let text = first
            .export_json()
            .expect("an imported document exports as JSON");
        let mut second = engine();
        if let Err(e) = second.import_json(&text) {
            panic!("the export of an accepted document is refused: {e}\n{text}");
        }
        assert_eq!(
            second.export().expect("a re-imported document exports"),
            doc,
            "export, import, export changed the document"
        );
        assert_eq!(
            second
                .export_json()
                .expect("a re-imported document exports as JSON"),
            text,
            "export, import, export changed the text"
        );

        // Everything a host may ask of an imported store.
        let summaries = first.flows();
        let _ = first.pending();
        for s in &summaries {
            let _ = first.status(s.id);
            let _ = first.log(s.id);
            match first.result(s.id) {
                Ok(v) => skein_fuzz::check_printing(&v),
                Err(e) => skein_fuzz::check_error(&e),
            }
            let _ = first.flow_record(s.id);
        }
        for s in &summaries {
            if first.status(s.id) != Some(FlowStatus::Suspended) {
                continue;
            }
            let step = first.resume(s.id, Value::symbol("ok"));
            if skein_fuzz::show() {
                eprintln!("resume {}: {step:?}", s.id);
            }
            if let Err(e) = step {
                skein_fuzz::check_error(&e);
            }
            let _ = first.status(s.id);
            let _ = first.log(s.id);
            match first.result(s.id) {
                Ok(v) => skein_fuzz::check_printing(&v),
                Err(e) => skein_fuzz::check_error(&e),
            }
        }
        // A flow that was accepted can always be exported and imported again
        // (docs/store-format.md); these flows start no anonymous flow-node.
        let after = first
            .export_json()
            .expect("the store exports after resuming");
        let mut third = engine();
        if let Err(e) = third.import_json(&after) {
            panic!("the export after resuming is refused: {e}\n{after}");
        }
    });
}
