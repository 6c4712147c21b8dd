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

#[test]
fn maps_with_the_same_entries_are_equal_however_a_host_ordered_them() {
    let a = Value::Map(vec![
        (Value::keyword("id"), Value::from("o-1")),
        (Value::keyword("amount"), Value::Int(1800)),
    ]);
    let b = Value::Map(vec![
        (Value::keyword("amount"), Value::Int(1800)),
        (Value::keyword("id"), Value::from("o-1")),
    ]);
    assert_eq!(a, b);
    let mut e = Engine::new();
    assert_eq!(e.eval("{:id \"o-1\" :amount 1800}").unwrap(), b);
    // Nested maps too, and a different value is still a difference.
    let outer = |m: Value| Value::Map(vec![(Value::keyword("order"), m)]);
    assert_eq!(outer(a.clone()), outer(b.clone()));
    let c = Value::Map(vec![
        (Value::keyword("amount"), Value::Int(1801)),
        (Value::keyword("id"), Value::from("o-1")),
    ]);
    assert_ne!(a, c);
    assert_ne!(
        a,
        Value::Map(vec![(Value::keyword("id"), Value::from("o-1"))])
    );
}
