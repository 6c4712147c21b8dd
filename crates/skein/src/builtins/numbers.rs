//! Numeric primitives (R7RS 6.2.6), plus `exact->inexact` and `inexact->exact`.

use super::pure;
use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::{Integer, Roots};
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::values::number::{
    self, exact_of_f64, is_exact, is_negative, is_zero, normalize_big, normalize_rat, to_bigint,
    to_f64, to_inexact, to_rational, MAX_POWER_BITS,
};
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val};

// ---- argument helpers ----

fn number<'a>(who: &str, v: &'a Val) -> Result<&'a Val, Val> {
    if v.is_number() {
        Ok(v)
    } else {
        Err(type_error(who, "a number", v))
    }
}

fn float_arg(who: &str, v: &Val) -> Result<f64, Val> {
    to_f64(v).ok_or_else(|| type_error(who, "a number", v))
}

/// An integer argument as an exact value, and whether it was an integral float (which
/// makes the result inexact, as R7RS's `(quotient 7. 2)` => `3.`).
fn integer_arg(who: &str, v: &Val) -> Result<(Val, bool), Val> {
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

fn inexact_if(inexact: bool, v: Val) -> Val {
    if inexact {
        to_inexact(&v)
    } else {
        v
    }
}

fn not_complex(who: &str, v: &Val) -> Val {
    error(
        format!("{who}: complex numbers are not supported"),
        vec![v.clone()],
    )
}

fn values(a: Val, b: Val) -> Val {
    Val::Values(Rc::new(vec![a, b]))
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

// ---- rationals and rounding ----

fn numerator(args: &[Val]) -> PrimResult {
    fraction_part("numerator", &args[0], |r| r.numer().clone())
}

fn denominator(args: &[Val]) -> PrimResult {
    fraction_part("denominator", &args[0], |r| r.denom().clone())
}

fn fraction_part(who: &str, v: &Val, part: fn(&BigRational) -> BigInt) -> PrimResult {
    let (exact, inexact) = match v {
        Val::Real(f) => match exact_of_f64(f.get()) {
            Some(e) => (e, true),
            None => return Err(type_error(who, "a rational number", v)),
        },
        v => (number(who, v)?.clone(), false),
    };
    let r = to_rational(&exact).unwrap_or_default();
    Ok(inexact_if(inexact, normalize_big(part(&r))))
}

#[derive(Clone, Copy)]
enum Round {
    Floor,
    Ceiling,
    Truncate,
    Nearest,
}

fn round_with(who: &str, mode: Round, v: &Val) -> PrimResult {
    match v {
        Val::Int(_) | Val::Big(_) => Ok(v.clone()),
        Val::Rat(r) => Ok(normalize_big(match mode {
            Round::Floor => r.floor().to_integer(),
            Round::Ceiling => r.ceil().to_integer(),
            Round::Truncate => r.trunc().to_integer(),
            Round::Nearest => round_half_even(r),
        })),
        Val::Real(f) => {
            let f = f.get();
            Ok(Val::real(match mode {
                Round::Floor => f.floor(),
                Round::Ceiling => f.ceil(),
                Round::Truncate => f.trunc(),
                Round::Nearest => f.round_ties_even(),
            }))
        }
        _ => Err(type_error(who, "a real number", v)),
    }
}

/// R7RS rounds halves to even; `Ratio::round` rounds them away from zero.
fn round_half_even(r: &BigRational) -> BigInt {
    let floor = r.floor().to_integer();
    let frac = r - BigRational::from_integer(floor.clone());
    match frac.cmp(&BigRational::new(BigInt::one(), BigInt::from(2))) {
        Ordering::Less => floor,
        Ordering::Equal if floor.is_even() => floor,
        _ => floor + 1,
    }
}

fn floor(args: &[Val]) -> PrimResult {
    round_with("floor", Round::Floor, &args[0])
}

fn ceiling(args: &[Val]) -> PrimResult {
    round_with("ceiling", Round::Ceiling, &args[0])
}

fn truncate(args: &[Val]) -> PrimResult {
    round_with("truncate", Round::Truncate, &args[0])
}

fn round(args: &[Val]) -> PrimResult {
    round_with("round", Round::Nearest, &args[0])
}

/// The simplest rational within `y` of `x` (R7RS `rationalize`).
fn rationalize(args: &[Val]) -> PrimResult {
    let x = number("rationalize", &args[0])?;
    let y = number("rationalize", &args[1])?;
    let inexact = matches!(x, Val::Real(_)) || matches!(y, Val::Real(_));
    let (fx, fy) = (to_f64(x).unwrap_or(0.0), to_f64(y).unwrap_or(0.0));
    if fx.is_nan() || fy.is_nan() {
        return Ok(Val::real(f64::NAN));
    }
    if fy.is_infinite() {
        return Ok(Val::real(if fx.is_infinite() { f64::NAN } else { 0.0 }));
    }
    if fx.is_infinite() {
        return Ok(Val::real(fx));
    }
    let exact = |v: &Val| match v {
        Val::Real(f) => exact_of_f64(f.get()).and_then(|e| to_rational(&e)),
        v => to_rational(v),
    };
    let (Some(rx), Some(ry)) = (exact(x), exact(y)) else {
        return Err(type_error("rationalize", "a finite number", x));
    };
    let ry = ry.abs();
    let r = simplest_between(&rx - &ry, &rx + &ry);
    Ok(inexact_if(inexact, normalize_rat(r)))
}

fn simplest_between(lo: BigRational, hi: BigRational) -> BigRational {
    if lo.is_positive() {
        simplest_positive(lo, hi)
    } else if hi.is_negative() {
        -simplest_positive(-hi, -lo)
    } else {
        BigRational::zero()
    }
}

/// Simplest rational in `[lo, hi]`, `0 < lo <= hi`, built from its continued fraction
/// (iteratively: the expansion can be long for rationals with huge terms).
fn simplest_positive(mut lo: BigRational, mut hi: BigRational) -> BigRational {
    let mut terms = Vec::new();
    let last = loop {
        let fl = lo.floor();
        if fl == lo {
            break fl;
        }
        if fl < hi.floor() {
            break fl + BigRational::one();
        }
        // Both ends lie strictly inside (fl, fl + 1): recurse on the reciprocals of their
        // fractional parts, which are positive and swap order.
        let next_lo = (&hi - &fl).recip();
        let next_hi = (&lo - &fl).recip();
        terms.push(fl);
        lo = next_lo;
        hi = next_hi;
    };
    terms.into_iter().rev().fold(
        last,
        |acc, t| {
            if acc.is_zero() {
                t
            } else {
                t + acc.recip()
            }
        },
    )
}

// ---- transcendental functions ----

fn exp(args: &[Val]) -> PrimResult {
    Ok(Val::real(float_arg("exp", &args[0])?.exp()))
}

fn log(args: &[Val]) -> PrimResult {
    let z = ln("log", &args[0])?;
    match args.get(1) {
        None => Ok(Val::real(z)),
        Some(base) => Ok(Val::real(z / ln("log", base)?)),
    }
}

fn ln(who: &str, v: &Val) -> Result<f64, Val> {
    let f = float_arg(who, v)?;
    if f < 0.0 || is_negative(v) {
        return Err(not_complex(who, v));
    }
    Ok(if is_exact(v) && !is_zero(v) {
        number::ln_positive(v)
    } else {
        f.ln()
    })
}

fn sin(args: &[Val]) -> PrimResult {
    Ok(Val::real(float_arg("sin", &args[0])?.sin()))
}

fn cos(args: &[Val]) -> PrimResult {
    Ok(Val::real(float_arg("cos", &args[0])?.cos()))
}

fn tan(args: &[Val]) -> PrimResult {
    Ok(Val::real(float_arg("tan", &args[0])?.tan()))
}

fn arc(who: &str, v: &Val, f: fn(f64) -> f64) -> PrimResult {
    let x = float_arg(who, v)?;
    if x.abs() > 1.0 {
        return Err(not_complex(who, v));
    }
    Ok(Val::real(f(x)))
}

fn asin(args: &[Val]) -> PrimResult {
    arc("asin", &args[0], f64::asin)
}

fn acos(args: &[Val]) -> PrimResult {
    arc("acos", &args[0], f64::acos)
}

fn atan(args: &[Val]) -> PrimResult {
    let y = float_arg("atan", &args[0])?;
    match args.get(1) {
        None => Ok(Val::real(y.atan())),
        Some(x) => Ok(Val::real(y.atan2(float_arg("atan", x)?))),
    }
}

// ---- roots and powers ----

fn sqrt(args: &[Val]) -> PrimResult {
    let v = number("sqrt", &args[0])?;
    if is_negative(v) {
        return Err(not_complex("sqrt", v));
    }
    match v {
        Val::Real(f) => Ok(Val::real(f.get().sqrt())),
        Val::Int(i) => {
            let s = i.unsigned_abs().sqrt();
            if s.checked_mul(s) == Some(i.unsigned_abs()) {
                Ok(Val::Int(s as i64))
            } else {
                Ok(Val::real((*i as f64).sqrt()))
            }
        }
        Val::Big(b) => Ok(exact_sqrt(b).map_or_else(|| Val::real(big_sqrt_f64(b)), normalize_big)),
        Val::Rat(r) => match (exact_sqrt(r.numer()), exact_sqrt(r.denom())) {
            (Some(n), Some(d)) => Ok(normalize_rat(BigRational::new(n, d))),
            _ => {
                let f = r.to_f64().unwrap_or(f64::NAN).sqrt();
                Ok(Val::real(if f.is_normal() {
                    f
                } else {
                    (number::ln_positive(v) / 2.0).exp()
                }))
            }
        },
        _ => Err(type_error("sqrt", "a number", v)),
    }
}

/// The square root of a non-negative integer, if it is a perfect square.
fn exact_sqrt(n: &BigInt) -> Option<BigInt> {
    let s = n.sqrt();
    (&s * &s == *n).then_some(s)
}

fn big_sqrt_f64(n: &BigInt) -> f64 {
    if n.bits() < 1000 {
        n.to_f64().unwrap_or(f64::NAN).sqrt()
    } else {
        // Past 2^1000 the integer square root is as precise as a float can be.
        n.sqrt().to_f64().unwrap_or(f64::INFINITY)
    }
}

fn exact_integer_sqrt(args: &[Val]) -> PrimResult {
    let v = &args[0];
    let n = match v {
        Val::Int(_) | Val::Big(_) if !is_negative(v) => to_bigint(v).unwrap_or_default(),
        _ => {
            return Err(type_error(
                "exact-integer-sqrt",
                "a non-negative exact integer",
                v,
            ))
        }
    };
    let s = n.sqrt();
    let rest = &n - &s * &s;
    Ok(values(normalize_big(s), normalize_big(rest)))
}

fn expt(args: &[Val]) -> PrimResult {
    let base = number("expt", &args[0])?;
    let power = number("expt", &args[1])?;
    match power {
        Val::Int(_) | Val::Big(_) if is_exact(base) => exact_expt(base, power),
        _ => {
            let (x, y) = (
                to_f64(base).unwrap_or(f64::NAN),
                to_f64(power).unwrap_or(f64::NAN),
            );
            if x < 0.0 && y.is_finite() && y.fract() != 0.0 {
                return Err(not_complex("expt", base));
            }
            Ok(Val::real(x.powf(y)))
        }
    }
}

fn exact_expt(base: &Val, power: &Val) -> PrimResult {
    let negative_power = is_negative(power);
    let odd_power = match power {
        Val::Int(i) => i % 2 != 0,
        Val::Big(b) => b.is_odd(),
        _ => false,
    };
    if is_zero(power) {
        return Ok(Val::Int(1));
    }
    if is_zero(base) {
        return if negative_power {
            Err(error("expt: division by zero", vec![]))
        } else {
            Ok(Val::Int(0))
        };
    }
    match base {
        Val::Int(1) => return Ok(Val::Int(1)),
        Val::Int(-1) => return Ok(Val::Int(if odd_power { -1 } else { 1 })),
        _ => {}
    }
    let too_large = || {
        error(
            format!("expt: result would exceed {MAX_POWER_BITS} bits"),
            vec![base.clone(), power.clone()],
        )
    };
    let n = match power {
        Val::Int(i) => i.unsigned_abs(),
        _ => return Err(too_large()),
    };
    let r = to_rational(base).unwrap_or_default();
    let magnitude = |b: &BigInt| number::ln_positive(&normalize_big(b.abs()));
    let log2 = magnitude(r.numer()).max(magnitude(r.denom())) / std::f64::consts::LN_2;
    if log2 * n as f64 > MAX_POWER_BITS {
        return Err(too_large());
    }
    let n = u32::try_from(n).map_err(|_| too_large())?;
    if let (Val::Int(b), false) = (base, negative_power) {
        if let Some(p) = b.checked_pow(n) {
            return Ok(Val::Int(p));
        }
    }
    let (numer, denom) = (r.numer().pow(n), r.denom().pow(n));
    Ok(normalize_rat(if negative_power {
        BigRational::new(denom, numer)
    } else {
        BigRational::new(numer, denom)
    }))
}

// ---- exactness and text ----

fn exact_as(who: &str, v: &Val) -> PrimResult {
    match number(who, v)? {
        Val::Real(f) => exact_of_f64(f.get()).ok_or_else(|| {
            error(
                format!("{who}: no exact number has this value"),
                vec![v.clone()],
            )
        }),
        v => Ok(v.clone()),
    }
}

fn exact(args: &[Val]) -> PrimResult {
    exact_as("exact", &args[0])
}

fn inexact_to_exact(args: &[Val]) -> PrimResult {
    exact_as("inexact->exact", &args[0])
}

fn inexact(args: &[Val]) -> PrimResult {
    Ok(to_inexact(number("inexact", &args[0])?))
}

fn exact_to_inexact(args: &[Val]) -> PrimResult {
    Ok(to_inexact(number("exact->inexact", &args[0])?))
}

fn radix_arg(who: &str, v: Option<&Val>) -> Result<u32, Val> {
    match v {
        None => Ok(10),
        Some(Val::Int(r @ (2 | 8 | 10 | 16))) => Ok(*r as u32),
        Some(other) => Err(type_error(who, "a radix of 2, 8, 10 or 16", other)),
    }
}

fn number_to_string(args: &[Val]) -> PrimResult {
    let v = number("number->string", &args[0])?;
    let radix = radix_arg("number->string", args.get(1))?;
    if radix != 10 && matches!(v, Val::Real(_)) {
        return Err(error(
            "number->string: inexact numbers can only be written in radix 10",
            vec![v.clone()],
        ));
    }
    Ok(Val::str(number::format_number(v, radix)))
}

fn string_to_number(args: &[Val]) -> PrimResult {
    let Val::Str(s) = &args[0] else {
        return Err(type_error("string->number", "a string", &args[0]));
    };
    let radix = radix_arg("string->number", args.get(1))?;
    Ok(number::parse_number(s, radix).unwrap_or(Val::bool(false)))
}

// ---- registration ----

const ONE: Option<usize> = Some(1);
const TWO: Option<usize> = Some(2);
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
    pure("numerator", 1, ONE, numerator),
    pure("denominator", 1, ONE, denominator),
    pure("floor", 1, ONE, floor),
    pure("ceiling", 1, ONE, ceiling),
    pure("truncate", 1, ONE, truncate),
    pure("round", 1, ONE, round),
    pure("rationalize", 2, TWO, rationalize),
    pure("exp", 1, ONE, exp),
    pure("log", 1, TWO, log),
    pure("sin", 1, ONE, sin),
    pure("cos", 1, ONE, cos),
    pure("tan", 1, ONE, tan),
    pure("asin", 1, ONE, asin),
    pure("acos", 1, ONE, acos),
    pure("atan", 1, TWO, atan),
    pure("square", 1, ONE, square),
    pure("sqrt", 1, ONE, sqrt),
    pure("exact-integer-sqrt", 1, ONE, exact_integer_sqrt),
    pure("expt", 2, TWO, expt),
    pure("number->string", 1, TWO, number_to_string),
    pure("string->number", 1, TWO, string_to_number),
    pure("exact", 1, ONE, exact),
    pure("inexact", 1, ONE, inexact),
    pure("exact->inexact", 1, ONE, exact_to_inexact),
    pure("inexact->exact", 1, ONE, inexact_to_exact),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::prim::PrimKind;

    fn call(name: &str, args: &[Val]) -> PrimResult {
        let prim = PRIMS
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no primitive {name}"));
        assert!(args.len() >= prim.min_args, "{name}: too few arguments");
        assert!(
            prim.max_args.is_none_or(|max| args.len() <= max),
            "{name}: too many arguments"
        );
        match prim.kind {
            PrimKind::Pure(f) => f(args),
            _ => panic!("{name} is not pure"),
        }
    }

    /// Arguments written as number literals, `#t`, or `"text"`.
    fn parse_args(args: &str) -> Vec<Val> {
        args.split_whitespace()
            .map(|a| match a {
                "#t" => Val::bool(true),
                _ if a.starts_with('"') => Val::str(a.trim_matches('"')),
                _ => number::parse_number(a, 10).unwrap_or_else(|| panic!("bad literal {a}")),
            })
            .collect()
    }

    fn show(v: &Val) -> String {
        match v {
            Val::Values(vs) => vs.iter().map(show).collect::<Vec<_>>().join(" "),
            Val::Bool(b) => if b.get() { "#t" } else { "#f" }.to_string(),
            Val::Str(s) => format!("{s:?}"),
            v => number::format_number(v, 10),
        }
    }

    /// The printed result of `(name args...)`.
    fn ok(name: &str, args: &str) -> String {
        match call(name, &parse_args(args)) {
            Ok(v) => show(&v),
            Err(e) => panic!("({name} {args}) failed: {}", message(&e)),
        }
    }

    /// The error message of `(name args...)`, which must fail.
    fn err(name: &str, args: &str) -> String {
        match call(name, &parse_args(args)) {
            Ok(v) => panic!("({name} {args}) gave {}", show(&v)),
            Err(e) => message(&e),
        }
    }

    fn message(e: &Val) -> String {
        match e {
            Val::Error(e) => e.message.clone(),
            other => panic!("not an error object: {}", show(other)),
        }
    }

    #[test]
    fn type_predicates() {
        assert_eq!(ok("number?", "1/2"), "#t");
        assert_eq!(ok("number?", "#t"), "#f");
        assert_eq!(ok("real?", "+nan.0"), "#t");
        assert_eq!(ok("rational?", "1.5"), "#t");
        assert_eq!(ok("rational?", "+inf.0"), "#f");
        assert_eq!(ok("integer?", "3.0"), "#t");
        assert_eq!(ok("integer?", "3/2"), "#f");
        assert_eq!(ok("integer?", "+inf.0"), "#f");
        assert_eq!(ok("integer?", "#t"), "#f");
        assert_eq!(ok("exact?", "1/2"), "#t");
        assert_eq!(ok("exact?", "0.5"), "#f");
        assert_eq!(ok("inexact?", "0.5"), "#t");
        assert_eq!(err("exact?", "#t"), "exact?: expected a number");
        assert_eq!(ok("exact-integer?", "5"), "#t");
        assert_eq!(ok("exact-integer?", "5.0"), "#f");
        assert_eq!(ok("exact-rational?", "1/3"), "#t");
        assert_eq!(ok("exact-rational?", "0.5"), "#f");
        assert_eq!(ok("nan?", "+nan.0"), "#t");
        assert_eq!(ok("nan?", "1/2"), "#f");
        assert_eq!(ok("infinite?", "-inf.0"), "#t");
        assert_eq!(ok("finite?", "+inf.0"), "#f");
        assert_eq!(ok("finite?", "100000000000000000000000"), "#t");
    }

    #[test]
    fn sign_and_parity_predicates() {
        assert_eq!(ok("zero?", "0"), "#t");
        assert_eq!(ok("zero?", "-0.0"), "#t");
        assert_eq!(ok("zero?", "1/2"), "#f");
        assert_eq!(ok("positive?", "1/2"), "#t");
        assert_eq!(ok("positive?", "0"), "#f");
        assert_eq!(ok("positive?", "+nan.0"), "#f");
        assert_eq!(ok("negative?", "-100000000000000000000"), "#t");
        assert_eq!(ok("negative?", "-0.0"), "#f");
        assert_eq!(ok("odd?", "3"), "#t");
        assert_eq!(ok("odd?", "-3"), "#t");
        assert_eq!(ok("even?", "100000000000000000000"), "#t");
        assert_eq!(ok("even?", "4.0"), "#t");
        assert_eq!(err("odd?", "1.5"), "odd?: expected an integer");
        assert_eq!(err("even?", "1/2"), "even?: expected an integer");
    }

    #[test]
    fn comparisons_chain_and_handle_nan() {
        assert_eq!(ok("=", "1 1.0 2/2"), "#t");
        assert_eq!(ok("=", "7"), "#t");
        assert_eq!(ok("<", "1 2 3"), "#t");
        assert_eq!(ok("<", "1 3 2"), "#f");
        assert_eq!(ok("<=", "1 1 2"), "#t");
        assert_eq!(ok(">", "3 2.5 1/2"), "#t");
        assert_eq!(ok(">=", "3 3 4"), "#f");
        assert_eq!(ok("=", "+nan.0 +nan.0"), "#f");
        assert_eq!(ok("<", "1 +nan.0"), "#f");
        assert_eq!(ok(">=", "+nan.0 1"), "#f");
        assert_eq!(ok("=", "1/3 0.3333333333333333"), "#f");
        assert_eq!(ok("<", "9007199254740992.0 9007199254740993"), "#t");
        // Every argument is checked, even after the answer is known.
        assert_eq!(err("<", "2 1 #t"), "<: expected a number");
    }

    #[test]
    fn max_and_min_are_contagious() {
        assert_eq!(ok("max", "1 3 2"), "3");
        assert_eq!(ok("max", "3 2.0"), "3.0");
        assert_eq!(ok("min", "1/2 1/3"), "1/3");
        assert_eq!(ok("min", "1 2.0"), "1.0");
        assert_eq!(ok("max", "1 +nan.0"), "+nan.0");
        assert_eq!(ok("max", "-inf.0"), "-inf.0");
        assert_eq!(err("min", "1 #t"), "min: expected a number");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ok("+", ""), "0");
        assert_eq!(ok("*", ""), "1");
        assert_eq!(ok("+", "1 2 3"), "6");
        assert_eq!(ok("+", "-0.0"), "-0.0");
        assert_eq!(ok("+", "1/2 1/3"), "5/6");
        assert_eq!(ok("+", "1/2 0.5"), "1.0");
        assert_eq!(ok("-", "5"), "-5");
        assert_eq!(ok("-", "10 1 2"), "7");
        assert_eq!(ok("-", "1/2"), "-1/2");
        assert_eq!(ok("*", "2 3 4"), "24");
        assert_eq!(ok("*", "4294967296 4294967296"), "18446744073709551616");
        assert_eq!(ok("/", "2"), "1/2");
        assert_eq!(ok("/", "0.5"), "2.0");
        assert_eq!(ok("/", "12 2 3"), "2");
        assert_eq!(ok("/", "1 3"), "1/3");
        assert_eq!(ok("/", "1.0 0"), "+inf.0");
        assert_eq!(ok("/", "0 0.0"), "+nan.0");
        assert_eq!(err("/", "1 0"), "/: division by zero");
        assert_eq!(err("/", "0"), "/: division by zero");
        assert_eq!(err("+", "1 #t"), "+: expected a number");
        assert_eq!(err("+", "#t"), "+: expected a number");
        assert_eq!(err("-", "\"x\""), "-: expected a number");
        assert_eq!(ok("square", "-3"), "9");
        assert_eq!(ok("square", "1/2"), "1/4");
        assert_eq!(ok("square", "3037000500"), "9223372037000250000");
    }

    #[test]
    fn fixnum_overflow_promotes() {
        assert_eq!(ok("+", "9223372036854775807 1"), "9223372036854775808");
        assert_eq!(ok("-", "-9223372036854775808 1"), "-9223372036854775809");
        assert_eq!(ok("*", "-9223372036854775808 -1"), "9223372036854775808");
        assert_eq!(ok("-", "-9223372036854775808"), "9223372036854775808");
        assert_eq!(ok("abs", "-9223372036854775808"), "9223372036854775808");
        assert_eq!(
            ok("quotient", "-9223372036854775808 -1"),
            "9223372036854775808"
        );
        assert_eq!(ok("remainder", "-9223372036854775808 -1"), "0");
        assert_eq!(
            ok("floor/", "-9223372036854775808 -1"),
            "9223372036854775808 0"
        );
        assert_eq!(ok("-", "9223372036854775808 1"), "9223372036854775807");
    }

    #[test]
    fn abs_keeps_exactness() {
        assert_eq!(ok("abs", "-7"), "7");
        assert_eq!(ok("abs", "-7/2"), "7/2");
        assert_eq!(ok("abs", "-0.0"), "0.0");
        assert_eq!(ok("abs", "-100000000000000000000"), "100000000000000000000");
    }

    #[test]
    fn floor_and_truncate_division_signs() {
        for (args, floor, truncate) in [
            ("5 2", "2 1", "2 1"),
            ("-5 2", "-3 1", "-2 -1"),
            ("5 -2", "-3 -1", "-2 1"),
            ("-5 -2", "2 -1", "2 -1"),
            (
                "100000000000000000001 -10",
                "-10000000000000000001 -9",
                "-10000000000000000000 1",
            ),
        ] {
            assert_eq!(ok("floor/", args), floor, "floor/ {args}");
            assert_eq!(ok("truncate/", args), truncate, "truncate/ {args}");
            let (fq, fr) = floor.split_once(' ').unwrap();
            let (tq, tr) = truncate.split_once(' ').unwrap();
            assert_eq!(ok("floor-quotient", args), fq);
            assert_eq!(ok("floor-remainder", args), fr);
            assert_eq!(ok("modulo", args), fr);
            assert_eq!(ok("truncate-quotient", args), tq);
            assert_eq!(ok("truncate-remainder", args), tr);
            assert_eq!(ok("quotient", args), tq);
            assert_eq!(ok("remainder", args), tr);
        }
    }

    #[test]
    fn integer_division_accepts_integral_floats() {
        assert_eq!(ok("quotient", "7. 2"), "3.0");
        assert_eq!(ok("modulo", "-7 2."), "1.0");
        assert_eq!(ok("truncate/", "7. 2"), "3.0 1.0");
        assert_eq!(err("quotient", "7.5 2"), "quotient: expected an integer");
        assert_eq!(err("modulo", "1/2 2"), "modulo: expected an integer");
        assert_eq!(err("quotient", "1 0"), "quotient: division by zero");
        assert_eq!(err("floor/", "1 0."), "floor/: division by zero");
    }

    #[test]
    fn gcd_and_lcm() {
        assert_eq!(ok("gcd", ""), "0");
        assert_eq!(ok("lcm", ""), "1");
        assert_eq!(ok("gcd", "32 -36"), "4");
        assert_eq!(ok("gcd", "0 5"), "5");
        assert_eq!(ok("gcd", "-9223372036854775808"), "9223372036854775808");
        assert_eq!(ok("lcm", "32 -36"), "288");
        assert_eq!(ok("lcm", "32.0 -36"), "288.0");
        assert_eq!(ok("lcm", "0 5"), "0");
        assert_eq!(err("gcd", "1/2"), "gcd: expected an integer");
    }

    #[test]
    fn numerator_and_denominator() {
        assert_eq!(ok("numerator", "6/4"), "3");
        assert_eq!(ok("denominator", "6/4"), "2");
        assert_eq!(ok("denominator", "5"), "1");
        assert_eq!(ok("numerator", "-3/7"), "-3");
        assert_eq!(ok("denominator", "0.5"), "2.0");
        assert_eq!(ok("numerator", "0.75"), "3.0");
        assert!(err("numerator", "+inf.0").starts_with("numerator:"));
    }

    #[test]
    fn rounding() {
        assert_eq!(ok("floor", "-4.3"), "-5.0");
        assert_eq!(ok("ceiling", "-4.3"), "-4.0");
        assert_eq!(ok("truncate", "-4.3"), "-4.0");
        assert_eq!(ok("round", "-4.3"), "-4.0");
        assert_eq!(ok("floor", "3.5"), "3.0");
        assert_eq!(ok("round", "3.5"), "4.0");
        assert_eq!(ok("round", "2.5"), "2.0");
        assert_eq!(ok("round", "-2.5"), "-2.0");
        assert_eq!(ok("round", "7/2"), "4");
        assert_eq!(ok("round", "5/2"), "2");
        assert_eq!(ok("round", "-7/2"), "-4");
        assert_eq!(ok("round", "-5/2"), "-2");
        assert_eq!(ok("round", "7/3"), "2");
        assert_eq!(ok("floor", "-7/2"), "-4");
        assert_eq!(ok("ceiling", "-7/2"), "-3");
        assert_eq!(ok("truncate", "-7/2"), "-3");
        assert_eq!(ok("round", "7"), "7");
        assert_eq!(ok("floor", "+inf.0"), "+inf.0");
        assert_eq!(err("round", "#t"), "round: expected a real number");
    }

    #[test]
    fn rationalize_finds_simplest() {
        assert_eq!(ok("rationalize", "3/10 1/10"), "1/3");
        assert_eq!(ok("rationalize", ".3 1/10"), format!("{:?}", 1.0f64 / 3.0));
        assert_eq!(ok("rationalize", "-3/10 1/10"), "-1/3");
        assert_eq!(ok("rationalize", "1/4 1/4"), "0");
        assert_eq!(ok("rationalize", "5/2 1/2"), "2");
        assert_eq!(ok("rationalize", "22/7 0"), "22/7");
        assert_eq!(ok("rationalize", "+inf.0 3"), "+inf.0");
        assert_eq!(ok("rationalize", "3 +inf.0"), "0.0");
        assert_eq!(ok("rationalize", "+inf.0 +inf.0"), "+nan.0");
    }

    #[test]
    fn transcendental() {
        assert_eq!(ok("exp", "0"), "1.0");
        assert_eq!(ok("log", "1"), "0.0");
        assert_eq!(ok("log", "0"), "-inf.0");
        assert_eq!(ok("log", "100 10"), "2.0");
        assert_eq!(ok("log", "8 2"), "3.0");
        assert_eq!(ok("sin", "0"), "0.0");
        assert_eq!(ok("cos", "0"), "1.0");
        assert_eq!(
            ok("atan", "1 1"),
            format!("{:?}", std::f64::consts::FRAC_PI_4)
        );
        assert_eq!(
            ok("asin", "1"),
            format!("{:?}", std::f64::consts::FRAC_PI_2)
        );
        assert_eq!(err("log", "-1"), "log: complex numbers are not supported");
        assert_eq!(err("asin", "2"), "asin: complex numbers are not supported");
        assert_eq!(err("exp", "#t"), "exp: expected a number");
        // The logarithm of an exact number beyond the float range is still finite.
        let huge = call("expt", &parse_args("10 400")).unwrap();
        match call("log", &[huge]).unwrap() {
            Val::Real(f) => assert!((f.get() - 400.0 * std::f64::consts::LN_10).abs() < 1e-9),
            other => panic!("{}", show(&other)),
        }
    }

    #[test]
    fn sqrt_is_exact_for_perfect_squares() {
        assert_eq!(ok("sqrt", "16"), "4");
        assert_eq!(ok("sqrt", "0"), "0");
        assert_eq!(ok("sqrt", "1/4"), "1/2");
        assert_eq!(ok("sqrt", "2"), format!("{:?}", 2f64.sqrt()));
        assert_eq!(ok("sqrt", "16.0"), "4.0");
        assert_eq!(ok("sqrt", "-0.0"), "-0.0");
        assert_eq!(ok("sqrt", "+inf.0"), "+inf.0");
        assert_eq!(
            ok("sqrt", "1267650600228229401496703205376"),
            "1125899906842624"
        );
        assert_eq!(ok("sqrt", "9223372030926249001"), "3037000499");
        assert_eq!(ok("sqrt", "1/2"), format!("{:?}", 0.5f64.sqrt()));
        assert_eq!(err("sqrt", "-4"), "sqrt: complex numbers are not supported");
        assert_eq!(
            err("sqrt", "-1/4"),
            "sqrt: complex numbers are not supported"
        );
        assert_eq!(
            err("sqrt", "-2.0"),
            "sqrt: complex numbers are not supported"
        );
    }

    #[test]
    fn exact_integer_sqrt_returns_root_and_rest() {
        assert_eq!(ok("exact-integer-sqrt", "4"), "2 0");
        assert_eq!(ok("exact-integer-sqrt", "5"), "2 1");
        assert_eq!(ok("exact-integer-sqrt", "0"), "0 0");
        assert_eq!(
            ok("exact-integer-sqrt", "1267650600228229401496703205377"),
            "1125899906842624 1"
        );
        let want = "exact-integer-sqrt: expected a non-negative exact integer";
        assert_eq!(err("exact-integer-sqrt", "-1"), want);
        assert_eq!(err("exact-integer-sqrt", "4.0"), want);
    }

    #[test]
    fn expt_stays_exact_when_it_can() {
        assert_eq!(ok("expt", "2 10"), "1024");
        assert_eq!(ok("expt", "2 100"), "1267650600228229401496703205376");
        assert_eq!(ok("expt", "-2 3"), "-8");
        assert_eq!(ok("expt", "2 -2"), "1/4");
        assert_eq!(ok("expt", "-2/3 3"), "-8/27");
        assert_eq!(ok("expt", "2/3 -2"), "9/4");
        assert_eq!(ok("expt", "-2/3 -3"), "-27/8");
        assert_eq!(ok("expt", "0 0"), "1");
        assert_eq!(ok("expt", "0 5"), "0");
        assert_eq!(ok("expt", "0.0 0"), "1.0");
        assert_eq!(ok("expt", "1 100000000000000000000000"), "1");
        assert_eq!(ok("expt", "-1 100000000000000000001"), "-1");
        assert_eq!(ok("expt", "2.0 3"), "8.0");
        assert_eq!(ok("expt", "4 0.5"), "2.0");
        assert_eq!(ok("expt", "4 1/2"), "2.0");
        assert_eq!(ok("expt", "0.0 -1"), "+inf.0");
        assert_eq!(err("expt", "0 -1"), "expt: division by zero");
        assert_eq!(
            err("expt", "-8 1/3"),
            "expt: complex numbers are not supported"
        );
        assert!(err("expt", "2 10000000").starts_with("expt: result would exceed"));
        assert!(err("expt", "3 100000000000000000000").starts_with("expt: result would exceed"));
        assert!(err("expt", "1/3 -10000000").starts_with("expt: result would exceed"));
        // Just under the cap still works.
        assert!(matches!(
            call("expt", &parse_args("2 999999")),
            Ok(Val::Big(_))
        ));
    }

    #[test]
    fn exactness_conversion() {
        assert_eq!(ok("exact", "0.1"), "3602879701896397/36028797018963968");
        assert_eq!(ok("exact", "2.0"), "2");
        assert_eq!(ok("exact", "-0.5"), "-1/2");
        assert_eq!(ok("exact", "1e20"), "100000000000000000000");
        assert_eq!(ok("exact", "1/3"), "1/3");
        assert_eq!(ok("inexact->exact", "0.25"), "1/4");
        assert!(err("exact", "+nan.0").starts_with("exact:"));
        assert!(err("exact", "-inf.0").starts_with("exact:"));
        assert_eq!(ok("inexact", "1/3"), format!("{:?}", 1.0f64 / 3.0));
        assert_eq!(
            ok("inexact", "1267650600228229401496703205376"),
            "1.2676506002282294e30"
        );
        assert_eq!(ok("exact->inexact", "7"), "7.0");
        assert_eq!(err("inexact", "#t"), "inexact: expected a number");
    }

    #[test]
    fn number_to_string_in_each_radix() {
        assert_eq!(ok("number->string", "255"), "\"255\"");
        assert_eq!(ok("number->string", "255 16"), "\"ff\"");
        assert_eq!(ok("number->string", "-255 2"), "\"-11111111\"");
        assert_eq!(ok("number->string", "8 8"), "\"10\"");
        assert_eq!(ok("number->string", "-1/3 2"), "\"-1/11\"");
        assert_eq!(
            ok("number->string", "1267650600228229401496703205376 16"),
            "\"10000000000000000000000000\""
        );
        assert_eq!(ok("number->string", "1.5"), "\"1.5\"");
        assert_eq!(ok("number->string", "1e21 10"), "\"1e21\"");
        assert!(err("number->string", "1.5 2").starts_with("number->string:"));
        assert!(err("number->string", "10 3").starts_with("number->string:"));
        assert_eq!(
            err("number->string", "#t"),
            "number->string: expected a number"
        );
    }

    #[test]
    fn string_to_number_reads_or_answers_false() {
        assert_eq!(ok("string->number", "\"100\""), "100");
        assert_eq!(ok("string->number", "\"100\" 16"), "256");
        assert_eq!(ok("string->number", "\"#x100\" 2"), "256");
        assert_eq!(ok("string->number", "\"1e2\""), "100.0");
        assert_eq!(ok("string->number", "\"#e1.5\""), "3/2");
        assert_eq!(ok("string->number", "\"abc\""), "#f");
        assert_eq!(ok("string->number", "\"12\" 2"), "#f");
        assert_eq!(ok("string->number", "\"\""), "#f");
        assert!(err("string->number", "\"1\" 7").starts_with("string->number:"));
        assert_eq!(
            err("string->number", "5"),
            "string->number: expected a string"
        );
    }

    #[test]
    fn every_primitive_is_listed_once() {
        let mut names: Vec<_> = PRIMS.iter().map(|p| p.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        for required in [
            "number?",
            "exact-integer-sqrt",
            "truncate/",
            "floor/",
            "rationalize",
            "exact->inexact",
            "inexact->exact",
            "string->number",
        ] {
            assert!(names.contains(&required), "{required}");
        }
    }

    /// The library must never panic: sweep every primitive over awkward operands.
    #[test]
    fn no_primitive_panics_on_awkward_operands() {
        let operands = parse_args(
            "0 -0.0 1 -1 2 9223372036854775807 -9223372036854775808 \
             100000000000000000000000 -100000000000000000000000 1/3 -7/2 \
             0.5 -2.5 1e308 5e-324 +inf.0 -inf.0 +nan.0 #t \"x\"",
        );
        for prim in PRIMS {
            let PrimKind::Pure(f) = prim.kind else {
                continue;
            };
            let max = prim.max_args.unwrap_or(3).min(3);
            for n in prim.min_args..=max {
                let mut idx = vec![0; n];
                loop {
                    let args: Vec<Val> = idx.iter().map(|&i| operands[i].clone()).collect();
                    // Errors are fine; results must be well-formed numbers or booleans.
                    if let Ok(v) = f(&args) {
                        let printed = show(&v);
                        assert!(!printed.is_empty(), "{} gave an empty result", prim.name);
                    }
                    let Some(pos) = idx.iter().rposition(|&i| i + 1 < operands.len()) else {
                        break;
                    };
                    idx[pos] += 1;
                    for later in &mut idx[pos + 1..] {
                        *later = 0;
                    }
                }
            }
        }
    }

    #[test]
    fn reader_never_panics_on_short_junk() {
        let alphabet = [
            "#", "e", "x", "i", "1", "/", ".", "+", "-", "0", "n", "a", "f", "é",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for t in &texts {
                for c in alphabet {
                    next.push(format!("{t}{c}"));
                }
            }
            for t in &next {
                // Whatever reads as a number must print back to the same number.
                if let Some(v) = number::parse_number(t, 10) {
                    let again = number::parse_number(&number::format_number(&v, 10), 10);
                    assert!(
                        again.is_some_and(|w| number::total_cmp(&v, &w) == Ordering::Equal
                            || matches!(v, Val::Real(f) if f.get().is_nan())),
                        "{t}"
                    );
                }
            }
            texts = next;
        }
    }
}
