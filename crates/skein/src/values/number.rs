//! The numeric tower: exact integers (fixnum, promoted to bignum), exact rationals, flonums.
//!
//! Invariants every constructor here keeps: `Val::Big` only holds integers outside the
//! `i64` range, `Val::Rat` only holds reduced fractions whose denominator is not 1.
//! Exact arithmetic never wraps and never rounds; mixing exact and inexact operands gives
//! an inexact result.

use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::values::heap::{self, Counted};
use crate::values::value::{error, type_error, Val};

/// The largest exact number, in bits (an integer's magnitude; a rational's
/// numerator and denominator together). One bound for everything exact:
/// arithmetic refuses to produce more, and literals, `string->number` and
/// store documents accept at least this much, so every exact result prints
/// and reads back, and every flow that holds one exports. Repeated squaring
/// would otherwise exhaust memory within a few dozen steps, and the
/// quadratic algorithms (division, gcd, printing) take seconds beyond it.
pub const MAX_BITS: u64 = 1_000_000;

/// [`MAX_BITS`] as a float, for the size estimates of `expt` and `#e1e300`.
pub const MAX_POWER_BITS: f64 = MAX_BITS as f64;

/// Refuse an exact result larger than [`MAX_BITS`].
pub(crate) fn bounded(who: &str, v: Val) -> Result<Val, Val> {
    if exact_bits(&v) > MAX_BITS {
        return Err(error(
            format!("{who}: exact result would exceed {MAX_BITS} bits"),
            vec![],
        ));
    }
    Ok(v)
}

// ---- normalisation and conversion ----

/// A bignum result as a value: a fixnum when it fits.
pub fn normalize_big(b: BigInt) -> Val {
    match b.to_i64() {
        Some(i) => Val::Int(i),
        None => Val::Big(Rc::new(Counted::new(b))),
    }
}

/// A rational result as a value: an integer when the denominator is 1.
pub fn normalize_rat(r: BigRational) -> Val {
    let (n, d) = r.into_raw();
    if d.is_one() {
        normalize_big(n)
    } else {
        Val::Rat(Rc::new(Counted::new(BigRational::new_raw(n, d))))
    }
}

/// True for exact integers and exact rationals.
pub fn is_exact(v: &Val) -> bool {
    matches!(v, Val::Int(_) | Val::Big(_) | Val::Rat(_))
}

/// An exact integer as a bignum.
pub fn to_bigint(v: &Val) -> Option<BigInt> {
    match v {
        Val::Int(i) => Some(BigInt::from(*i)),
        Val::Big(b) => Some((***b).clone()),
        _ => None,
    }
}

/// An exact number as a rational.
pub fn to_rational(v: &Val) -> Option<BigRational> {
    match v {
        Val::Rat(r) => Some((***r).clone()),
        _ => to_bigint(v).map(BigRational::from_integer),
    }
}

/// The nearest float to a number (correctly rounded; huge values become infinities).
pub fn to_f64(v: &Val) -> Option<f64> {
    match v {
        Val::Int(i) => Some(*i as f64),
        Val::Big(b) => b.to_f64(),
        Val::Rat(r) => r.to_f64(),
        Val::Real(f) => Some(f.get()),
        _ => None,
    }
}

/// The inexact counterpart of a number (identity on floats, and on non-numbers).
pub fn to_inexact(v: &Val) -> Val {
    match to_f64(v) {
        Some(f) => Val::real(f),
        None => v.clone(),
    }
}

/// The exact value of a float, which is always a dyadic rational; `None` for NaN and infinities.
pub fn exact_of_f64(f: f64) -> Option<Val> {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return Some(Val::Int(f as i64));
    }
    BigRational::from_float(f).map(normalize_rat)
}

/// Exact or inexact zero (including `-0.0`).
pub fn is_zero(v: &Val) -> bool {
    match v {
        Val::Int(i) => *i == 0,
        Val::Real(f) => f.get() == 0.0,
        // Big and Rat are never zero once normalised.
        _ => false,
    }
}

/// Strictly below zero; false for NaN and non-numbers.
pub fn is_negative(v: &Val) -> bool {
    match v {
        Val::Int(i) => *i < 0,
        Val::Big(b) => b.is_negative(),
        Val::Rat(r) => r.is_negative(),
        Val::Real(f) => f.get() < 0.0,
        _ => false,
    }
}

/// `(- v)` for a number; non-numbers are returned unchanged.
pub fn neg(v: &Val) -> Val {
    match v {
        Val::Int(i) => match i.checked_neg() {
            Some(n) => Val::Int(n),
            None => normalize_big(-BigInt::from(*i)),
        },
        Val::Big(b) => normalize_big(-(***b).clone()),
        Val::Rat(r) => normalize_rat(-(***r).clone()),
        Val::Real(f) => Val::real(-f.get()),
        other => other.clone(),
    }
}

fn exact_bits(v: &Val) -> u64 {
    match v {
        Val::Int(i) => u64::from(64 - i.unsigned_abs().leading_zeros()),
        Val::Big(b) => b.bits(),
        Val::Rat(r) => r.numer().bits() + r.denom().bits(),
        _ => 0,
    }
}

/// Refuse before computing what is sure to exceed [`MAX_BITS`]: a product
/// of an m-bit and an n-bit number has at least m + n - 1 bits (results
/// that may fit are computed, then checked by [`bounded`]).
fn check_size(who: &str, a: &Val, b: &Val) -> Result<(), Val> {
    if exact_bits(a).saturating_add(exact_bits(b)) > MAX_BITS + 1 {
        Err(error(
            format!("{who}: exact result would exceed {MAX_BITS} bits"),
            vec![],
        ))
    } else {
        Ok(())
    }
}

fn check_number(who: &str, v: &Val) -> Result<(), Val> {
    if v.is_number() {
        Ok(())
    } else {
        Err(type_error(who, "a number", v))
    }
}

// ---- arithmetic ----

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

impl Op {
    fn who(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
        }
    }

    fn fixnum(self, x: i64, y: i64) -> Option<i64> {
        match self {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            Op::Mul => x.checked_mul(y),
        }
    }

    fn float(self, x: f64, y: f64) -> f64 {
        match self {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
        }
    }

    fn big(self, x: BigInt, y: BigInt) -> BigInt {
        match self {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
        }
    }

    fn rat(self, x: BigRational, y: BigRational) -> BigRational {
        match self {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
        }
    }
}

fn arith(op: Op, a: &Val, b: &Val) -> Result<Val, Val> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Ok(match op.fixnum(*x, *y) {
            Some(r) => Val::Int(r),
            None => normalize_big(op.big(BigInt::from(*x), BigInt::from(*y))),
        }),
        (Val::Real(x), Val::Real(y)) => Ok(Val::real(op.float(x.get(), y.get()))),
        _ => {
            check_number(op.who(), a)?;
            check_number(op.who(), b)?;
            if matches!(a, Val::Real(_)) || matches!(b, Val::Real(_)) {
                let (x, y) = (to_f64(a).unwrap_or(0.0), to_f64(b).unwrap_or(0.0));
                return Ok(Val::real(op.float(x, y)));
            }
            // Arithmetic on fixnums runs inline in the machine, so the
            // exact result is reserved here, not after the call.
            let bound = exact_bits(a).saturating_add(exact_bits(b)) / 8;
            heap::reserve(usize::try_from(bound).unwrap_or(usize::MAX))?;
            let both_integers = !matches!(a, Val::Rat(_)) && !matches!(b, Val::Rat(_));
            if both_integers {
                if matches!(op, Op::Mul) {
                    check_size(op.who(), a, b)?;
                }
                let (x, y) = (to_bigint(a), to_bigint(b));
                let r = op.big(x.unwrap_or_default(), y.unwrap_or_default());
                bounded(op.who(), normalize_big(r))
            } else {
                check_size(op.who(), a, b)?;
                let (x, y) = (to_rational(a), to_rational(b));
                let r = op.rat(
                    x.unwrap_or_else(BigRational::zero),
                    y.unwrap_or_else(BigRational::zero),
                );
                bounded(op.who(), normalize_rat(r))
            }
        }
    }
}

/// `(+ a b)`.
pub fn add(a: &Val, b: &Val) -> Result<Val, Val> {
    arith(Op::Add, a, b)
}

/// `(- a b)`.
pub fn sub(a: &Val, b: &Val) -> Result<Val, Val> {
    arith(Op::Sub, a, b)
}

/// `(* a b)`.
pub fn mul(a: &Val, b: &Val) -> Result<Val, Val> {
    arith(Op::Mul, a, b)
}

/// `(/ a b)`: an error for an exact zero divisor, IEEE infinities or NaN for an inexact one.
pub fn div(a: &Val, b: &Val) -> Result<Val, Val> {
    check_number("/", a)?;
    check_number("/", b)?;
    if matches!(a, Val::Real(_)) || matches!(b, Val::Real(_)) {
        let (x, y) = (to_f64(a).unwrap_or(0.0), to_f64(b).unwrap_or(0.0));
        return Ok(Val::real(x / y));
    }
    if is_zero(b) {
        return Err(error("/: division by zero", vec![]));
    }
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        if x.checked_rem(*y) == Some(0) {
            if let Some(q) = x.checked_div(*y) {
                return Ok(Val::Int(q));
            }
        }
    }
    // No size check before: a quotient may be small whatever the operands
    // (each within MAX_BITS, so their cross products stay cheap to make).
    match (to_rational(a), to_rational(b)) {
        (Some(x), Some(y)) => {
            let (xn, xd) = x.into_raw();
            let (yn, yd) = y.into_raw();
            bounded("/", normalize_rat(reduced(xn * yd, xd * yn)))
        }
        _ => Err(type_error("/", "a number", a)),
    }
}

/// `n/d` in lowest terms with a positive denominator (`d` is not zero).
/// The common factor of a large number and a word-sized one is found from
/// the remainder in one division: the binary algorithm `Ratio` uses takes
/// time quadratic in the large one's size (4.7 s to divide a
/// 1,000,000-bit integer by 3).
fn reduced(n: BigInt, d: BigInt) -> BigRational {
    let small = |x: &BigInt| x.magnitude().to_u64();
    let g = match (small(&n), small(&d)) {
        (Some(s), _) if s != 0 => word_gcd(s, (d.magnitude() % s).to_u64().unwrap_or(0)),
        (_, Some(s)) => word_gcd(s, (n.magnitude() % s).to_u64().unwrap_or(0)),
        _ => return BigRational::new(n, d),
    };
    let g = BigInt::from(g.max(1));
    let (mut n, mut d) = (n / &g, d / &g);
    if d.is_negative() {
        n = -n;
        d = -d;
    }
    BigRational::new_raw(n, d)
}

fn word_gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

// ---- comparison ----

/// Numeric comparison for `=`, `<` and friends, whose errors name `who`. `None` means
/// unordered (a NaN is involved), which makes every comparison false.
pub fn num_cmp_as(who: &str, a: &Val, b: &Val) -> Result<Option<Ordering>, Val> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Ok(Some(x.cmp(y))),
        (Val::Real(x), Val::Real(y)) => Ok(x.get().partial_cmp(&y.get())),
        _ => {
            check_number(who, a)?;
            check_number(who, b)?;
            Ok(match (a, b) {
                (Val::Real(x), e) => cmp_exact_f64(e, x.get()).map(Ordering::reverse),
                (e, Val::Real(y)) => cmp_exact_f64(e, y.get()),
                _ => Some(cmp_exact(a, b)),
            })
        }
    }
}

/// [`num_cmp_as`] for callers without a procedure name (errors name `<`).
#[cfg(test)]
pub fn num_cmp(a: &Val, b: &Val) -> Result<Option<Ordering>, Val> {
    num_cmp_as("<", a, b)
}

fn cmp_exact(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Rat(_), _) | (_, Val::Rat(_)) => to_rational(a).cmp(&to_rational(b)),
        _ => to_bigint(a).cmp(&to_bigint(b)),
    }
}

/// Compare an exact number with a float without rounding either.
fn cmp_exact_f64(e: &Val, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    if let Val::Int(i) = e {
        // Every integer up to 2^53 is exactly a float.
        if i.unsigned_abs() <= 1 << 53 {
            return (*i as f64).partial_cmp(&f);
        }
    }
    let exact_f = BigRational::from_float(f)?;
    to_rational(e).map(|r| r.cmp(&exact_f))
}

/// Total order over numbers for map keys: numeric value, then exact before inexact;
/// `-0.0` before `0.0`; NaN last.
pub fn total_cmp(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Real(x), Val::Real(y)) => total_cmp_f64(x.get(), y.get()),
        (Val::Real(x), e) => exact_vs_float(e, x.get()).reverse(),
        (e, Val::Real(y)) => exact_vs_float(e, y.get()),
        _ if a.is_number() && b.is_number() => cmp_exact(a, b),
        _ => Ordering::Equal,
    }
}

fn total_cmp_f64(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => x.to_bits().cmp(&y.to_bits()),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x
            .partial_cmp(&y)
            .unwrap_or(Ordering::Equal)
            .then_with(|| y.is_sign_negative().cmp(&x.is_sign_negative())),
    }
}

fn exact_vs_float(e: &Val, f: f64) -> Ordering {
    match cmp_exact_f64(e, f) {
        Some(Ordering::Equal) | None => Ordering::Less,
        Some(o) => o,
    }
}

// ---- reading ----

enum Parsed {
    Exact(Val),
    Inexact(f64),
}

/// Parse a numeric literal (`42`, `-1.5e3`, `1/3`, `#x1F`, `#e1.5`, `+inf.0`); `None` if
/// `text` is not a number. `radix` applies when `text` has no radix prefix.
pub fn parse_number(text: &str, radix: u32) -> Option<Val> {
    let mut radix = radix;
    let mut radix_seen = false;
    let mut exactness: Option<bool> = None;
    let mut rest = text;
    while let Some(after) = rest.strip_prefix('#') {
        match after.bytes().next()?.to_ascii_lowercase() {
            c @ (b'x' | b'o' | b'b' | b'd') if !radix_seen => {
                radix_seen = true;
                radix = match c {
                    b'x' => 16,
                    b'o' => 8,
                    b'b' => 2,
                    _ => 10,
                };
            }
            c @ (b'e' | b'i') if exactness.is_none() => exactness = Some(c == b'e'),
            _ => return None,
        }
        rest = &after[1..];
    }
    if !matches!(radix, 2 | 8 | 10 | 16) {
        return None;
    }
    let (negative, body) = match rest.as_bytes().first() {
        Some(b'+') => (false, &rest[1..]),
        Some(b'-') => (true, &rest[1..]),
        _ => (false, rest),
    };
    let signed = body.len() < rest.len();
    let want_exact = exactness == Some(true);
    let parsed = if signed && body.eq_ignore_ascii_case("inf.0") {
        if want_exact {
            return None;
        }
        Parsed::Inexact(f64::INFINITY)
    } else if signed && body.eq_ignore_ascii_case("nan.0") {
        if want_exact {
            return None;
        }
        // NaN carries no meaningful sign: `-nan.0` reads as the one NaN.
        return Some(Val::real(f64::NAN));
    } else {
        parse_unsigned(body, radix, want_exact)?
    };
    let value = match parsed {
        Parsed::Exact(v) if exactness == Some(false) => Val::real(to_f64(&v)?),
        Parsed::Exact(v) => v,
        Parsed::Inexact(f) => Val::real(f),
    };
    Some(if negative { neg(&value) } else { value })
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

fn parse_uinteger(s: &str, radix: u32) -> Option<BigInt> {
    if !all_digits(s, radix) || !within_literal_bits(s.len(), radix) {
        return None;
    }
    BigInt::parse_bytes(s.as_bytes(), radix)
}

/// Whether `digits` digits in `radix` can hold a number within
/// [`MAX_BITS`]. Asked before any parsing: the bignum parser's time grows
/// with the square of the digits, and a store document or `string->number`
/// must not make it run for minutes. The estimate allows a few bits more
/// than `MAX_BITS`: a decimal digit is 3.32 bits, so the printed form of a
/// number of exactly `MAX_BITS` bits estimates slightly above it.
pub fn within_literal_bits(digits: usize, radix: u32) -> bool {
    digits as f64 * f64::from(radix).log2() <= MAX_POWER_BITS + 8.0
}

fn parse_unsigned(s: &str, radix: u32, want_exact: bool) -> Option<Parsed> {
    if let Some((n, d)) = s.split_once('/') {
        let (n, d) = (parse_uinteger(n, radix)?, parse_uinteger(d, radix)?);
        if d.is_zero() {
            return None;
        }
        return Some(Parsed::Exact(normalize_rat(BigRational::new(n, d))));
    }
    if all_digits(s, radix) {
        if let Ok(i) = i64::from_str_radix(s, radix) {
            return Some(Parsed::Exact(Val::Int(i)));
        }
        return Some(Parsed::Exact(normalize_big(parse_uinteger(s, radix)?)));
    }
    if radix != 10 {
        return None;
    }
    // A decimal: digits, an optional point, an optional exponent; a digit somewhere before it.
    // Besides R7RS's `e`, the older markers `s f d l` (R5RS; Guile, Chicken and Chibi
    // read them too) all mean a double.
    let (mantissa, exponent) = match s.find(['e', 'E', 's', 'S', 'f', 'F', 'd', 'D', 'l', 'L']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty() || !digits_ok(int_part) || !digits_ok(frac_part)
    {
        return None;
    }
    let exp_digits = match exponent {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !all_digits(digits, 10) {
                return None;
            }
            Some(e)
        }
        None => None,
    };
    if !want_exact {
        // Validated above, so Rust's correctly rounded parser sees only R7RS syntax.
        let text = match exp_digits {
            Some(e) => format!("{mantissa}e{e}"),
            None => s.to_string(),
        };
        return text.parse::<f64>().ok().map(Parsed::Inexact);
    }
    let digits = format!("{int_part}{frac_part}");
    let m = parse_uinteger(&digits, 10)?;
    if m.is_zero() {
        return Some(Parsed::Exact(Val::Int(0)));
    }
    let exp: i64 = match exp_digits {
        Some(e) => e.parse().ok()?,
        None => 0,
    };
    let scale = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    if scale.unsigned_abs() as f64 * std::f64::consts::LOG2_10 > MAX_POWER_BITS {
        return None;
    }
    let power = num_traits::pow(
        BigInt::from(10),
        usize::try_from(scale.unsigned_abs()).ok()?,
    );
    Some(Parsed::Exact(if scale >= 0 {
        normalize_big(m * power)
    } else {
        normalize_rat(BigRational::new(m, power))
    }))
}

// ---- printing ----

/// The external representation of a number in `radix` (2 to 36; otherwise 10). Floats are
/// always written in decimal, as the shortest text that reads back to the same float.
pub fn format_number(v: &Val, radix: u32) -> String {
    let radix = if (2..=36).contains(&radix) { radix } else { 10 };
    match v {
        Val::Int(i) if radix == 10 => i.to_string(),
        Val::Int(i) => BigInt::from(*i).to_str_radix(radix),
        Val::Big(b) => b.to_str_radix(radix),
        Val::Rat(r) => format!(
            "{}/{}",
            r.numer().to_str_radix(radix),
            r.denom().to_str_radix(radix)
        ),
        Val::Real(f) => format_f64(f.get()),
        _ => String::new(),
    }
}

fn format_f64(f: f64) -> String {
    if f.is_nan() {
        "+nan.0".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+inf.0" } else { "-inf.0" }.to_string()
    } else {
        // Debug is the shortest round-tripping form, with ".0" on integral values and an
        // exponent (`1e21`, `1.5e-7`) for very large or small magnitudes: both read as inexact.
        format!("{f:?}")
    }
}

// ---- helpers shared with the numeric primitives ----

/// Natural logarithm of a positive exact or inexact number, accurate even when the
/// number is far outside the float range.
pub fn ln_positive(v: &Val) -> f64 {
    fn ln_big(b: &BigInt) -> f64 {
        let bits = b.bits();
        if bits < 1000 {
            b.to_f64().unwrap_or(f64::NAN).ln()
        } else {
            let shift = bits - 64;
            (b >> shift).to_f64().unwrap_or(f64::NAN).ln() + shift as f64 * std::f64::consts::LN_2
        }
    }
    match v {
        Val::Big(b) => ln_big(b),
        Val::Rat(r) => match r.to_f64() {
            Some(f) if f.is_normal() => f.ln(),
            _ => ln_big(r.numer()) - ln_big(r.denom()),
        },
        _ => to_f64(v).unwrap_or(f64::NAN).ln(),
    }
}

/// Euclid's algorithm on magnitudes, with a fixnum fast path.
pub fn gcd(a: &Val, b: &Val) -> Val {
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        let g = num_integer::gcd(x.unsigned_abs(), y.unsigned_abs());
        return match i64::try_from(g) {
            Ok(g) => Val::Int(g),
            Err(_) => normalize_big(BigInt::from(g)),
        };
    }
    let (x, y) = (
        to_bigint(a).unwrap_or_default(),
        to_bigint(b).unwrap_or_default(),
    );
    normalize_big(x.gcd(&y))
}

#[cfg(test)]
mod tests;
