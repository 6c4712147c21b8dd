//! What the inline instructions compute when their operands make it cheap
//! and certain (fixnums, pairs, in-range indices); every other case goes to
//! the primitive.

use crate::values::prim::Inline;
use crate::values::value::{BoolBits, Val};

/// The result of a fast path, built where it is stored (a `Val` assembled
/// in a temporary and copied costs a store-forwarding stall per step).
pub(crate) enum Fast {
    Int(i64),
    Bool(bool),
    Car,
    Cdr,
    Cons,
    /// `vector-ref` of an index known to be in range.
    Element(usize),
}

/// What a one-operand instruction gives, when cheap and certain; `None`
/// leaves the case (another type, an error) to the primitive.
#[inline(always)]
pub(crate) fn fast1(which: Inline, x: &Val) -> Option<Fast> {
    Some(match (which, x) {
        (Inline::Car, Val::Pair(_)) => Fast::Car,
        (Inline::Cdr, Val::Pair(_)) => Fast::Cdr,
        (Inline::NullP, x) => Fast::Bool(matches!(x, Val::Null)),
        (Inline::PairP, x) => Fast::Bool(matches!(x, Val::Pair(_))),
        (Inline::Not, x) => Fast::Bool(matches!(x, Val::Bool(BoolBits::FALSE))),
        (Inline::ZeroP, Val::Int(i)) => Fast::Bool(*i == 0),
        (Inline::EvenP, Val::Int(i)) => Fast::Bool(i % 2 == 0),
        (Inline::OddP, Val::Int(i)) => Fast::Bool(i % 2 != 0),
        _ => return None,
    })
}

/// What a two-operand instruction gives, when cheap and certain.
#[inline(always)]
pub(crate) fn fast2(which: Inline, x: &Val, y: &Val) -> Option<Fast> {
    match which {
        Inline::Cons => Some(Fast::Cons),
        Inline::EqP => Some(Fast::Bool(crate::values::equality::eqv(x, y))),
        Inline::VectorRef => match (x, y) {
            (Val::Vector(items), Val::Int(i)) => usize::try_from(*i)
                .ok()
                .filter(|i| *i < items.len())
                .map(Fast::Element),
            _ => None,
        },
        _ => {
            let (Val::Int(a), Val::Int(b)) = (x, y) else {
                return None;
            };
            fixnums(which, *a, *b)
        }
    }
}

/// An arithmetic or comparison instruction on two fixnums: `None` when it
/// is neither or overflows.
#[inline(always)]
pub(crate) fn fixnums(which: Inline, a: i64, b: i64) -> Option<Fast> {
    match which {
        Inline::Add => a.checked_add(b).map(Fast::Int),
        Inline::Sub => a.checked_sub(b).map(Fast::Int),
        Inline::Mul => a.checked_mul(b).map(Fast::Int),
        Inline::NumEq => Some(Fast::Bool(a == b)),
        Inline::Lt => Some(Fast::Bool(a < b)),
        Inline::Gt => Some(Fast::Bool(a > b)),
        Inline::Le => Some(Fast::Bool(a <= b)),
        Inline::Ge => Some(Fast::Bool(a >= b)),
        _ => None,
    }
}

#[inline(always)]
pub(crate) fn fixnum(v: &Val) -> Option<i64> {
    match v {
        Val::Int(i) => Some(*i),
        _ => None,
    }
}
