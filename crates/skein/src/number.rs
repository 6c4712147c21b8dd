//! The numeric tower: exact integers (fixnum, promoted to bignum), exact rationals, flonums.

use std::cmp::Ordering;

use crate::value::Val;

/// Parse a numeric literal (`42`, `-1.5e3`, `1/3`, `#x1F`, `+inf.0`); `None` if `text` is not a number.
pub fn parse_number(text: &str, radix: u32) -> Option<Val> {
    if radix == 10 {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Val::Int(i));
        }
        if text.chars().any(|c| c.is_ascii_digit()) {
            if let Ok(f) = text.parse::<f64>() {
                return Some(Val::Real(f));
            }
        }
    }
    None
}

/// The external representation of a number in `radix`.
pub fn format_number(v: &Val, _radix: u32) -> String {
    match v {
        Val::Int(i) => i.to_string(),
        Val::Big(b) => b.to_string(),
        Val::Rat(r) => r.to_string(),
        Val::Real(f) => format!("{f:?}"),
        _ => String::new(),
    }
}

/// Total order over numbers for map keys: numeric value, then exact before inexact; NaN last.
pub fn total_cmp(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Real(x), Val::Real(y)) => x.total_cmp(y),
        _ => Ordering::Equal,
    }
}
