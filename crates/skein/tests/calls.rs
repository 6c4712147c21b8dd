//! Calls of procedures held in variables (parameters, `let` variables and
//! closed-over variables), which the machine reads from the variable rather
//! than pushing first: every kind of procedure, in tail and non-tail
//! position, with the errors a bad callee gets.

mod common;

use common::{engine, ev, shallow_engine};
use skein::Value;

#[test]
fn every_kind_of_procedure_is_called_from_a_parameter_and_a_closed_over_variable() {
    let mut e = engine();
    ev(
        &mut e,
        "(define-record-type point (make-point x) point? (x point-x))
         (define p (make-parameter 7))
         (define (call f x) (f x))
         (define (call-thunk f) (f))
         (define (call-last f x) (let ((r (f x))) r))
         (define (later f) (lambda (x) (f x)))
         (define (each f) (list (call f 1) (call-last f 1) ((later f) 1)))",
    );
    assert_eq!(
        ev(
            &mut e,
            "(list (each (lambda (x) (+ x 1)))
                   (each number?)
                   (each (lambda (x) (call/cc (lambda (k) (call k x)))))
                   (each point?)
                   (each (lambda (x) (apply + x '(10))))
                   (each (lambda (x) (display x) x))
                   (call-thunk p)
                   (call vector-length #(1 2 3)))"
        ),
        ev(
            &mut e,
            "'((2 2 2) (#t #t #t) (1 1 1) (#f #f #f) (11 11 11) (1 1 1) 7 3)"
        )
    );
    assert_eq!(e.take_output(), "111");
}

#[test]
fn tail_calls_through_variables_run_in_constant_space() {
    let mut e = shallow_engine();
    ev(
        &mut e,
        "(define (bounce f n) (if (= n 0) 'done (f f (- n 1))))
         (define (spin n) (let ((go (lambda (g k) (bounce g k)))) (go bounce n)))",
    );
    assert_eq!(ev(&mut e, "(bounce bounce 1000000)"), Value::symbol("done"));
    assert_eq!(ev(&mut e, "(spin 1000000)"), Value::symbol("done"));
}

#[test]
fn a_bad_procedure_in_a_variable_is_an_error_at_the_call() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (call f x) (f x))
         (define (wrap f) (lambda (x) (f x x)))",
    );
    let err = e.eval_source("bad.flow", "(call 5 1)\n").unwrap_err();
    let report = err.report();
    assert!(report.contains("not a procedure"), "{report}");
    let err = e
        .eval_source("arity.flow", "((wrap (lambda (x) x)) 1)\n")
        .unwrap_err();
    let report = err.report();
    // At the call inside the closure, then the call that reached it.
    assert!(report.contains("expected 1 argument, got 2"), "{report}");
    assert!(report.contains("<eval>:2:39"), "{report}");
    assert!(report.contains("called from arity.flow:1:1"), "{report}");
    // The engine is still usable.
    assert_eq!(ev(&mut e, "(call (lambda (x) (* x 2)) 21)"), Value::Int(42));
}
