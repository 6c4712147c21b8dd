//! One bound for exact numbers (`MAX_BITS`, 1,000,000 bits): arithmetic
//! never makes a number that literals, `string->number` or the store refuse.
//! Found after the fuzzing runs (docs/fuzzing.md): arithmetic allowed
//! 8,388,608 bits while reading stopped at 1,000,000, so a result could be
//! printed but not read back, and a flow holding one could not be exported.

use skein::{Engine, Error, Step, Value};

fn eval(e: &mut Engine, src: &str) -> Result<Value, Error> {
    e.eval(src)
}

#[test]
fn a_result_past_the_bound_is_an_error_naming_it() {
    let mut e = Engine::new();
    for src in [
        "(let ((a (expt 3 600000))) (* a a))",
        "(expt 1/2 1000000)",
        "(let loop ((x (expt 2 999990))) (loop (+ x x)))",
        "(* (expt 2 999990) 1024)",
        "(/ (expt 2 600000) (+ (expt 3 400000) 1))",
        "(/ 1 (* (expt 2 999999) 2))",
    ] {
        let err = eval(&mut e, src).unwrap_err().to_string();
        assert!(err.contains("exceed 1000000 bits"), "{src}: {err}");
    }
}

#[test]
fn every_exact_result_within_the_bound_prints_and_reads_back() {
    let mut e = Engine::new();
    for src in [
        "(+ (expt 2 999999) (- (expt 2 999999) 1))",
        "(* (expt 2 999990) 500)",
        "(/ 1 (expt 2 999998))",
        "(- (expt 10 301029))",
    ] {
        let v = eval(&mut e, src).unwrap();
        let printed = v.to_write_string();
        assert_eq!(Value::parse(&printed).unwrap(), v, "{src}");
        let again = eval(
            &mut e,
            &format!("(= {src} (string->number (number->string {src})))"),
        );
        assert_eq!(again.unwrap(), Value::Bool(true), "{src}");
    }
}

#[test]
fn a_flow_holding_the_largest_number_exports_and_imports() {
    let mut e = Engine::new();
    e.eval("(defflow big (lambda () (let ((n (+ (expt 2 999999) (- (expt 2 999999) 1)))) (request 'hold n) n)))")
        .unwrap();
    let id = e.start("big", vec![]).unwrap().id();
    let json = e.export_json().unwrap();
    let mut other = Engine::new();
    other
        .eval("(defflow big (lambda () (let ((n (+ (expt 2 999999) (- (expt 2 999999) 1)))) (request 'hold n) n)))")
        .unwrap();
    other.import_json(&json).unwrap();
    assert_eq!(other.export_json().unwrap(), json);
    let Step::Done { value, .. } = other.resume(id, Value::symbol("ok")).unwrap() else {
        panic!("expected the flow to finish")
    };
    let expected = e.eval("(+ (expt 2 999999) (- (expt 2 999999) 1))").unwrap();
    assert_eq!(value, expected);
}

#[test]
fn dividing_a_large_integer_by_a_small_one_is_exact_and_in_lowest_terms() {
    let mut e = Engine::new();
    let cases = [
        ("(/ (* 3 (expt 2 999990)) 3)", "(expt 2 999990)"),
        ("(/ (expt 2 999990) (expt 2 999989))", "2"),
        ("(denominator (/ (- (expt 2 999991) 1) 3))", "3"),
        ("(denominator (/ (- (expt 2 999990) 1) 3))", "1"),
        ("(/ 6 -4)", "-3/2"),
        ("(/ 0 7)", "0"),
    ];
    for (src, expected) in cases {
        let same = eval(&mut e, &format!("(= {src} {expected})")).unwrap();
        assert_eq!(same, Value::Bool(true), "{src}");
    }
}
