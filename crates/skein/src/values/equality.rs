//! Equality and order over values: `eqv?`, `equal?`, and the documented
//! total order that keeps map keys (and so iteration) deterministic.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::values::value::Val;

fn ptr_eq<T>(a: &Rc<T>, b: &Rc<T>) -> bool {
    Rc::ptr_eq(a, b)
}

/// `eqv?`: identity for compound values, value for atoms (exactness matters).
pub fn eqv(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null)
        | (Val::Unspecified, Val::Unspecified)
        | (Val::Eof, Val::Eof)
        | (Val::Unassigned, Val::Unassigned) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Big(x), Val::Big(y)) => x == y,
        (Val::Rat(x), Val::Rat(y)) => x == y,
        // Same bits (so -0.0 differs from 0.0), and every NaN is the same NaN.
        (Val::Real(x), Val::Real(y)) => {
            let (x, y) = (x.get(), y.get());
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Val::Char(x), Val::Char(y)) => x.get() == y.get(),
        (Val::Sym(x), Val::Sym(y)) | (Val::Keyword(x), Val::Keyword(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        (Val::Pair(x), Val::Pair(y)) => ptr_eq(x, y),
        (Val::Vector(x), Val::Vector(y)) => ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        (Val::Bytes(x), Val::Bytes(y)) => ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        (Val::Map(x), Val::Map(y)) => ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        (Val::Closure(x), Val::Closure(y)) => ptr_eq(x, y),
        (Val::Prim(x), Val::Prim(y)) => std::ptr::eq(*x, *y),
        (Val::Host(x), Val::Host(y)) => ptr_eq(x, y),
        (Val::Cont(x), Val::Cont(y)) => ptr_eq(x, y),
        (Val::Param(x), Val::Param(y)) => ptr_eq(x, y),
        (Val::Record(x), Val::Record(y)) => ptr_eq(x, y),
        (Val::RecordType(x), Val::RecordType(y)) => ptr_eq(x, y),
        (Val::RecordProc(x), Val::RecordProc(y)) => ptr_eq(x, y),
        (Val::Promise(x), Val::Promise(y)) => ptr_eq(x, y),
        (Val::Values(x), Val::Values(y)) => ptr_eq(x, y),
        (Val::Error(x), Val::Error(y)) => ptr_eq(x, y),
        (Val::Flow(x), Val::Flow(y)) => ptr_eq(x, y),
        (Val::Port(x), Val::Port(y)) => ptr_eq(x, y),
        _ => false,
    }
}

/// `equal?`: structural over pairs, strings, vectors, bytevectors and maps.
/// Iterative, so arbitrarily deep data cannot overflow the stack.
pub fn equal(a: &Val, b: &Val) -> bool {
    let mut work: Vec<(Val, Val)> = vec![(a.clone(), b.clone())];
    while let Some((a, b)) = work.pop() {
        match (&a, &b) {
            (Val::Pair(x), Val::Pair(y)) => {
                if !ptr_eq(x, y) {
                    work.push((x.cdr.clone(), y.cdr.clone()));
                    work.push((x.car.clone(), y.car.clone()));
                }
            }
            (Val::Str(x), Val::Str(y)) => {
                if x != y {
                    return false;
                }
            }
            (Val::Vector(x), Val::Vector(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                work.extend(x.iter().cloned().zip(y.iter().cloned()).rev());
            }
            (Val::Bytes(x), Val::Bytes(y)) => {
                if x != y {
                    return false;
                }
            }
            (Val::Map(x), Val::Map(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for ((k1, v1), (k2, v2)) in x.iter().zip(y.iter()) {
                    if compare(k1, k2) != Ordering::Equal {
                        return false;
                    }
                    work.push((v1.clone(), v2.clone()));
                }
            }
            (Val::Record(x), Val::Record(y)) => {
                if !ptr_eq(x, y) {
                    if !ptr_eq(&x.rtd, &y.rtd) {
                        return false;
                    }
                    work.extend(x.fields.iter().cloned().zip(y.fields.iter().cloned()));
                }
            }
            _ => {
                if !eqv(&a, &b) {
                    return false;
                }
            }
        }
    }
    true
}

// ---- the total order used for map keys ----

/// Rank of each kind of value in the documented total order (see docs/language.md).
fn rank(v: &Val) -> u8 {
    match v {
        Val::Null => 0,
        Val::Bool(_) => 1,
        Val::Int(_) | Val::Big(_) | Val::Rat(_) | Val::Real(_) => 2,
        Val::Char(_) => 3,
        Val::Str(_) => 4,
        Val::Sym(_) => 5,
        Val::Keyword(_) => 6,
        Val::Pair(_) => 7,
        Val::Vector(_) => 8,
        Val::Bytes(_) => 9,
        Val::Map(_) => 10,
        _ => 11,
    }
}

/// Total order over plain data: by kind, then by value. Numbers compare
/// numerically; an exact number sorts before an inexact one of equal value.
pub fn compare(a: &Val, b: &Val) -> Ordering {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || compare_inner(a, b))
}

fn compare_inner(a: &Val, b: &Val) -> Ordering {
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Val::Bool(x), Val::Bool(y)) => x.get().cmp(&y.get()),
        (x, y) if ra == 2 => crate::values::number::total_cmp(x, y),
        (Val::Char(x), Val::Char(y)) => x.get().cmp(&y.get()),
        (Val::Str(x), Val::Str(y)) => x.cmp(y),
        (Val::Sym(x), Val::Sym(y)) | (Val::Keyword(x), Val::Keyword(y)) => {
            if x == y {
                Ordering::Equal
            } else {
                x.name().cmp(y.name())
            }
        }
        (Val::Pair(_), Val::Pair(_)) => {
            // Walk the spine iteratively; recurse only into cars.
            let (mut x, mut y) = (a.clone(), b.clone());
            loop {
                match (&x, &y) {
                    (Val::Pair(p), Val::Pair(q)) => {
                        let c = compare(&p.car, &q.car);
                        if c != Ordering::Equal {
                            return c;
                        }
                        let (nx, ny) = (p.cdr.clone(), q.cdr.clone());
                        x = nx;
                        y = ny;
                    }
                    _ => return compare(&x, &y),
                }
            }
        }
        (Val::Vector(x), Val::Vector(y)) => x
            .len()
            .cmp(&y.len())
            .then_with(|| cmp_seq(x.iter(), y.iter())),
        (Val::Bytes(x), Val::Bytes(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Val::Map(x), Val::Map(y)) => x.len().cmp(&y.len()).then_with(|| {
            for ((k1, v1), (k2, v2)) in x.iter().zip(y.iter()) {
                let c = compare(k1, k2).then_with(|| compare(v1, v2));
                if c != Ordering::Equal {
                    return c;
                }
            }
            Ordering::Equal
        }),
        _ => Ordering::Equal,
    }
}

fn cmp_seq<'a>(x: impl Iterator<Item = &'a Val>, y: impl Iterator<Item = &'a Val>) -> Ordering {
    for (a, b) in x.zip(y) {
        let c = compare(a, b);
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        compare(self, other) == Ordering::Equal
    }
}
impl Eq for Val {}
impl PartialOrd for Val {
    fn partial_cmp(&self, other: &Val) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Val {
    fn cmp(&self, other: &Val) -> Ordering {
        compare(self, other)
    }
}
