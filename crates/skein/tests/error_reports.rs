//! Rendered error reports, as a person reads them: `file:line:col: error: message
//! irritants`, the source line with a caret under the right expression, and the chain
//! of calls that led there.

use std::collections::HashMap;
use std::path::Path;

use skein::{Engine, Error};

/// The report of the error that evaluating `src` (named `name`) ends in.
fn report_of(name: &str, src: &str) -> String {
    let mut e = Engine::new();
    e.capture_output();
    match e.eval_source(name, src) {
        Ok(v) => panic!("expected an error from {name}, got {v:?}"),
        Err(err) => err.report(),
    }
}

#[test]
fn unbound_variable() {
    let report = report_of(
        "greet.flow",
        r#"(define (greet name)
  (string-append "hello, " nme))

(greet "ada")
"#,
    );
    insta::assert_snapshot!(report);
}

#[test]
fn unbound_procedure_in_call_position_points_at_its_name() {
    for (src, at) in [
        (
            "(define (f x)\n  (undefined-thing x))\n(f 1)\n",
            "call.flow:2:4",
        ),
        (
            "(define (f x)\n  (+ 1 (undefined-thing x)))\n(f 1)\n",
            "call.flow:2:9",
        ),
        ("(undefined-thing)\n", "call.flow:1:2"),
    ] {
        let err = Engine::new().eval_source("call.flow", src).unwrap_err();
        let d = err.diagnostic().expect("a diagnostic");
        assert_eq!(d.message, "unbound variable: undefined-thing");
        assert_eq!(d.location.as_ref().unwrap().to_string(), at, "{src}");
    }
}

/// Where the report's `called from` notes point.
fn chain(err: &Error) -> Vec<String> {
    err.diagnostic()
        .map(|d| d.chain.iter().map(|l| l.to_string()).collect())
        .unwrap_or_default()
}

const ORDER_TOTAL: &str = r#"(define (first-item order)
  (let ((items (cdr order)))
    (list (car items))))

(define (order-total order)
  (+ 1 (length (first-item order))))

(display (order-total '(o-1)))
"#;

#[test]
fn car_of_a_non_pair_inside_two_calls() {
    let err = Engine::new()
        .eval_source("order.flow", ORDER_TOTAL)
        .unwrap_err();
    let d = err.diagnostic().expect("a diagnostic");
    assert_eq!(d.message, "car: expected a pair ()");
    assert_eq!(d.location.as_ref().unwrap().to_string(), "order.flow:3:11");
    // Every line of the chain that led there is named.
    let lines: Vec<String> = chain(&err)
        .iter()
        .map(|l| l.rsplit_once(':').unwrap().0.to_string())
        .collect();
    assert!(lines.contains(&"order.flow:6".to_string()), "{lines:?}");
    assert!(lines.contains(&"order.flow:8".to_string()), "{lines:?}");
}

#[test]
fn car_of_a_non_pair_inside_two_calls_shows_the_calls_in_its_chain() {
    let err = Engine::new()
        .eval_source("order.flow", ORDER_TOTAL)
        .unwrap_err();
    assert_eq!(chain(&err), ["order.flow:6:16", "order.flow:8:10"]);
    let report = err.report();
    insta::assert_snapshot!(report);
}

#[test]
fn wrong_argument_count_to_a_user_procedure() {
    let report = report_of(
        "area.flow",
        r#"(define (area width height)
  (* width height))

(area 3)
"#,
    );
    insta::assert_snapshot!(report);
}

#[test]
fn applying_a_non_procedure() {
    let report = report_of(
        "apply.flow",
        r#"(define total 5)
(total 1 2)
"#,
    );
    insta::assert_snapshot!(report);
}

#[test]
fn applying_a_non_procedure_inside_an_argument_has_no_false_caller() {
    let err = Engine::new()
        .eval_source("apply.flow", "(define total 5)\n(display (total 1 2))\n")
        .unwrap_err();
    let report = err.report();
    assert!(!report.contains("called from apply.flow:2:1"), "{report}");
}

#[test]
fn error_with_irritants_at_top_level() {
    let report = report_of(
        "payment.flow",
        r#"(display "charging")
(error "payment failed" 'o-1 42)
"#,
    );
    insta::assert_snapshot!(report);
}

#[test]
fn raise_of_a_symbol() {
    let report = report_of("raise.flow", "(raise 'some-symbol)\n");
    insta::assert_snapshot!(report);
}

#[test]
fn reader_error_points_at_the_unclosed_paren() {
    let src = r#"(define (ship order)
  (list 'shipped order)

(ship 'o-1)
"#;
    let mut e = Engine::new();
    let err = e.eval_source("ship.flow", src).unwrap_err();
    assert!(matches!(err, Error::Syntax(_)), "{err:?}");
    let report = err.report();
    insta::assert_snapshot!(report);
}

#[test]
fn syntax_error_if_without_operands() {
    let report = report_of("if.flow", "(define x 1)\n(if)\n");
    insta::assert_snapshot!(report);
}

#[test]
fn syntax_error_let_binding_without_a_value() {
    let report = report_of("let.flow", "(let ((x)) x)\n");
    insta::assert_snapshot!(report);
}

#[test]
fn syntax_error_lambda_without_parameters() {
    let report = report_of("lambda.flow", "(define f (lambda))\n");
    insta::assert_snapshot!(report);
}

#[test]
fn syntax_errors_are_error_syntax() {
    for src in ["(if)", "(let ((x)) x)", "(lambda)"] {
        let err = Engine::new().eval(src).unwrap_err();
        assert!(matches!(err, Error::Syntax(_)), "{src}: {err:?}");
    }
}

/// An engine whose `load` reads from `files` instead of the disk.
fn engine_with_files(files: &[(&str, &str)]) -> Engine {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let mut e = Engine::new();
    e.capture_output();
    e.set_loader(Some(Box::new(move |path: &Path| {
        files
            .get(&path.display().to_string())
            .cloned()
            .ok_or_else(|| format!("no such file: {}", path.display()))
    })));
    e
}

#[test]
fn error_inside_a_loaded_file() {
    let mut e = engine_with_files(&[(
        "order.flow",
        r#"(define (reserve order)
  (vector-ref (cdr order) 2))
"#,
    )]);
    let err = e
        .eval_source(
            "main.flow",
            r#"(load "order.flow")
(reserve '(o-1 . #(a b)))
"#,
        )
        .unwrap_err();
    let report = err.report();
    insta::assert_snapshot!(report);
}

#[test]
fn reader_error_inside_a_loaded_file() {
    let mut e = engine_with_files(&[("order.flow", "(define (reserve order)\n  (car order)\n")]);
    let err = e
        .eval_source("main.flow", "(load \"order.flow\")\n")
        .unwrap_err();
    let report = err.report();
    insta::assert_snapshot!(report);
}

#[test]
fn error_inside_a_prelude_procedure_names_the_users_call() {
    let src = "(define (check-all items)\n  (for-each car items))\n(check-all '(1 2))\n";
    let err = Engine::new().eval_source("items.flow", src).unwrap_err();
    assert!(err.report().contains("items.flow:2:3"), "{}", err.report());
}

#[test]
fn guard_that_reraises_points_at_the_raise() {
    let err = Engine::new()
        .eval_source("guard.flow", "(guard (e ((symbol? e) e)) (raise \"x\"))\n")
        .unwrap_err();
    let loc = err.diagnostic().unwrap().location.clone().unwrap();
    assert_eq!(loc.to_string(), "guard.flow:1:28");
}

fn limit_report(limits: skein::Limits, name: &str, src: &str) -> String {
    let mut engine = Engine::new();
    engine.set_limits(limits);
    match engine.eval_source(name, src) {
        Err(e @ Error::Limit(_)) => e.report(),
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[test]
fn a_step_limit_points_at_the_loop_it_stopped() {
    let limits = skein::Limits {
        max_steps: Some(1000),
        ..skein::Limits::default()
    };
    let src = "(define (count n)\n  (let loop ((i 0))\n    (if (< i n) (loop (+ i 1)) i)))\n(count 100000000)\n";
    insta::assert_snapshot!(limit_report(limits, "count.scm", src));
}

#[test]
fn a_heap_limit_points_at_the_recursion_that_filled_it() {
    let limits = skein::Limits {
        max_heap_bytes: Some(16 << 20),
        ..skein::Limits::default()
    };
    let src = "(define p (delay (force p)))\n(force p)\n";
    insta::assert_snapshot!(limit_report(limits, "promise.scm", src));
}
