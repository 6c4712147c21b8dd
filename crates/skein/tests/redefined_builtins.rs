//! Calls to common built-ins (`+`, `car`, `not`, ...) are compiled to fast
//! instructions; a program that redefines or assigns those names must still
//! get its own definitions, everywhere, with proper tail calls.

mod common;

use common::{assert_evals_to, engine, ev, shallow_engine};
use skein::Value;

#[test]
fn a_redefined_builtin_is_used_by_code_compiled_before_and_after() {
    let mut e = engine();
    ev(&mut e, "(define (first-of l) (car l))");
    ev(&mut e, "(define (car l) 'mine)");
    assert_eq!(ev(&mut e, "(first-of '(1 2))"), Value::symbol("mine"));
    assert_eq!(ev(&mut e, "(car '(1 2))"), Value::symbol("mine"));
}

#[test]
fn an_assigned_builtin_is_used() {
    let mut e = engine();
    ev(&mut e, "(define (add a b) (+ a b))");
    ev(&mut e, "(set! + -)");
    assert_eq!(ev(&mut e, "(add 10 3)"), Value::Int(7));
}

#[test]
fn a_redefined_builtin_in_tail_position_is_a_tail_call() {
    let mut e = shallow_engine();
    ev(
        &mut e,
        "(define (not n) (if (= n 0) 'done (countdown (- n 1))))
         (define (countdown n) (not n))",
    );
    assert_eq!(ev(&mut e, "(countdown 100000)"), Value::symbol("done"));
}

#[test]
fn a_builtin_redefined_with_another_arity_gets_its_arguments() {
    let mut e = engine();
    ev(&mut e, "(define (cons . xs) (length xs))");
    assert_eq!(ev(&mut e, "(cons 1 2)"), Value::Int(2));
}

/// `(not (< a b))` is compiled to one instruction; either half redefined
/// must still be called, in a branch and as a value.
#[test]
fn a_negated_test_uses_redefined_not_and_comparison() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (at-least? a b) (if (not (< a b)) 'yes 'no))
         (define (at-least a b) (not (< a b)))",
    );
    assert_evals_to(
        &mut e,
        "(list (at-least? 2 1) (at-least? 1 2) (at-least 1 2))",
        "'(yes no #f)",
    );
    ev(&mut e, "(define (not x) (if x 'not-false 'not-true))");
    assert_evals_to(
        &mut e,
        "(list (at-least? 1 2) (at-least 1 2) (at-least 2 1))",
        "'(yes not-false not-true)",
    );
    ev(&mut e, "(define (< a b) 'never)");
    assert_evals_to(
        &mut e,
        "(list (at-least? 1 2) (at-least 1 2))",
        "'(yes not-false)",
    );
}

#[test]
fn a_negated_test_reached_by_a_jump_still_negates() {
    let mut e = engine();
    // The `not` is reached both from the comparison and from the `and`.
    ev(&mut e, "(define (f a b) (not (and a (< a b))))");
    assert_evals_to(&mut e, "(list (f #f 1) (f 1 2) (f 2 1))", "'(#t #f #t)");
}

#[test]
fn redefined_list_predicates_and_accessors_are_used_on_variables() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (kind l) (if (null? l) 'empty (if (pair? l) 'pair 'other)))
         (define (second l) (car (cdr l)))",
    );
    assert_evals_to(
        &mut e,
        "(list (kind '()) (kind '(1)) (kind 5) (second '(1 2)))",
        "'(empty pair other 2)",
    );
    ev(&mut e, "(define (null? x) (eq? x 'nothing))");
    ev(&mut e, "(define (pair? x) #f)");
    ev(&mut e, "(define (cdr x) '(cdr-of))");
    assert_evals_to(
        &mut e,
        "(list (kind 'nothing) (kind '(1)) (second '(1 2)))",
        "'(empty other cdr-of)",
    );
}

/// `(- n 1)`, `(< n 10)` and `(+ a b)` on variables are instructions that
/// hold their operands in place; every case off the fixnum path (other
/// numbers, overflow, wrong types, a redefinition) gets what the primitive,
/// or the new definition, gives.
#[test]
fn arithmetic_on_variables_and_constants_leaves_the_fixnum_path_correctly() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (dec n) (- n 1))
         (define (double n) (* n 2))
         (define (small? n) (if (< n 10) 'small 'big))
         (define (below-ten n) (< n 10))
         (define (sum a b) (+ a b))
         (define (ordered? a b) (if (<= a b) 'yes 'no))",
    );
    assert_evals_to(
        &mut e,
        "(list (dec 5) (dec 1.5) (dec 1/2) (double 4611686018427387904)
                   (small? 3) (small? 10.5) (below-ten 3) (below-ten 12)
                   (sum 9223372036854775807 1) (sum 1 2.5)
                   (ordered? 1 2) (ordered? 2 1) (ordered? 1/2 1))",
        "'(4 0.5 -1/2 9223372036854775808 small big #t #f
               9223372036854775808 3.5 yes no yes)",
    );
    let err = e.eval("(dec 'x)").unwrap_err();
    assert!(err.report().contains("-"), "{}", err.report());
    ev(&mut e, "(define (- a b) (list 'minus a b))");
    ev(&mut e, "(set! < (lambda (a b) #f))");
    ev(&mut e, "(define (+ a b) 'plus)");
    assert_evals_to(
        &mut e,
        "(list (dec 5) (small? 3) (below-ten 3) (sum 1 2))",
        "'((minus 5 1) big #f plus)",
    );
}

/// `cons` moves operands computed on the stack into the pair and copies
/// variables and constants; each mix of them must keep its order, and a
/// redefined `cons` must get the same arguments.
#[test]
fn cons_of_every_operand_kind_keeps_order_and_follows_a_redefinition() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (pairs a b)
           (let ((f (lambda () (cons b 'k))))
             (list (cons (+ a 1) (+ b 1)) (cons (+ a 1) b) (cons a (+ b 1))
                   (cons a b) (f) (cons 'k a))))",
    );
    assert_evals_to(
        &mut e,
        "(pairs 1 2)",
        "'((2 . 3) (2 . 2) (1 . 3) (1 . 2) (2 . k) (k . 1))",
    );
    ev(&mut e, "(define (cons x y) (list 'c x y))");
    assert_evals_to(
        &mut e,
        "(pairs 1 2)",
        "'((c 2 3) (c 2 2) (c 1 3) (c 1 2) (c 2 k) (c k 1))",
    );
}

/// `even?` and `odd?` are computed in place on fixnums only: bignums and
/// inexact integers go to the primitive, non-integers are its error, and a
/// redefinition is called.
#[test]
fn even_and_odd_leave_the_fixnum_path_correctly() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (parities x) (list (even? x) (odd? x) (if (even? x) 'e 'o)))",
    );
    assert_evals_to(
        &mut e,
        "(map parities (list 0 7 -4 -3 (expt 2 70) (+ (expt 2 70) 1) 6.0))",
        "'((#t #f e) (#f #t o) (#t #f e) (#f #t o) (#t #f e) (#f #t o) (#t #f e))",
    );
    let err = e.eval("(parities 1.5)").unwrap_err().to_string();
    assert!(err.contains("even?"), "{err}");
    ev(&mut e, "(define (even? x) 'mine)");
    assert_evals_to(&mut e, "(parities 3)", "'(mine #t e)");
}

/// A list loop's `(cdr l)` then `(car l)` run as one instruction; each half
/// redefined must still be called, and an improper list is `cdr`'s error.
#[test]
fn a_list_walk_follows_redefined_car_and_cdr() {
    let mut e = engine();
    ev(
        &mut e,
        "(define (rev l)
           (let loop ((l l) (acc '()))
             (if (pair? l) (loop (cdr l) (cons (car l) acc)) acc)))",
    );
    assert_evals_to(&mut e, "(rev '(1 2 3))", "'(3 2 1)");
    ev(
        &mut e,
        "(define (sum l)
           (let loop ((l l) (s 0))
             (if (null? l) s (loop (cdr l) (+ s (car l))))))",
    );
    let err = e.eval("(sum '(1 2 . 3))").unwrap_err().to_string();
    assert!(err.contains("cdr"), "{err}");
    ev(&mut e, "(define real-car car) (define real-cdr cdr)");
    ev(&mut e, "(set! car (lambda (p) (* 10 (real-car p))))");
    assert_evals_to(&mut e, "(rev '(1 2 3))", "'(30 20 10)");
    ev(&mut e, "(set! car real-car)");
    ev(&mut e, "(set! cdr (lambda (p) (real-cdr (real-cdr p))))");
    assert_evals_to(&mut e, "(rev '(1 2 3 4))", "'(3 1)");
}
