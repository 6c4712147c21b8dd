//! Calls of procedures held in variables (parameters, `let` variables and
//! closed-over variables), which the machine reads from the variable rather
//! than pushing first: every kind of procedure, in tail and non-tail
//! position, with the errors a bad callee gets; and the returns of
//! one-expression procedures, which return without a `Return` instruction.

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

/// A procedure whose body is one inline call (`(+ x 1)`) returns straight
/// from that instruction: into a waiting activation, a control frame
/// (`dynamic-wind`, `guard`, a continuation), the top level, and through
/// the general path when the primitive is redefined or the operands are
/// not fixnums.
#[test]
fn one_expression_procedures_return_into_every_kind_of_frame() {
    let mut e = engine();
    ev(&mut e, "(define (inc x) (+ x 1)) (define (head l) (car l))");
    assert_eq!(
        ev(
            &mut e,
            "(list (inc 1)
                   (dynamic-wind (lambda () #f) (lambda () (inc 2)) (lambda () #f))
                   (guard (c (#t 'caught)) (inc 3))
                   (call-with-current-continuation (lambda (k) (inc 4)))
                   (inc 1.5)
                   (inc (expt 2 62))
                   (guard (c ((error-object? c) (error-object-message c))) (head 5)))"
        ),
        ev(
            &mut e,
            "(list 2 3 4 5 2.5 (+ (expt 2 62) 1) \"car: expected a pair\")"
        )
    );
    assert_eq!(ev(&mut e, "(+ 40 2)"), Value::Int(42));
    ev(&mut e, "(set! + (lambda (a b) (list 'plus a b)))");
    assert_eq!(ev(&mut e, "(inc 1)"), ev(&mut e, "'(plus 1 1)"));
}
