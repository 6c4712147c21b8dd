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

fn assert_heap_limit(engine: &mut Engine, src: &str) {
    let result = engine.eval(src);
    assert!(
        matches!(result, Err(Error::Limit(ref e)) if e.kind == skein::LimitKind::Heap),
        "{src}: {result:?}"
    );
    // The engine is still usable, and what the program held was freed.
    assert_eq!(engine.eval("(+ 1 2)").unwrap(), Value::Int(3), "{src}");
}

/// Every kind of value a program can allocate is charged to the budget when
/// it is made, so each of these stops at a 64 MB limit rather than growing
/// until the process aborts.
#[test]
fn every_kind_of_allocation_is_charged() {
    let mut engine = engine_with_heap(64 << 20);
    for src in [
        // One primitive asking for far more than the budget.
        "(length (make-list 100000000))",
        "(vector-length (make-vector 100000000 0))",
        "(string-length (make-string 100000000 #\\x))",
        "(bytevector-length (make-bytevector 100000000 0))",
        "(length (iota 100000000))",
        // Doubling: each result is twice the last.
        "(let loop ((s \"xxxxxxxx\")) (loop (string-append s s)))",
        "(let loop ((v (vector 1 2 3 4))) (loop (vector-append v v)))",
        "(let loop ((b (bytevector 1 2 3 4))) (loop (bytevector-append b b)))",
        "(let loop ((l (list 1 2 3 4))) (loop (append l l)))",
        // One value passed many times: the result is reserved first.
        "(define s (make-string 1000000 #\\a)) (string-length (apply string-append (make-list 1000 s)))",
        "(define v (make-vector 100000 0)) (vector-length (apply vector-append (make-list 1000 v)))",
        "(define l (make-list 100000 0)) (length (apply append (append (make-list 1000 l) '(()))))",
        "(define s (make-string 1000000 #\\a)) (string-length (string-join (make-list 1000 s) \",\"))",
        // Many small values kept alive.
        "(let loop ((acc '())) (loop (cons (make-vector 1000 0) acc)))",
        "(let loop ((acc '())) (loop (cons (make-string 1000 #\\a) acc)))",
        "(let loop ((acc '())) (loop (cons (make-bytevector 1000 0) acc)))",
        "(let loop ((f (lambda () 0))) (loop (lambda () (f))))",
        "(let loop ((m (hash-map)) (i 0)) (loop (map-set m i i) (+ i 1)))",
        "(define big (expt 3 100000)) (let loop ((acc '()) (i 1)) (loop (cons (* big i) acc) (+ i 1)))",
        "(define-record-type <point> (point x y) point? (x px) (y py)) (let loop ((p (point 0 0))) (loop (point p p)))",
        "(let loop ((acc '())) (loop (cons (call/cc (lambda (k) k)) acc)))",
        "(let loop ((acc '())) (loop (cons (guard (e (#t e)) (error \"boom\")) acc)))",
        "(let ((p (open-output-string))) (let loop () (write-string \"0123456789abcdef\" p) (loop)))",
        "(let ((p (open-output-bytevector))) (let loop () (write-bytevector (bytevector 1 2 3 4 5 6 7 8) p) (loop)))",
    ] {
        assert_heap_limit(&mut engine, src);
    }
}

/// What is made and dropped is credited back exactly: a program that makes
/// far more than the budget, a little at a time, never trips it.
#[test]
fn every_kind_of_value_returns_what_it_was_charged() {
    // Each round makes about 25 kB: 3,000 rounds make 37 times the budget.
    let mut engine = engine_with_heap(2 << 20);
    let src = r#"
      (define-record-type <point> (point x y) point? (x px) (y py))
      (define (churn i)
        (let* ((s (make-string 1000 #\a))
               (t (string-append s "b"))
               (v (vector-append (make-vector 500 i) (vector s)))
               (b (bytevector-append (make-bytevector 1000 1) (bytevector 2)))
               (m (map-set (map-set (hash-map) 'a v) 'b b))
               (f (lambda () (list s t v b m)))
               (big (expt 3 (+ 10000 i)))
               (p (point f big))
               (k (call/cc (lambda (k) k)))
               (e (guard (c (#t c)) (error "boom" v)))
               (o (let ((port (open-output-string)))
                    (write-string t port)
                    (get-output-string port))))
          (string-length o)))
      (let loop ((i 0))
        (if (< i 3000) (begin (churn i) (loop (+ i 1))) 'done))
    "#;
    assert_eq!(engine.eval(src).unwrap(), Value::symbol("done"));
}

/// A refused allocation is the heap limit, not an error a handler can catch
/// and retry.
#[test]
fn a_refused_allocation_cannot_be_caught() {
    let mut engine = engine_with_heap(64 << 20);
    assert_heap_limit(
        &mut engine,
        "(let loop () (guard (e (#t (loop))) (make-vector 100000000 0)))",
    );
}

/// The limit holds inside a flow, and the flow fails with the limit named.
#[test]
fn the_heap_limit_holds_inside_a_flow() {
    let mut engine = engine_with_heap(64 << 20);
    engine
        .eval("(defflow hog (lambda () (let loop ((s \"xxxxxxxx\")) (loop (string-append s s)))))")
        .unwrap();
    let result = engine.start("hog", vec![]);
    assert!(
        matches!(result, Err(Error::Limit(ref e)) if e.kind == skein::LimitKind::Heap),
        "{result:?}"
    );
}
