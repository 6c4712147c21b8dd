//! Pairs and lists (R7RS 6.4, `(scheme cxr)`), plus a few SRFI-1 staples.
//!
//! Lists may hold millions of elements: every walk here is a loop, and every
//! list is built back to front from a `Vec`, never by recursion.

pub(super) use super::pure;
use std::collections::BTreeSet;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};

use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{self, error, type_error, Val};

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
    Ok(member_by(&args[0], &args[1], value::eqv))
}

fn member(args: &[Val]) -> PrimResult {
    Ok(member_by(&args[0], &args[1], value::equal))
}

fn assq(args: &[Val]) -> PrimResult {
    assoc_by("assq", &args[0], &args[1], value::eqv)
}

fn assv(args: &[Val]) -> PrimResult {
    assoc_by("assv", &args[0], &args[1], value::eqv)
}

fn assoc(args: &[Val]) -> PrimResult {
    assoc_by("assoc", &args[0], &args[1], value::equal)
}

// ---- SRFI-1 staples ----

fn int_val(b: BigInt) -> Val {
    match b.to_i64() {
        Some(i) => Val::Int(i),
        None => Val::Big(std::rc::Rc::new(b)),
    }
}

fn exact_ratio(v: &Val) -> Option<BigRational> {
    match v {
        Val::Int(i) => Some(BigRational::from_integer(BigInt::from(*i))),
        Val::Big(b) => Some(BigRational::from_integer((**b).clone())),
        Val::Rat(r) => Some((**r).clone()),
        _ => None,
    }
}

/// `(iota count [start [step]])`: element `i` is `start + i*step`, computed
/// afresh each time so inexact steps do not accumulate rounding error.
fn iota(args: &[Val]) -> PrimResult {
    let n = length_arg("iota", &args[0])?;
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
                        Val::Rat(std::rc::Rc::new(v))
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
        .filter(|item| !value::equal(&args[0], item))
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
        } else if seen_other.iter().any(|s| value::equal(s, &item)) {
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
pub(crate) mod tests {
    use super::*;
    use crate::values::prim::PrimKind;
    use crate::values::printer::write_string;

    /// The written form of a successful result.
    pub(crate) fn ok(r: PrimResult) -> String {
        write_string(&r.expect("expected success"))
    }

    /// The written form of the error object a primitive raised.
    pub(crate) fn err(r: PrimResult) -> String {
        write_string(&r.expect_err("expected an error"))
    }

    pub(crate) fn ints(xs: impl IntoIterator<Item = i64>) -> Val {
        Val::list(xs.into_iter().map(Val::Int).collect::<Vec<_>>())
    }

    pub(crate) fn syms(names: &str) -> Val {
        Val::list(names.split_whitespace().map(Val::sym).collect::<Vec<_>>())
    }

    fn big_list() -> Val {
        ints(0..1_000_000)
    }

    #[test]
    fn pairs() {
        let p = Val::cons(Val::Int(1), Val::Int(2));
        assert_eq!(ok(pair_p(std::slice::from_ref(&p))), "#t");
        assert_eq!(ok(pair_p(&[Val::Null])), "#f");
        assert_eq!(ok(cons(&[Val::Int(1), Val::Int(2)])), "(1 . 2)");
        assert_eq!(ok(car(std::slice::from_ref(&p))), "1");
        assert_eq!(ok(cdr(&[p])), "2");
        assert_eq!(
            err(car(&[Val::Int(5)])),
            r#"#<error "car: expected a pair" 5>"#
        );
        assert_eq!(
            err(cdr(&[Val::Null])),
            r#"#<error "cdr: expected a pair" ()>"#
        );
    }

    /// A full binary tree whose leaves name the path to them: `(cadr t)` is the
    /// subtree reached by "d" then "a".
    fn tree(depth: u32, label: String) -> Val {
        if depth == 0 {
            return Val::sym(&label);
        }
        Val::cons(
            tree(depth - 1, format!("{label}a")),
            tree(depth - 1, format!("{label}d")),
        )
    }

    #[test]
    fn every_cxr_composes_car_and_cdr() {
        let t = tree(4, "x".into());
        let cxrs: Vec<&Prim> = PRIMS
            .iter()
            .filter(|p| p.name.len() > 3 && p.name.starts_with('c') && p.name.ends_with('r'))
            .filter(|p| {
                p.name[1..p.name.len() - 1]
                    .bytes()
                    .all(|b| b == b'a' || b == b'd')
            })
            .collect();
        assert_eq!(cxrs.len(), 4 + 8 + 16);
        for prim in cxrs {
            let PrimKind::Pure(f) = prim.kind else {
                panic!("{} is not pure", prim.name)
            };
            let path: String = prim.name[1..prim.name.len() - 1].chars().rev().collect();
            let mut expected = t.clone();
            for step in path.chars() {
                expected = if step == 'a' {
                    car(&[expected]).unwrap()
                } else {
                    cdr(&[expected]).unwrap()
                };
            }
            assert_eq!(
                ok(f(std::slice::from_ref(&t))),
                write_string(&expected),
                "{}",
                prim.name
            );
        }
        assert_eq!(ok(caddr(&[syms("a b c")])), "c");
        assert_eq!(ok(cadddr(&[syms("a b c d")])), "d");
        assert_eq!(ok(cdddr(&[syms("a b c")])), "()");
        assert_eq!(
            err(cadr(&[syms("a")])),
            r#"#<error "cadr: expected a pair" (a)>"#
        );
        assert_eq!(
            err(cddddr(&[syms("a b c")])),
            r#"#<error "cddddr: expected a pair" (a b c)>"#
        );
    }

    #[test]
    fn list_predicates() {
        assert_eq!(ok(null_p(&[Val::Null])), "#t");
        assert_eq!(ok(null_p(&[ints([1])])), "#f");
        assert_eq!(ok(list_p(&[Val::Null])), "#t");
        assert_eq!(ok(list_p(&[ints([1, 2])])), "#t");
        assert_eq!(ok(list_p(&[Val::cons(Val::Int(1), Val::Int(2))])), "#f");
        assert_eq!(ok(list_p(&[Val::Int(5)])), "#f");
        assert_eq!(ok(list_p(&[big_list()])), "#t");
    }

    #[test]
    fn make_list_and_list() {
        assert_eq!(ok(make_list(&[Val::Int(3), Val::sym("x")])), "(x x x)");
        assert_eq!(ok(make_list(&[Val::Int(2)])), "(#f #f)");
        assert_eq!(ok(make_list(&[Val::Int(0)])), "()");
        assert_eq!(
            err(make_list(&[Val::Int(-1)])),
            r#"#<error "make-list: expected an exact non-negative integer" -1>"#
        );
        assert_eq!(
            err(make_list(&[Val::real(2.0)])),
            r#"#<error "make-list: expected an exact non-negative integer" 2.0>"#
        );
        assert_eq!(
            err(make_list(&[Val::Int(200_000_000)])),
            r#"#<error "make-list: length too large (the limit is 100000000)" 200000000>"#
        );
        let million = make_list(&[Val::Int(1_000_000), Val::Int(7)]).unwrap();
        assert_eq!(ok(length(&[million])), "1000000");
        assert_eq!(ok(list(&[])), "()");
        assert_eq!(ok(list(&[Val::Int(1), Val::str("a")])), r#"(1 "a")"#);
    }

    #[test]
    fn length_of_lists() {
        assert_eq!(ok(length(&[Val::Null])), "0");
        assert_eq!(ok(length(&[ints([1, 2, 3])])), "3");
        assert_eq!(ok(length(&[big_list()])), "1000000");
        assert_eq!(
            err(length(&[Val::cons(Val::Int(1), Val::Int(2))])),
            r#"#<error "length: expected a proper list" (1 . 2)>"#
        );
        assert_eq!(
            err(length(&[Val::Int(1)])),
            r#"#<error "length: expected a proper list" 1>"#
        );
    }

    #[test]
    fn append_lists() {
        assert_eq!(ok(append(&[])), "()");
        assert_eq!(ok(append(&[ints([1])])), "(1)");
        assert_eq!(ok(append(&[Val::Int(5)])), "5");
        assert_eq!(ok(append(&[ints([1]), Val::Int(5)])), "(1 . 5)");
        let dotted = Val::cons(Val::Int(4), Val::Int(5));
        assert_eq!(
            ok(append(&[ints([1, 2]), ints([3]), Val::Null, dotted])),
            "(1 2 3 4 . 5)"
        );
        // The last argument is shared, not copied.
        let tail = ints([3, 4]);
        let joined = append(&[ints([1, 2]), tail.clone()]).unwrap();
        assert!(value::eqv(&cddr(&[joined]).unwrap(), &tail));
        assert_eq!(
            err(append(&[Val::cons(Val::Int(1), Val::Int(2)), ints([3])])),
            r#"#<error "append: expected a proper list" (1 . 2)>"#
        );
        assert_eq!(
            err(append(&[ints([1]), Val::Int(2), ints([3])])),
            r#"#<error "append: expected a proper list" 2>"#
        );
        let big = big_list();
        let doubled = append(&[big.clone(), big]).unwrap();
        assert_eq!(ok(length(std::slice::from_ref(&doubled))), "2000000");
        assert_eq!(ok(list_ref(&[doubled, Val::Int(1_999_999)])), "999999");
    }

    #[test]
    fn reverse_lists() {
        assert_eq!(ok(reverse(&[Val::Null])), "()");
        assert_eq!(ok(reverse(&[ints([1, 2, 3])])), "(3 2 1)");
        assert_eq!(
            err(reverse(&[Val::cons(Val::Int(1), Val::Int(2))])),
            r#"#<error "reverse: expected a proper list" (1 . 2)>"#
        );
        let reversed = reverse(&[big_list()]).unwrap();
        assert_eq!(ok(car(std::slice::from_ref(&reversed))), "999999");
        assert_eq!(ok(last(std::slice::from_ref(&reversed))), "0");
        assert_eq!(ok(length(&[reversed])), "1000000");
    }

    #[test]
    fn list_tail_and_ref() {
        let l = syms("a b c");
        assert_eq!(ok(list_tail(&[l.clone(), Val::Int(0)])), "(a b c)");
        assert_eq!(ok(list_tail(&[l.clone(), Val::Int(2)])), "(c)");
        assert_eq!(ok(list_tail(&[l.clone(), Val::Int(3)])), "()");
        assert_eq!(
            err(list_tail(&[l.clone(), Val::Int(4)])),
            r#"#<error "list-tail: index out of range" 4>"#
        );
        assert_eq!(ok(list_ref(&[l.clone(), Val::Int(0)])), "a");
        assert_eq!(ok(list_ref(&[l.clone(), Val::Int(2)])), "c");
        assert_eq!(
            err(list_ref(&[l.clone(), Val::Int(3)])),
            r#"#<error "list-ref: index out of range" 3>"#
        );
        assert_eq!(
            err(list_ref(&[l.clone(), Val::Int(-1)])),
            r#"#<error "list-ref: expected an exact non-negative integer" -1>"#
        );
        let huge = Val::Big(std::rc::Rc::new(BigInt::from(u64::MAX) * 4));
        assert_eq!(
            err(list_ref(&[l.clone(), huge])),
            r#"#<error "list-ref: index out of range" 73786976294838206460>"#
        );
        assert_eq!(
            err(list_ref(&[l, Val::sym("x")])),
            r#"#<error "list-ref: expected an exact non-negative integer" x>"#
        );
        assert_eq!(ok(list_ref(&[big_list(), Val::Int(999_999)])), "999999");
    }

    #[test]
    fn list_copy_keeps_the_tail() {
        let dotted = Val::list_with_tail([Val::Int(1), Val::Int(2)], Val::Int(3));
        let copy = list_copy(std::slice::from_ref(&dotted)).unwrap();
        assert_eq!(write_string(&copy), "(1 2 . 3)");
        assert!(!value::eqv(&copy, &dotted));
        assert!(value::equal(&copy, &dotted));
        assert_eq!(ok(list_copy(&[Val::Int(5)])), "5");
        assert_eq!(ok(list_copy(&[Val::Null])), "()");
        let big = big_list();
        assert!(value::equal(
            &list_copy(std::slice::from_ref(&big)).unwrap(),
            &big
        ));
    }

    #[test]
    fn last_pair_and_last() {
        assert_eq!(ok(last_pair(&[ints([1, 2, 3])])), "(3)");
        let dotted = Val::list_with_tail([Val::Int(1), Val::Int(2)], Val::Int(3));
        assert_eq!(ok(last_pair(&[dotted])), "(2 . 3)");
        assert_eq!(
            err(last_pair(&[Val::Null])),
            r#"#<error "last-pair: expected a pair" ()>"#
        );
        assert_eq!(ok(last(&[ints([1, 2, 3])])), "3");
        assert_eq!(ok(last(&[big_list()])), "999999");
        assert_eq!(
            err(last(&[Val::Null])),
            r#"#<error "last: expected a non-empty list" ()>"#
        );
    }

    #[test]
    fn member_family() {
        assert_eq!(ok(memq(&[Val::sym("b"), syms("a b c")])), "(b c)");
        assert_eq!(ok(memq(&[Val::sym("z"), syms("a b c")])), "#f");
        assert_eq!(ok(memq(&[Val::Int(2), ints([1, 2, 3])])), "(2 3)");
        // memv distinguishes exactness; strings are compared by identity.
        assert_eq!(ok(memq(&[Val::real(2.0), ints([1, 2, 3])])), "#f");
        let strs = Val::list([Val::str("a"), Val::str("b")]);
        assert_eq!(ok(memq(&[Val::str("b"), strs.clone()])), "#f");
        assert_eq!(ok(member(&[Val::str("b"), strs])), r#"("b")"#);
        let nested = Val::list([ints([0]), ints([1]), ints([2])]);
        assert_eq!(ok(member(&[ints([1]), nested])), "((1) (2))");
        assert_eq!(ok(member(&[Val::Int(1), Val::Null])), "#f");
        // An improper tail ends the search.
        let dotted = Val::cons(Val::Int(1), Val::Int(2));
        assert_eq!(ok(memq(&[Val::Int(2), dotted])), "#f");
        assert_eq!(ok(member(&[Val::Int(999_999), big_list()])), "(999999)");
    }

    #[test]
    fn assoc_family() {
        let alist = Val::list([
            Val::cons(Val::Int(1), Val::sym("one")),
            Val::cons(Val::Int(2), Val::sym("two")),
            Val::cons(Val::Int(2), Val::sym("deux")),
        ]);
        assert_eq!(ok(assv(&[Val::Int(2), alist.clone()])), "(2 . two)");
        assert_eq!(ok(assq(&[Val::Int(1), alist.clone()])), "(1 . one)");
        assert_eq!(ok(assv(&[Val::Int(3), alist.clone()])), "#f");
        assert_eq!(ok(assv(&[Val::real(1.0), alist])), "#f");
        let by_list = Val::list([Val::cons(ints([1, 2]), Val::sym("x"))]);
        assert_eq!(ok(assv(&[ints([1, 2]), by_list.clone()])), "#f");
        assert_eq!(ok(assoc(&[ints([1, 2]), by_list])), "((1 2) . x)");
        let bad = Val::list([Val::cons(Val::Int(1), Val::Int(2)), Val::Int(7)]);
        assert_eq!(
            err(assq(&[Val::Int(5), bad])),
            r#"#<error "assq: expected an association list entry (a pair)" 7>"#
        );
    }

    #[test]
    fn iota_counts() {
        assert_eq!(ok(iota(&[Val::Int(5)])), "(0 1 2 3 4)");
        assert_eq!(ok(iota(&[Val::Int(0)])), "()");
        assert_eq!(ok(iota(&[Val::Int(3), Val::Int(1)])), "(1 2 3)");
        assert_eq!(
            ok(iota(&[Val::Int(3), Val::Int(0), Val::Int(-2)])),
            "(0 -2 -4)"
        );
        assert_eq!(
            ok(iota(&[Val::Int(3), Val::Int(0), Val::real(0.5)])),
            "(0.0 0.5 1.0)"
        );
        assert_eq!(
            ok(iota(&[Val::Int(3), Val::Int(i64::MAX - 1)])),
            "(9223372036854775806 9223372036854775807 9223372036854775808)"
        );
        let half = Val::Rat(std::rc::Rc::new(BigRational::new(1.into(), 2.into())));
        assert_eq!(ok(iota(&[Val::Int(3), half.clone(), half])), "(1/2 1 3/2)");
        assert_eq!(
            err(iota(&[Val::Int(-1)])),
            r#"#<error "iota: expected an exact non-negative integer" -1>"#
        );
        assert_eq!(
            err(iota(&[Val::Int(2), Val::sym("a")])),
            r#"#<error "iota: expected a number" a>"#
        );
        assert_eq!(
            err(iota(&[Val::Int(1_000_000_000)])),
            r#"#<error "iota: length too large (the limit is 100000000)" 1000000000>"#
        );
    }

    #[test]
    fn list_set_is_functional() {
        let l = syms("a b c");
        let updated = list_set(&[l.clone(), Val::Int(1), Val::sym("x")]).unwrap();
        assert_eq!(write_string(&updated), "(a x c)");
        assert_eq!(write_string(&l), "(a b c)");
        assert!(value::eqv(
            &cddr(&[updated]).unwrap(),
            &cddr(std::slice::from_ref(&l)).unwrap()
        ));
        assert_eq!(
            ok(list_set(&[l.clone(), Val::Int(0), Val::Int(9)])),
            "(9 b c)"
        );
        assert_eq!(
            err(list_set(&[l, Val::Int(3), Val::Int(9)])),
            r#"#<error "list-set: index out of range" 3>"#
        );
        let big = list_set(&[big_list(), Val::Int(999_999), Val::sym("end")]).unwrap();
        assert_eq!(ok(last(&[big])), "end");
    }

    #[test]
    fn delete_and_delete_duplicates() {
        assert_eq!(ok(delete(&[Val::Int(2), ints([1, 2, 3, 2])])), "(1 3)");
        assert_eq!(ok(delete(&[Val::Int(9), ints([1, 2])])), "(1 2)");
        let nested = Val::list([ints([1]), ints([2]), ints([1])]);
        assert_eq!(ok(delete(&[ints([1]), nested])), "((2))");
        assert_eq!(
            err(delete(&[Val::Int(1), Val::Int(1)])),
            r#"#<error "delete: expected a proper list" 1>"#
        );

        assert_eq!(ok(delete_duplicates(&[syms("a b a c b")])), "(a b c)");
        assert_eq!(ok(delete_duplicates(&[Val::Null])), "()");
        let strs = Val::list([Val::str("x"), Val::str("y"), Val::str("x")]);
        assert_eq!(ok(delete_duplicates(&[strs])), r#"("x" "y")"#);
        // Values that are not plain data fall back to pairwise `equal?`.
        let car_prim = Val::Prim(&PRIMS[2]);
        let cdr_prim = Val::Prim(&PRIMS[3]);
        let procs = Val::list([
            car_prim.clone(),
            Val::Int(1),
            cdr_prim,
            car_prim,
            Val::Int(1),
        ]);
        assert_eq!(
            ok(delete_duplicates(&[procs])),
            "(#<procedure car> 1 #<procedure cdr>)"
        );
        assert_eq!(
            err(delete_duplicates(&[Val::cons(Val::Int(1), Val::Int(2))])),
            r#"#<error "delete-duplicates: expected a proper list" (1 . 2)>"#
        );
        let repeated = ints((0..1_000_000).map(|i| i % 1000));
        let unique = delete_duplicates(&[repeated]).unwrap();
        assert!(value::equal(&unique, &ints(0..1000)));
    }
}
