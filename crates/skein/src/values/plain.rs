//! Plain data as the host sees it: [`Value`], a deep copy of the engine's
//! values with no reference into the engine, so it can cross threads and
//! outlive the engine.

use std::rc::Rc;

use smallvec::SmallVec;

use crate::values::heap::Counted;
use crate::values::symbol::Symbol;
use crate::values::value::{MapImpl, Val};

/// The one maximum nesting of plain data, the same everywhere: the values
/// the engine hands a host, every value entering a flow (arguments, request
/// tags and payloads, responses, results), the store document in each of its
/// forms (JSON, Scheme data, a [`StoreDocument`](crate::StoreDocument)) and
/// the columns of a SQLite store. An atom, and an empty list, vector or map,
/// is 1 level deep; a list, vector, map or dotted list is one level deeper
/// than its deepest item, key, value or tail (a list's length adds nothing).
/// So `(((x)))` is 4 levels deep. A deeper value is refused where it enters.
pub const MAX_VALUE_DEPTH: usize = 1_000;

/// Why an engine value may not cross a flow's boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotPlain {
    /// It holds something that is not plain data (a procedure, a record...).
    Kind,
    /// It is nested more than [`MAX_VALUE_DEPTH`] levels deep.
    TooDeep,
}

impl NotPlain {
    /// The message for `what` (`"request: the payload"`), when too deep.
    pub(crate) fn too_deep(what: &str) -> String {
        format!(
            "{what} is nested more than {MAX_VALUE_DEPTH} levels deep (the most plain data may be)"
        )
    }
}

/// Whether engine value `v` is plain data nested at most
/// [`MAX_VALUE_DEPTH`] levels deep (walked without recursion).
pub(crate) fn check_plain(v: &Val) -> Result<(), NotPlain> {
    check_nesting(v, MAX_VALUE_DEPTH, Val::is_plain_atom)
}

/// Whether `v` is nested at most `max` levels deep (levels counted as for
/// [`MAX_VALUE_DEPTH`]) and every value in it that is not a pair, vector or
/// map passes `atom_ok`. Walked with a work list, never recursion.
pub(crate) fn check_nesting(
    v: &Val,
    max: usize,
    atom_ok: impl Fn(&Val) -> bool,
) -> Result<(), NotPlain> {
    // Most values checked are small (a tag, a payload): their walk needs no
    // allocation (it cost the flow benchmark 7% of its instructions).
    let mut work: SmallVec<[(&Val, usize); 16]> = smallvec::smallvec![(v, 1usize)];
    while let Some((v, depth)) = work.pop() {
        if depth > max {
            return Err(NotPlain::TooDeep);
        }
        match v {
            Val::Pair(p) => {
                work.push((&p.car, depth + 1));
                match &p.cdr {
                    // The rest of the list is at this level; a dotted tail one deeper.
                    Val::Pair(_) => work.push((&p.cdr, depth)),
                    Val::Null => {}
                    tail => work.push((tail, depth + 1)),
                }
            }
            Val::Vector(items) => work.extend(items.iter().map(|x| (x, depth + 1))),
            Val::Map(m) => {
                for (k, x) in m.iter() {
                    work.push((k, depth + 1));
                    work.push((x, depth + 1));
                }
            }
            atom if !atom_ok(atom) => return Err(NotPlain::Kind),
            _ => {}
        }
    }
    Ok(())
}

/// Plain data crossing the API: what a flow's arguments, requests, responses
/// and results are made of. Equality is structural, like `equal?` (so
/// `-0.0` differs from `0.0`, and a NaN equals itself).
#[derive(Clone, Debug)]
pub enum Value {
    /// The value of expressions whose value R7RS leaves unspecified.
    Unspecified,
    /// `#t` or `#f`.
    Bool(bool),
    /// An exact integer that fits `i64`.
    Int(i64),
    /// An exact integer outside `i64`, in decimal.
    BigInt(String),
    /// An exact non-integer rational, as `"n/d"`.
    Rational(String),
    /// An inexact real: any `f64`, NaN and the infinities included.
    Real(f64),
    /// A character.
    Char(char),
    /// A string (`"o-1"`): not a symbol, and never equal to one.
    Str(String),
    /// A symbol (`'reserved`), by name; build one with [`Value::symbol`].
    Symbol(String),
    /// A keyword (`:amount`), by name without the colon; see [`Value::keyword`].
    Keyword(String),
    /// A proper list; the empty list is `List(vec![])`.
    List(Vec<Value>),
    /// An improper list: items and the final cdr.
    DottedList(Vec<Value>, Box<Value>),
    /// A vector `#(...)`.
    Vector(Vec<Value>),
    /// A bytevector `#u8(...)`.
    Bytes(Vec<u8>),
    /// A map, in key order.
    Map(Vec<(Value, Value)>),
    /// A value that is not plain data (a procedure, a record, ...), as printed.
    Opaque(String),
}

impl Value {
    /// The symbol `name`: what a flow compares with `eq?` to `'name`.
    pub fn symbol(name: &str) -> Value {
        Value::Symbol(name.to_string())
    }

    /// The keyword `:name` (give the name without the colon).
    pub fn keyword(name: &str) -> Value {
        Value::Keyword(name.to_string())
    }

    /// A proper list of `items`.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    /// The value as `write` prints it.
    pub fn to_write_string(&self) -> String {
        match self.to_val() {
            Ok(v) => crate::values::printer::write_string(&v),
            Err(_) => match self {
                Value::Opaque(s) => s.clone(),
                other => format!("{other:?}"),
            },
        }
    }

    pub(crate) fn from_val(v: &Val) -> Value {
        Value::from_val_within(v, MAX_VALUE_DEPTH)
    }

    fn from_val_within(v: &Val, depth: usize) -> Value {
        if depth == 0 {
            // A host value this deep would overflow the host's stack when
            // dropped (Rust drops recursively); hand over its printed form.
            return Value::Opaque(format!(
                "#<value nested more than {MAX_VALUE_DEPTH} levels deep>"
            ));
        }
        let inner = |x: &Val| Value::from_val_within(x, depth - 1);
        match v {
            Val::Unspecified => Value::Unspecified,
            Val::Null => Value::List(vec![]),
            Val::Bool(b) => Value::Bool(b.get()),
            Val::Int(i) => Value::Int(*i),
            Val::Big(b) => Value::BigInt(b.to_string()),
            Val::Rat(r) => Value::Rational(r.to_string()),
            Val::Real(f) => Value::Real(f.get()),
            Val::Char(c) => Value::Char(c.get()),
            Val::Str(s) => Value::Str(s.to_string()),
            Val::Sym(s) => Value::Symbol(s.name().to_string()),
            Val::Keyword(s) => Value::Keyword(s.name().to_string()),
            Val::Pair(_) => {
                let (items, tail) = v.list_parts();
                let items = items.iter().map(inner).collect();
                match tail {
                    None => Value::List(items),
                    Some(tail) => Value::DottedList(items, Box::new(inner(&tail))),
                }
            }
            Val::Vector(items) => Value::Vector(items.iter().map(inner).collect()),
            Val::Bytes(b) => Value::Bytes(b.to_vec()),
            Val::Map(m) => Value::Map(m.iter().map(|(k, v)| (inner(k), inner(v))).collect()),
            other => Value::Opaque(crate::values::printer::write_string(other)),
        }
    }

    pub(crate) fn to_val(&self) -> Result<Val, String> {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            Ok(match self {
                Value::Unspecified => Val::Unspecified,
                Value::Bool(b) => Val::bool(*b),
                Value::Int(i) => Val::Int(*i),
                Value::BigInt(s) | Value::Rational(s) => crate::values::number::parse_number(s, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_) | Val::Rat(_)))
                    .ok_or_else(|| format!("not an exact number: {s}"))?,
                Value::Real(f) => Val::real(*f),
                Value::Char(c) => Val::char(*c),
                Value::Str(s) => Val::str(s.clone()),
                Value::Symbol(s) => Val::Sym(Symbol::intern(s)),
                Value::Keyword(s) => Val::Keyword(Symbol::intern(s)),
                Value::List(items) => {
                    let items = items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?;
                    Val::list(items)
                }
                Value::DottedList(items, tail) => {
                    let items = items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?;
                    Val::list_with_tail(items, tail.to_val()?)
                }
                Value::Vector(items) => Val::vector(
                    items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Value::Bytes(b) => Val::Bytes(Rc::new(Counted::new(b.clone()))),
                Value::Map(pairs) => {
                    let mut m = MapImpl::default();
                    for (k, v) in pairs {
                        m.insert(k.to_val()?, v.to_val()?);
                    }
                    Val::map(m)
                }
                Value::Opaque(s) => {
                    return Err(format!("{s} is not plain data"));
                }
            })
        })
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Real(a), Real(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Unspecified, Unspecified) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) | (Rational(a), Rational(b)) => a == b,
            (Char(a), Char(b)) => a == b,
            (Str(a), Str(b)) | (Symbol(a), Symbol(b)) | (Keyword(a), Keyword(b)) => a == b,
            (Opaque(a), Opaque(b)) => a == b,
            (List(a), List(b)) | (Vector(a), Vector(b)) => a == b,
            (DottedList(a, x), DottedList(b, y)) => a == b && x == y,
            (Bytes(a), Bytes(b)) => a == b,
            (Map(a), Map(b)) => a == b || same_entries(a, b),
            _ => false,
        }
    }
}

/// Maps with the same entries are equal however a host ordered them: both
/// are put in the engine's key order first (a later duplicate key wins, as
/// with `map-set`).
fn same_entries(a: &[(Value, Value)], b: &[(Value, Value)]) -> bool {
    match (in_key_order(a), in_key_order(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn in_key_order(entries: &[(Value, Value)]) -> Option<Vec<(Value, Value)>> {
    let v = Value::Map(entries.to_vec()).to_val().ok()?;
    let ordered = Value::from_val(&v);
    crate::values::value::release(v);
    match ordered {
        Value::Map(entries) => Some(entries),
        _ => None,
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_write_string())
    }
}

macro_rules! value_from {
    ($($t:ty => $e:expr),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value {
                let f: fn($t) -> Value = $e;
                f(v)
            }
        })*
    };
}

value_from! {
    i64 => Value::Int,
    i32 => |v| Value::Int(v.into()),
    u32 => |v| Value::Int(v.into()),
    usize => |v| i64::try_from(v).map_or_else(|_| Value::BigInt(v.to_string()), Value::Int),
    f64 => Value::Real,
    bool => Value::Bool,
    char => Value::Char,
    &str => |v| Value::Str(v.to_string()),
    String => Value::Str,
    Vec<Value> => Value::List,
}

/// Whether `v` is plain data the engine can take in: no [`Value::Opaque`]
/// anywhere, every [`Value::BigInt`] and [`Value::Rational`] an exact
/// number, and nested at most [`MAX_VALUE_DEPTH`] levels deep (walked
/// without recursion).
pub(crate) fn is_plain_data(v: &Value) -> bool {
    check_plain_data(v).is_ok()
}

/// [`is_plain_data`], saying why not.
pub(crate) fn check_plain_data(v: &Value) -> Result<(), NotPlain> {
    let mut work: SmallVec<[(&Value, usize); 16]> = smallvec::smallvec![(v, 1usize)];
    while let Some((v, depth)) = work.pop() {
        if depth > MAX_VALUE_DEPTH {
            return Err(NotPlain::TooDeep);
        }
        let inner = depth + 1;
        match v {
            Value::Opaque(_) => return Err(NotPlain::Kind),
            Value::BigInt(s) | Value::Rational(s) if !is_exact_number(s) => {
                return Err(NotPlain::Kind)
            }
            Value::List(items) | Value::Vector(items) => {
                work.extend(items.iter().map(|x| (x, inner)))
            }
            Value::DottedList(items, tail) => {
                work.extend(items.iter().map(|x| (x, inner)));
                work.push((tail, inner));
            }
            Value::Map(pairs) => {
                work.extend(pairs.iter().flat_map(|(k, x)| [(k, inner), (x, inner)]))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `text` is an exact number, as [`Value::BigInt`] and
/// [`Value::Rational`] hold one.
pub(crate) fn is_exact_number(text: &str) -> bool {
    matches!(
        crate::values::number::parse_number(text, 10),
        Some(Val::Int(_) | Val::Big(_) | Val::Rat(_))
    )
}
