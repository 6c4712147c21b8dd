//! `Value` equality follows `equal?`: exactness and the sign of zero matter.

use skein::{Engine, Value};

#[test]
fn negative_zero_and_zero_differ_as_equal_does() {
    let mut e = Engine::new();
    assert_eq!(e.eval("(equal? -0.0 0.0)").unwrap(), Value::Bool(false));
    assert_ne!(e.eval("-0.0").unwrap(), e.eval("0.0").unwrap());
    assert_eq!(e.eval("-0.0").unwrap(), Value::Real(-0.0));
}

#[test]
fn a_nan_equals_itself() {
    let mut e = Engine::new();
    assert_eq!(e.eval("+nan.0").unwrap(), e.eval("(/ 0.0 0.0)").unwrap());
}

#[test]
fn exact_and_inexact_numbers_differ() {
    let mut e = Engine::new();
    assert_ne!(e.eval("1").unwrap(), e.eval("1.0").unwrap());
    assert_eq!(
        e.eval("'(1 \"a\" b :c #\\d)").unwrap(),
        Value::list([
            Value::Int(1),
            Value::from("a"),
            Value::symbol("b"),
            Value::keyword("c"),
            Value::Char('d'),
        ])
    );
}
