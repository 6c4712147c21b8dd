//! Numeric functions beyond arithmetic (R7RS 6.2.6): rationals and rounding,
//! exponentials and trigonometry, roots and powers, exactness, and numbers
//! written as text.

use super::numbers::{float_arg, inexact_if, not_complex, number, values, ONE, TWO};
use super::pure;
use std::cmp::Ordering;

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
    // The estimate above is of the larger part; a rational holds both.
    number::bounded(
        "expt",
        normalize_rat(if negative_power {
            BigRational::new(denom, numer)
        } else {
            BigRational::new(numer, denom)
        }),
    )
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

pub static PRIMS: &[Prim] = &[
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
