//! `skein::check_source` / `check_file`: what a program would trip on, found
//! without running it, and silence about what it would not.

use std::path::{Path, PathBuf};

/// The headline of every problem in `src`: `file:line:col: error: message`.
fn problems(src: &str) -> Vec<String> {
    skein::check_source("prog.flow", src)
        .iter()
        .map(|d| d.headline())
        .collect()
}

fn assert_clean(src: &str) {
    assert_eq!(problems(src), Vec::<String>::new(), "in:\n{src}");
}

/// A fresh directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

#[test]
fn unbound_variable_is_reported_where_it_is_used() {
    let found = skein::check_source(
        "greet.flow",
        "(define (greet name)\n  (string-append \"hello, \" nme))\n",
    );
    assert_eq!(found.len(), 1);
    insta::assert_snapshot!(found[0].report, @r#"
    greet.flow:2:28: error: unbound variable: nme
      ┌─ greet.flow:2:28
      │
    2 │   (string-append "hello, " nme))
      │                            ^^^
    "#);
}

#[test]
fn each_use_of_an_unbound_name_is_reported() {
    assert_eq!(
        problems("(define (f) (log-it 1) (log-it 2))"),
        [
            "prog.flow:1:14: error: unbound variable: log-it",
            "prog.flow:1:25: error: unbound variable: log-it",
        ]
    );
}

#[test]
fn set_of_an_undefined_global_is_reported() {
    assert_eq!(
        problems("(define (reset!) (set! counter 0))"),
        ["prog.flow:1:24: error: set!: unbound variable: counter"]
    );
}

#[test]
fn definitions_after_their_use_are_fine() {
    assert_clean("(define (main) (helper 1))\n(define (helper x) x)\n(main)");
}

#[test]
fn definitions_inside_top_level_begin_are_global() {
    assert_clean("(begin (define a 1) (define (b) a))\n(b)");
}

#[test]
fn locals_shadowing_globals_are_not_judged_as_globals() {
    assert_clean("(define (f car) (car 1 2 3))\n(let ((list (lambda (a) a))) (list 1 2))");
}

#[test]
fn builtins_records_flows_and_values_definitions_count_as_defined() {
    assert_clean(
        "(define-record-type point (make-point x y) point? (x point-x))\n\
         (define-values (q r) (floor/ 7 2))\n\
         (defflow greet (lambda (who) (request 'ask who)))\n\
         (point-x (make-point q r))\n\
         (flow/start greet \"ada\")",
    );
}

#[test]
fn macros_defined_earlier_apply_to_later_forms() {
    let src = "(define-syntax swap!\n\
                 (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))\n\
               (define x 1)\n(define y 2)\n(swap! x y)\n(swap! x z)\n";
    // `tmp` is the macro's own binding; only the caller's `z` is unbound,
    // reported once although the expansion both reads and assigns it.
    assert_eq!(
        problems(src),
        ["prog.flow:6:10: error: unbound variable: z"]
    );
}

#[test]
fn wrong_argument_count_to_a_builtin() {
    assert_eq!(
        problems("(define (head xs) (car xs 0))"),
        ["prog.flow:1:19: error: car: expected 1 argument, got 2"]
    );
    assert_eq!(
        problems("(substring \"abc\")"),
        ["prog.flow:1:1: error: substring: expected 2 to 3 arguments, got 1"]
    );
}

#[test]
fn wrong_argument_count_to_a_procedure_the_program_defines() {
    let found = skein::check_source("area.flow", "(define (area w h) (* w h))\n(area 3)\n");
    assert_eq!(found.len(), 1);
    insta::assert_snapshot!(found[0].report, @r"
    area.flow:2:1: error: area: expected 2 arguments, got 1
      ┌─ area.flow:2:1
      │
    2 │ (area 3)
      │ ^^^^^^^^
    ");
}

#[test]
fn rest_parameters_and_case_lambda_clauses_are_understood() {
    assert_eq!(
        problems(
            "(define (log-all level . items) items)\n(log-all)\n(log-all 'info 1 2 3)\n\
             (define pick (case-lambda ((a) a) ((a b c) c)))\n(pick 1)\n(pick 1 2)\n"
        ),
        [
            "prog.flow:2:1: error: log-all: expected at least 1 argument, got 0",
            "prog.flow:6:1: error: pick: expected 1 or 3 arguments, got 2",
        ]
    );
}

#[test]
fn a_redefined_or_assigned_procedure_has_no_known_arity() {
    assert_clean("(define (f a) a)\n(define (f a b) b)\n(f 1 2)");
    assert_clean("(define (g a) a)\n(set! g (lambda (a b) b))\n(g 1 2)");
    assert_clean("(define car (lambda (a b) a))\n(car 1 2)");
}

#[test]
fn the_program_s_definition_of_a_builtin_name_is_the_one_checked() {
    assert_eq!(
        problems("(define (list a) a)\n(list 1 2)"),
        ["prog.flow:2:1: error: list: expected 1 argument, got 2"]
    );
}

#[test]
fn a_syntax_error_is_reported_and_later_forms_are_still_checked() {
    assert_eq!(
        problems("(if)\n(define (f) (undefined-thing))"),
        [
            "prog.flow:1:1: error: if: expected (if test then [else])",
            "prog.flow:2:14: error: unbound variable: undefined-thing",
        ]
    );
}

#[test]
fn a_definition_that_fails_to_compile_still_defines_its_name() {
    // One mistake, one report: the uses of `broken` are not unbound too.
    assert_eq!(
        problems("(define (broken x) (let ((y)) y))\n(broken 1)\n(broken 2)"),
        ["prog.flow:1:26: error: let: each binding must be (name value)"]
    );
}

#[test]
fn a_read_error_is_reported_alone() {
    let found = skein::check_source(
        "order.flow",
        "(define (reserve order)\n  (undefined order)\n",
    );
    assert_eq!(found.len(), 1);
    insta::assert_snapshot!(found[0].report, @r"
    order.flow:1:1: error: unexpected end of input: expected `)` to close this list; the check read no further in order.flow
      ┌─ order.flow:1:1
      │
    1 │ (define (reserve order)
      │ ^
    ");
}

#[test]
fn nothing_is_run() {
    // No output, no exit, no endless loop, no flow started.
    assert_clean(
        "(display \"side effect\")\n(exit 3)\n(let loop () (loop))\n\
         (defflow f (lambda () (request 'x 1)))\n(flow/start f)",
    );
}

#[test]
fn loaded_files_are_followed_relative_to_the_loading_file() {
    let dir = scratch_dir("follows_loads");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(
        dir.join("lib/pricing.flow"),
        "(load \"tax.flow\")\n(define (price sku qty) (* qty (with-tax 100)))\n",
    )
    .unwrap();
    std::fs::write(dir.join("lib/tax.flow"), "(define (with-tax n) (* n 2))\n").unwrap();
    std::fs::write(
        dir.join("main.flow"),
        "(load \"lib/pricing.flow\")\n(price \"tea\")\n(with-tax 1)\n",
    )
    .unwrap();
    let found: Vec<String> = skein::check_file(dir.join("main.flow"))
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(found, ["price: expected 2 arguments, got 1"]);
}

#[test]
fn problems_inside_a_loaded_file_name_that_file() {
    let dir = scratch_dir("problems_in_loads");
    std::fs::write(dir.join("lib.flow"), "(define (f) (nope))\n").unwrap();
    std::fs::write(dir.join("main.flow"), "(load \"lib.flow\")\n(f)\n").unwrap();
    let found = skein::check_file(dir.join("main.flow"));
    assert_eq!(found.len(), 1);
    let location = found[0].location.as_ref().expect("a location");
    assert!(location.file.ends_with("lib.flow"), "{location}");
    assert_eq!((location.line, location.column), (1, 14));
}

#[test]
fn files_loading_each_other_are_read_once() {
    let dir = scratch_dir("load_cycle");
    std::fs::write(dir.join("a.flow"), "(load \"b.flow\")\n(define (a) (b))\n").unwrap();
    std::fs::write(dir.join("b.flow"), "(load \"a.flow\")\n(define (b) (a))\n").unwrap();
    assert_eq!(skein::check_file(dir.join("a.flow")), vec![]);
}

#[test]
fn a_missing_loaded_file_is_reported_at_the_load() {
    let dir = scratch_dir("missing_load");
    std::fs::write(
        dir.join("main.flow"),
        "(define x 1)\n(load \"gone.flow\")\n",
    )
    .unwrap();
    let found = skein::check_file(dir.join("main.flow"));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.starts_with("load: cannot read ")
            && found[0].message.contains("gone.flow"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].location.as_ref().map(|l| l.line), Some(2));
}

#[test]
fn a_computed_load_path_silences_unbound_reports() {
    // The loaded file may define anything: guessing would cry wolf.
    assert_clean("(define dir \"lib/\")\n(load (string-append dir \"x.flow\"))\n(from-x 1)");
}

#[test]
fn an_unreadable_file_is_one_problem_without_a_location() {
    let dir = scratch_dir("unreadable");
    let found = skein::check_file(dir.join("nothing-here.flow"));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.starts_with("cannot read "),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].location, None);
}

#[test]
fn every_example_flow_and_the_prelude_check_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut checked = 0;
    for dir in ["flows", "stdlib"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let found = skein::check_file(&path);
            let reports: Vec<&str> = found.iter().map(|d| d.report.as_str()).collect();
            assert!(
                reports.is_empty(),
                "{}:\n{}",
                path.display(),
                reports.join("")
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "the example flows and the prelude were found");
}

#[test]
fn deeply_nested_code_is_checked_without_overflowing_the_stack() {
    let depth = 9_000;
    let src = format!("{}x{}", "(car ".repeat(depth), ")".repeat(depth));
    let found = problems(&src);
    assert_eq!(found, ["prog.flow:1:45001: error: unbound variable: x"]);
}

#[test]
fn a_load_outside_the_programs_directory_is_not_followed_and_shows_nothing_of_the_file() {
    let dir = scratch_dir("load_outside");
    std::fs::write(dir.join("secret.txt"), "TOP-SECRET (\n").unwrap();
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("app/main.flow"), "(load \"../secret.txt\")\n").unwrap();
    let found = skein::check_file(dir.join("app/main.flow"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("outside the directory"),
        "{}",
        found[0].message
    );
    assert!(
        !found[0].report.contains("TOP-SECRET"),
        "{}",
        found[0].report
    );
}
