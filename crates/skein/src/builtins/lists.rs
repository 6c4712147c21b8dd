//! Pairs and lists (R7RS 6.4, `(scheme cxr)`), plus a few SRFI-1 staples.
//!
//! Lists may hold millions of elements: every walk here is a loop, and every
//! list is built back to front from a `Vec`, never by recursion.

pub(super) use super::pure;
use std::collections::BTreeSet;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};

use crate::values::heap;
use crate::values::heap::Counted;
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val, PAIR_BYTES};

/// Largest list or vector a primitive builds from a count the program gives.
pub(super) const MAX_LENGTH: usize = 100_000_000;

/// An exact non-negative integer used as an index. A positive bignum becomes
/// `usize::MAX` so the caller's range check rejects it with the original value.
pub(super) fn index_arg(who: &str, v: &Val) -> Result<usize, Val> {
    match v {
        Val::Int(i) if *i >= 0 => Ok(usize::try_from(*i).unwrap_or(usize::MAX)),
        Val::Big(b) if b.is_positive() => Ok(usize::MAX),
        _ => Err(type_error(who, "an exact non-negative integer", v)),
    }
}

/// A length the program asks us to allocate: capped so a typo cannot exhaust memory.
pub(super) fn length_arg(who: &str, v: &Val) -> Result<usize, Val> {
    let n = index_arg(who, v)?;
    if n > MAX_LENGTH {
        return Err(error(
            format!("{who}: length too large (the limit is {MAX_LENGTH})"),
            vec![v.clone()],
        ));
    }
    Ok(n)
}

fn proper_list_error(who: &str, v: &Val) -> Val {
    type_error(who, "a proper list", v)
}

/// The elements of a proper list, or the standard error naming `who`.
pub(super) fn list_items(who: &str, v: &Val) -> Result<Vec<Val>, Val> {
    v.to_vec().ok_or_else(|| proper_list_error(who, v))
}

fn out_of_range(who: &str, index: &Val) -> Val {
    error(format!("{who}: index out of range"), vec![index.clone()])
}

// ---- pairs ----

fn pair_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Pair(_))))
}

fn cons(args: &[Val]) -> PrimResult {
    Ok(Val::cons(args[0].clone(), args[1].clone()))
}

fn car(args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Pair(p) => Ok(p.car.clone()),
        other => Err(type_error("car", "a pair", other)),
    }
}

fn cdr(args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Pair(p) => Ok(p.cdr.clone()),
        other => Err(type_error("cdr", "a pair", other)),
    }
}

/// `c[ad]+r`: the letters between `c` and `r` apply right to left.
fn cxr(name: &str, arg: &Val) -> PrimResult {
    let path = &name[1..name.len() - 1];
    let mut cur = arg.clone();
    for step in path.bytes().rev() {
        cur = match (&cur, step) {
            (Val::Pair(p), b'a') => p.car.clone(),
            (Val::Pair(p), _) => p.cdr.clone(),
            _ => return Err(type_error(name, "a pair", arg)),
        };
    }
    Ok(cur)
}

macro_rules! cxr_fns {
    ($($name:ident)*) => {
        $(fn $name(args: &[Val]) -> PrimResult {
            cxr(stringify!($name), &args[0])
        })*
    };
}

cxr_fns! {
    caar cadr cdar cddr
    caaar caadr cadar caddr cdaar cdadr cddar cdddr
    caaaar caaadr caadar caaddr cadaar cadadr caddar cadddr
    cdaaar cdaadr cdadar cdaddr cddaar cddadr cdddar cddddr
}

// ---- lists ----

fn null_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Null)))
}

fn list_p(args: &[Val]) -> PrimResult {
    // Data is immutable, so a list cannot be circular: walking to the end terminates.
    let mut cur = &args[0];
    loop {
        match cur {
            Val::Null => return Ok(Val::bool(true)),
            Val::Pair(p) => cur = &p.cdr,
            _ => return Ok(Val::bool(false)),
        }
    }
}

/// `(make-list k [fill])`; the fill defaults to `#f`.
fn make_list(args: &[Val]) -> PrimResult {
    let n = length_arg("make-list", &args[0])?;
    heap::reserve_items(n, PAIR_BYTES)?;
    let fill = args.get(1).cloned().unwrap_or(Val::bool(false));
    let mut out = Val::Null;
    for _ in 0..n {
        out = Val::cons(fill.clone(), out);
    }
    Ok(out)
}

fn list(args: &[Val]) -> PrimResult {
    Ok(Val::list(args.iter().cloned()))
}

fn length(args: &[Val]) -> PrimResult {
    let mut n: i64 = 0;
    let mut cur = &args[0];
    loop {
        match cur {
            Val::Null => return Ok(Val::Int(n)),
            Val::Pair(p) => {
                n = n.saturating_add(1);
                cur = &p.cdr;
            }
            _ => return Err(proper_list_error("length", &args[0])),
        }
    }
}

/// The last argument becomes the tail as is (it may be any value); the
/// others are copied, so they must be proper lists.
fn append(args: &[Val]) -> PrimResult {
    let Some((last, init)) = args.split_last() else {
        return Ok(Val::Null);
    };
    // The same list may be passed many times: the copies are reserved
    // before any is made.
    let mut copied = 0usize;
    for arg in init {
        copied = copied.saturating_add(arg.spine_length());
    }
    heap::reserve_items(copied, PAIR_BYTES)?;
    let mut lists = Vec::with_capacity(init.len());
    for arg in init {
        lists.push(list_items("append", arg)?);
    }
    let mut out = last.clone();
    for items in lists.into_iter().rev() {
        out = Val::list_with_tail(items, out);
    }
    Ok(out)
}

fn reverse(args: &[Val]) -> PrimResult {
    let mut out = Val::Null;
    let mut cur = &args[0];
    loop {
        match cur {
            Val::Null => return Ok(out),
            Val::Pair(p) => {
                out = Val::cons(p.car.clone(), out);
                cur = &p.cdr;
            }
            _ => return Err(proper_list_error("reverse", &args[0])),
        }
    }
}

/// The pair `k` cdrs down `list` (or the final tail when `k` is its length).
fn drop_k(who: &str, list: &Val, index: &Val) -> Result<Val, Val> {
    let k = index_arg(who, index)?;
    let mut cur = list;
    for _ in 0..k {
        match cur {
            Val::Pair(p) => cur = &p.cdr,
            _ => return Err(out_of_range(who, index)),
        }
    }
    Ok(cur.clone())
}

fn list_tail(args: &[Val]) -> PrimResult {
    drop_k("list-tail", &args[0], &args[1])
}

fn list_ref(args: &[Val]) -> PrimResult {
    match drop_k("list-ref", &args[0], &args[1])? {
        Val::Pair(p) => Ok(p.car.clone()),
        _ => Err(out_of_range("list-ref", &args[1])),
    }
}

/// Copies the spine; an improper tail (or a non-list argument) is kept as is.
fn list_copy(args: &[Val]) -> PrimResult {
    let mut items = Vec::new();
    let mut cur = &args[0];
    while let Val::Pair(p) = cur {
        items.push(p.car.clone());
        cur = &p.cdr;
    }
    Ok(Val::list_with_tail(items, cur.clone()))
}

fn last_pair(args: &[Val]) -> PrimResult {
    let Val::Pair(mut p) = args[0].clone() else {
        return Err(type_error("last-pair", "a pair", &args[0]));
    };
    while let Val::Pair(next) = &p.cdr {
        let next = next.clone();
        p = next;
    }
    Ok(Val::Pair(p))
}

fn last(args: &[Val]) -> PrimResult {
    match last_pair(args) {
        Ok(Val::Pair(p)) => Ok(p.car.clone()),
        _ => Err(type_error("last", "a non-empty list", &args[0])),
    }
}

/// The first sublist of `list` whose car satisfies `same` with `x`, or `#f`.
fn member_by(x: &Val, list: &Val, same: fn(&Val, &Val) -> bool) -> Val {
    let mut cur = list;
    while let Val::Pair(p) = cur {
        if same(x, &p.car) {
            return cur.clone();
        }
        cur = &p.cdr;
    }
    Val::bool(false)
}

/// The first pair of the alist `list` whose car satisfies `same` with `x`, or `#f`.
fn assoc_by(who: &str, x: &Val, list: &Val, same: fn(&Val, &Val) -> bool) -> PrimResult {
    let mut cur = list;
    while let Val::Pair(p) = cur {
        match &p.car {
            Val::Pair(entry) => {
                if same(x, &entry.car) {
                    return Ok(p.car.clone());
                }
            }
            other => return Err(type_error(who, "an association list entry (a pair)", other)),
        }
        cur = &p.cdr;
    }
    Ok(Val::bool(false))
}

fn memq(args: &[Val]) -> PrimResult {
    Ok(member_by(&args[0], &args[1], crate::values::equality::eqv))
}

fn member(args: &[Val]) -> PrimResult {
    Ok(member_by(
        &args[0],
        &args[1],
        crate::values::equality::equal,
    ))
}

fn assq(args: &[Val]) -> PrimResult {
    assoc_by("assq", &args[0], &args[1], crate::values::equality::eqv)
}

fn assv(args: &[Val]) -> PrimResult {
    assoc_by("assv", &args[0], &args[1], crate::values::equality::eqv)
}

fn assoc(args: &[Val]) -> PrimResult {
    assoc_by("assoc", &args[0], &args[1], crate::values::equality::equal)
}

// ---- SRFI-1 staples ----

fn int_val(b: BigInt) -> Val {
    match b.to_i64() {
        Some(i) => Val::Int(i),
        None => Val::Big(std::rc::Rc::new(Counted::new(b))),
    }
}

fn exact_ratio(v: &Val) -> Option<BigRational> {
    match v {
        Val::Int(i) => Some(BigRational::from_integer(BigInt::from(*i))),
        Val::Big(b) => Some(BigRational::from_integer((***b).clone())),
        Val::Rat(r) => Some((***r).clone()),
        _ => None,
    }
}

/// `(iota count [start [step]])`: element `i` is `start + i*step`, computed
/// afresh each time so inexact steps do not accumulate rounding error.
fn iota(args: &[Val]) -> PrimResult {
    let n = length_arg("iota", &args[0])?;
    heap::reserve_items(n, PAIR_BYTES)?;
    let start = args.get(1).cloned().unwrap_or(Val::Int(0));
    let step = args.get(2).cloned().unwrap_or(Val::Int(1));
    for v in [&start, &step] {
        if !v.is_number() {
            return Err(type_error("iota", "a number", v));
        }
    }
    // n <= MAX_LENGTH, so every index fits in an i64 and converts to f64 exactly.
    let items: Vec<Val> = match (&start, &step) {
        (Val::Int(s), Val::Int(d)) => (0..n as i64)
            .map(|i| match d.checked_mul(i).and_then(|x| s.checked_add(x)) {
                Some(v) => Val::Int(v),
                None => int_val(BigInt::from(*s) + BigInt::from(*d) * BigInt::from(i)),
            })
            .collect(),
        (Val::Real(_), _) | (_, Val::Real(_)) => {
            let float = |v: &Val| crate::values::number::to_f64(v).unwrap_or(f64::NAN);
            let (s, d) = (float(&start), float(&step));
            (0..n).map(|i| Val::real(s + i as f64 * d)).collect()
        }
        _ => {
            let (Some(s), Some(d)) = (exact_ratio(&start), exact_ratio(&step)) else {
                return Err(type_error("iota", "a real number", &start));
            };
            (0..n)
                .map(|i| {
                    let v = &s + &d * BigInt::from(i);
                    if v.denom().is_one() {
                        int_val(v.to_integer())
                    } else {
                        Val::Rat(std::rc::Rc::new(Counted::new(v)))
                    }
                })
                .collect()
        }
    };
    Ok(Val::list(items))
}

/// `(list-set list k obj)`: a new list with element `k` replaced; the part
/// after `k` is shared with the original.
fn list_set(args: &[Val]) -> PrimResult {
    let k = index_arg("list-set", &args[1])?;
    let mut prefix = Vec::new();
    let mut cur = &args[0];
    loop {
        match cur {
            Val::Pair(p) if prefix.len() == k => {
                let rest = Val::cons(args[2].clone(), p.cdr.clone());
                return Ok(Val::list_with_tail(prefix, rest));
            }
            Val::Pair(p) => {
                prefix.push(p.car.clone());
                cur = &p.cdr;
            }
            _ => return Err(out_of_range("list-set", &args[1])),
        }
    }
}

/// `(delete x list)`: a new list without the elements `equal?` to `x`.
fn delete(args: &[Val]) -> PrimResult {
    let items = list_items("delete", &args[1])?;
    let kept: Vec<Val> = items
        .into_iter()
        .filter(|item| !crate::values::equality::equal(&args[0], item))
        .collect();
    Ok(Val::list(kept))
}

/// Keeps the first of each group of `equal?` elements. Plain data is looked up
/// in an ordered set (on plain data `compare` agrees with `equal?`), so long
/// lists stay fast; anything else is compared one by one.
fn delete_duplicates(args: &[Val]) -> PrimResult {
    let items = list_items("delete-duplicates", &args[0])?;
    // Plain data holds no interior mutability, so its order cannot change in the set.
    #[allow(clippy::mutable_key_type)]
    let mut seen_plain: BTreeSet<Val> = BTreeSet::new();
    let mut seen_other: Vec<Val> = Vec::new();
    let mut kept = Vec::new();
    for item in items {
        let fresh = if item.is_plain() {
            seen_plain.insert(item.clone())
        } else if seen_other
            .iter()
            .any(|s| crate::values::equality::equal(s, &item))
        {
            false
        } else {
            seen_other.push(item.clone());
            true
        };
        if fresh {
            kept.push(item);
        }
    }
    Ok(Val::list(kept))
}

macro_rules! cxr {
    ($name:ident) => {
        pure(stringify!($name), 1, Some(1), $name)
    };
}

pub static PRIMS: &[Prim] = &[
    pure("pair?", 1, Some(1), pair_p),
    pure("cons", 2, Some(2), cons),
    pure("car", 1, Some(1), car),
    pure("cdr", 1, Some(1), cdr),
    cxr!(caar),
    cxr!(cadr),
    cxr!(cdar),
    cxr!(cddr),
    cxr!(caaar),
    cxr!(caadr),
    cxr!(cadar),
    cxr!(caddr),
    cxr!(cdaar),
    cxr!(cdadr),
    cxr!(cddar),
    cxr!(cdddr),
    cxr!(caaaar),
    cxr!(caaadr),
    cxr!(caadar),
    cxr!(caaddr),
    cxr!(cadaar),
    cxr!(cadadr),
    cxr!(caddar),
    cxr!(cadddr),
    cxr!(cdaaar),
    cxr!(cdaadr),
    cxr!(cdadar),
    cxr!(cdaddr),
    cxr!(cddaar),
    cxr!(cddadr),
    cxr!(cdddar),
    cxr!(cddddr),
    pure("null?", 1, Some(1), null_p),
    pure("list?", 1, Some(1), list_p),
    pure("make-list", 1, Some(2), make_list),
    pure("list", 0, None, list),
    pure("length", 1, Some(1), length),
    pure("append", 0, None, append),
    pure("reverse", 1, Some(1), reverse),
    pure("list-tail", 2, Some(2), list_tail),
    pure("list-ref", 2, Some(2), list_ref),
    pure("list-copy", 1, Some(1), list_copy),
    pure("last-pair", 1, Some(1), last_pair),
    pure("last", 1, Some(1), last),
    pure("memq", 2, Some(2), memq),
    pure("memv", 2, Some(2), memq),
    pure("assq", 2, Some(2), assq),
    pure("assv", 2, Some(2), assv),
    pure("%member", 2, Some(2), member),
    pure("%assoc", 2, Some(2), assoc),
    pure("iota", 1, Some(3), iota),
    pure("list-set", 3, Some(3), list_set),
    pure("delete", 2, Some(2), delete),
    pure("delete-duplicates", 1, Some(1), delete_duplicates),
];

#[cfg(test)]
pub(crate) mod tests;
