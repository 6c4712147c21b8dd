//! Numeric primitives (R7RS 6.2.6), plus `exact->inexact` and `inexact->exact`.

use super::pure;
use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::One;

use crate::values::number::{
    self, exact_of_f64, is_exact, is_negative, is_zero, normalize_big, to_bigint, to_f64,
    to_inexact,
};
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val};

// ---- argument helpers ----

pub(super) fn number<'a>(who: &str, v: &'a Val) -> Result<&'a Val, Val> {
    if v.is_number() {
        Ok(v)
    } else {
        Err(type_error(who, "a number", v))
    }
}

pub(super) fn float_arg(who: &str, v: &Val) -> Result<f64, Val> {
    to_f64(v).ok_or_else(|| type_error(who, "a number", v))
}

/// An integer argument as an exact value, and whether it was an integral float (which
/// makes the result inexact, as R7RS's `(quotient 7. 2)` => `3.`).
pub(super) fn integer_arg(who: &str, v: &Val) -> Result<(Val, bool), Val> {
    match v {
        Val::Int(_) | Val::Big(_) => Ok((v.clone(), false)),
        Val::Real(f) if f.get().is_finite() && f.get().fract() == 0.0 => {
            match exact_of_f64(f.get()) {
                Some(e) => Ok((e, true)),
                None => Err(type_error(who, "an integer", v)),
            }
        }
        _ => Err(type_error(who, "an integer", v)),
    }
}

pub(super) fn inexact_if(inexact: bool, v: Val) -> Val {
    if inexact {
        to_inexact(&v)
    } else {
        v
    }
}

pub(super) fn not_complex(who: &str, v: &Val) -> Val {
    error(
        format!("{who}: complex numbers are not supported"),
        vec![v.clone()],
    )
}

pub(super) fn values(a: Val, b: Val) -> Val {
    Val::Values(Rc::new(crate::values::value::Items::new(vec![a, b])))
}

// ---- predicates ----

fn number_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(args[0].is_number()))
}

fn rational_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(match &args[0] {
        Val::Real(f) => f.get().is_finite(),
        v => is_exact(v),
    }))
}

fn integer_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(match &args[0] {
        Val::Int(_) | Val::Big(_) => true,
        Val::Real(f) => f.get().is_finite() && f.get().fract() == 0.0,
        _ => false,
    }))
}

fn exact_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(is_exact(number("exact?", &args[0])?)))
}

fn inexact_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(
        number("inexact?", &args[0])?,
        Val::Real(_)
    )))
}

fn exact_integer_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Int(_) | Val::Big(_))))
}

fn exact_rational_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(is_exact(&args[0])))
}

fn nan_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(float_arg("nan?", &args[0])?.is_nan()))
}

fn infinite_p(args: &[Val]) -> PrimResult {
    let v = number("infinite?", &args[0])?;
    Ok(Val::bool(
        matches!(v, Val::Real(f) if f.get().is_infinite()),
    ))
}

fn finite_p(args: &[Val]) -> PrimResult {
    let v = number("finite?", &args[0])?;
    Ok(Val::bool(match v {
        Val::Real(f) => f.get().is_finite(),
        _ => true,
    }))
}

fn zero_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(is_zero(number("zero?", &args[0])?)))
}

fn positive_p(args: &[Val]) -> PrimResult {
    let v = number("positive?", &args[0])?;
    Ok(Val::bool(!is_zero(v) && !is_negative(v) && !is_nan(v)))
}

fn negative_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(is_negative(number("negative?", &args[0])?)))
}

fn is_nan(v: &Val) -> bool {
    matches!(v, Val::Real(f) if f.get().is_nan())
}

fn is_odd(who: &str, v: &Val) -> Result<bool, Val> {
    if let Val::Int(i) = v {
        return Ok(i & 1 != 0);
    }
    Ok(match integer_arg(who, v)?.0 {
        Val::Int(i) => i % 2 != 0,
        Val::Big(b) => b.is_odd(),
        _ => false,
    })
}

fn odd_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(is_odd("odd?", &args[0])?))
}

fn even_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(!is_odd("even?", &args[0])?))
}

// ---- comparison ----

fn chain(who: &str, args: &[Val], holds: fn(Ordering) -> bool) -> PrimResult {
    // Fast path: two fixnums, the overwhelmingly common case.
    if let [Val::Int(a), Val::Int(b)] = args {
        return Ok(Val::bool(holds(a.cmp(b))));
    }
    for a in args {
        number(who, a)?;
    }
    for pair in args.windows(2) {
        match number::num_cmp_as(who, &pair[0], &pair[1])? {
            Some(o) if holds(o) => {}
            _ => return Ok(Val::bool(false)),
        }
    }
    Ok(Val::bool(true))
}

fn num_eq(args: &[Val]) -> PrimResult {
    chain("=", args, Ordering::is_eq)
}

fn num_lt(args: &[Val]) -> PrimResult {
    chain("<", args, Ordering::is_lt)
}

fn num_gt(args: &[Val]) -> PrimResult {
    chain(">", args, Ordering::is_gt)
}

fn num_le(args: &[Val]) -> PrimResult {
    chain("<=", args, Ordering::is_le)
}

fn num_ge(args: &[Val]) -> PrimResult {
    chain(">=", args, Ordering::is_ge)
}

fn extremum(who: &str, args: &[Val], keep: Ordering) -> PrimResult {
    let mut inexact = false;
    for a in args {
        match number(who, a)? {
            Val::Real(f) if f.get().is_nan() => return Ok(Val::real(f64::NAN)),
            Val::Real(_) => inexact = true,
            _ => {}
        }
    }
    let mut best = &args[0];
    for a in &args[1..] {
        if number::num_cmp_as(who, a, best)? == Some(keep) {
            best = a;
        }
    }
    Ok(inexact_if(inexact, best.clone()))
}

fn max(args: &[Val]) -> PrimResult {
    extremum("max", args, Ordering::Greater)
}

fn min(args: &[Val]) -> PrimResult {
    extremum("min", args, Ordering::Less)
}

// ---- arithmetic ----

fn plus(args: &[Val]) -> PrimResult {
    if let [Val::Int(a), Val::Int(b)] = args {
        if let Some(sum) = a.checked_add(*b) {
            return Ok(Val::Int(sum));
        }
    }
    let Some((first, rest)) = args.split_first() else {
        return Ok(Val::Int(0));
    };
    rest.iter()
        .try_fold(number("+", first)?.clone(), |acc, x| number::add(&acc, x))
}

fn times(args: &[Val]) -> PrimResult {
    let Some((first, rest)) = args.split_first() else {
        return Ok(Val::Int(1));
    };
    rest.iter()
        .try_fold(number("*", first)?.clone(), |acc, x| number::mul(&acc, x))
}

fn minus(args: &[Val]) -> PrimResult {
    if let [Val::Int(a), Val::Int(b)] = args {
        if let Some(diff) = a.checked_sub(*b) {
            return Ok(Val::Int(diff));
        }
    }
    let first = number("-", &args[0])?;
    if args.len() == 1 {
        return Ok(number::neg(first));
    }
    args[1..]
        .iter()
        .try_fold(first.clone(), |acc, x| number::sub(&acc, x))
}

fn divide(args: &[Val]) -> PrimResult {
    let first = number("/", &args[0])?;
    if args.len() == 1 {
        return number::div(&Val::Int(1), first);
    }
    args[1..]
        .iter()
        .try_fold(first.clone(), |acc, x| number::div(&acc, x))
}

fn abs(args: &[Val]) -> PrimResult {
    let v = number("abs", &args[0])?;
    Ok(match v {
        Val::Real(f) => Val::real(f.get().abs()),
        v if is_negative(v) => number::neg(v),
        v => v.clone(),
    })
}

fn square(args: &[Val]) -> PrimResult {
    let v = number("square", &args[0])?;
    number::mul(v, v)
}

// ---- integer division ----

#[derive(Clone, Copy)]
enum Rounding {
    Floor,
    Truncate,
}

/// Quotient and remainder of two fixnums, the common case; `None` for any
/// other operands, a zero divisor and `i64::MIN / -1` (which overflows).
#[inline(always)]
fn fixnum_divide(rounding: Rounding, a: &Val, b: &Val) -> Option<(i64, i64)> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) if *y != 0 && !(*x == i64::MIN && *y == -1) => {
            Some(match rounding {
                Rounding::Floor => x.div_mod_floor(y),
                Rounding::Truncate => (x / y, x % y),
            })
        }
        _ => None,
    }
}

/// Quotient and remainder of integers, exact unless an operand was an integral float.
fn int_divide(who: &str, rounding: Rounding, a: &Val, b: &Val) -> Result<(Val, Val), Val> {
    if let Some((q, r)) = fixnum_divide(rounding, a, b) {
        return Ok((Val::Int(q), Val::Int(r)));
    }
    let (x, x_inexact) = integer_arg(who, a)?;
    let (y, y_inexact) = integer_arg(who, b)?;
    if is_zero(&y) {
        return Err(error(format!("{who}: division by zero"), vec![]));
    }
    let (q, r) = match (&x, &y) {
        // i64::MIN / -1 is the one fixnum quotient that overflows.
        (Val::Int(x), Val::Int(y)) if !(*x == i64::MIN && *y == -1) => {
            let (q, r) = match rounding {
                Rounding::Floor => x.div_mod_floor(y),
                Rounding::Truncate => (x / y, x % y),
            };
            (Val::Int(q), Val::Int(r))
        }
        _ => {
            let (x, y) = (
                to_bigint(&x).unwrap_or_default(),
                to_bigint(&y).unwrap_or_default(),
            );
            let (q, r) = match rounding {
                Rounding::Floor => x.div_mod_floor(&y),
                Rounding::Truncate => x.div_rem(&y),
            };
            (normalize_big(q), normalize_big(r))
        }
    };
    let inexact = x_inexact || y_inexact;
    Ok((inexact_if(inexact, q), inexact_if(inexact, r)))
}

fn floor_div(args: &[Val]) -> PrimResult {
    let (q, r) = int_divide("floor/", Rounding::Floor, &args[0], &args[1])?;
    Ok(values(q, r))
}

fn floor_quotient(args: &[Val]) -> PrimResult {
    Ok(int_divide("floor-quotient", Rounding::Floor, &args[0], &args[1])?.0)
}

fn floor_remainder(args: &[Val]) -> PrimResult {
    Ok(int_divide("floor-remainder", Rounding::Floor, &args[0], &args[1])?.1)
}

fn modulo(args: &[Val]) -> PrimResult {
    if let Some((_, r)) = fixnum_divide(Rounding::Floor, &args[0], &args[1]) {
        return Ok(Val::Int(r));
    }
    Ok(int_divide("modulo", Rounding::Floor, &args[0], &args[1])?.1)
}

fn truncate_div(args: &[Val]) -> PrimResult {
    let (q, r) = int_divide("truncate/", Rounding::Truncate, &args[0], &args[1])?;
    Ok(values(q, r))
}

fn truncate_quotient(args: &[Val]) -> PrimResult {
    Ok(int_divide("truncate-quotient", Rounding::Truncate, &args[0], &args[1])?.0)
}

fn truncate_remainder(args: &[Val]) -> PrimResult {
    Ok(int_divide("truncate-remainder", Rounding::Truncate, &args[0], &args[1])?.1)
}

fn quotient(args: &[Val]) -> PrimResult {
    if let Some((q, _)) = fixnum_divide(Rounding::Truncate, &args[0], &args[1]) {
        return Ok(Val::Int(q));
    }
    Ok(int_divide("quotient", Rounding::Truncate, &args[0], &args[1])?.0)
}

fn remainder(args: &[Val]) -> PrimResult {
    if let Some((_, r)) = fixnum_divide(Rounding::Truncate, &args[0], &args[1]) {
        return Ok(Val::Int(r));
    }
    Ok(int_divide("remainder", Rounding::Truncate, &args[0], &args[1])?.1)
}

fn gcd(args: &[Val]) -> PrimResult {
    let mut acc = Val::Int(0);
    let mut inexact = false;
    for a in args {
        let (x, x_inexact) = integer_arg("gcd", a)?;
        inexact |= x_inexact;
        acc = number::gcd(&acc, &x);
    }
    Ok(inexact_if(inexact, acc))
}

fn lcm(args: &[Val]) -> PrimResult {
    let mut acc = BigInt::one();
    let mut inexact = false;
    for a in args {
        let (x, x_inexact) = integer_arg("lcm", a)?;
        inexact |= x_inexact;
        let x = to_bigint(&x).unwrap_or_default();
        if acc.bits() + x.bits() > number::MAX_BITS {
            return Err(error("lcm: result too large", vec![]));
        }
        acc = acc.lcm(&x);
    }
    Ok(inexact_if(inexact, normalize_big(acc)))
}

// ---- registration ----

/// Argument counts, for the tables of primitives.
pub(super) const ONE: Option<usize> = Some(1);
pub(super) const TWO: Option<usize> = Some(2);
const ANY: Option<usize> = None;

pub static PRIMS: &[Prim] = &[
    pure("number?", 1, ONE, number_p),
    pure("complex?", 1, ONE, number_p),
    pure("real?", 1, ONE, number_p),
    pure("rational?", 1, ONE, rational_p),
    pure("integer?", 1, ONE, integer_p),
    pure("exact?", 1, ONE, exact_p),
    pure("inexact?", 1, ONE, inexact_p),
    pure("exact-integer?", 1, ONE, exact_integer_p),
    pure("exact-rational?", 1, ONE, exact_rational_p),
    pure("nan?", 1, ONE, nan_p),
    pure("infinite?", 1, ONE, infinite_p),
    pure("finite?", 1, ONE, finite_p),
    pure("=", 1, ANY, num_eq),
    pure("<", 1, ANY, num_lt),
    pure(">", 1, ANY, num_gt),
    pure("<=", 1, ANY, num_le),
    pure(">=", 1, ANY, num_ge),
    pure("zero?", 1, ONE, zero_p),
    pure("positive?", 1, ONE, positive_p),
    pure("negative?", 1, ONE, negative_p),
    pure("odd?", 1, ONE, odd_p),
    pure("even?", 1, ONE, even_p),
    pure("max", 1, ANY, max),
    pure("min", 1, ANY, min),
    pure("+", 0, ANY, plus),
    pure("*", 0, ANY, times),
    pure("-", 1, ANY, minus),
    pure("/", 1, ANY, divide),
    pure("abs", 1, ONE, abs),
    pure("quotient", 2, TWO, quotient),
    pure("remainder", 2, TWO, remainder),
    pure("modulo", 2, TWO, modulo),
    pure("floor/", 2, TWO, floor_div),
    pure("floor-quotient", 2, TWO, floor_quotient),
    pure("floor-remainder", 2, TWO, floor_remainder),
    pure("truncate/", 2, TWO, truncate_div),
    pure("truncate-quotient", 2, TWO, truncate_quotient),
    pure("truncate-remainder", 2, TWO, truncate_remainder),
    pure("gcd", 0, ANY, gcd),
    pure("lcm", 0, ANY, lcm),
    pure("square", 1, ONE, square),
];

#[cfg(test)]
mod tests;
