//! `max_heap_bytes` stops a program that keeps allocating, instead of letting
//! it exhaust the process's memory, and the engine stays usable.

use skein::{Engine, Error, Limits, Value};

fn engine_with_heap(bytes: usize) -> Engine {
    let mut engine = Engine::new();
    engine.set_limits(Limits {
        max_heap_bytes: Some(bytes),
        ..Limits::default()
    });
    engine
}

#[test]
fn a_list_that_grows_forever_trips_the_heap_limit() {
    let mut engine = engine_with_heap(16 << 20);
    let result = engine.eval("(let loop ((acc '())) (loop (cons 1 acc)))");
    assert!(
        matches!(result, Err(Error::Limit(ref m)) if m.contains("max_heap_bytes")),
        "{result:?}"
    );
    assert_eq!(engine.eval("(+ 1 2)").unwrap(), Value::Int(3));
}

#[test]
fn garbage_that_is_freed_does_not_count() {
    // Far more pairs are allocated than the limit allows at once, but each
    // list is dropped before the next is built.
    let mut engine = engine_with_heap(16 << 20);
    let result = engine.eval(
        "(let loop ((i 0)) (if (< i 2000) (begin (length (make-list 1000 'x)) (loop (+ i 1))) 'ok))",
    );
    assert_eq!(result.unwrap(), Value::symbol("ok"));
}
