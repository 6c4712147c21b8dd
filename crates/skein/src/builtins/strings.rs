//! String, symbol and keyword primitives (R7RS 6.5 and 6.7), plus a few string utilities.
//!
//! Strings are immutable UTF-8; every index counts characters, not bytes; ASCII
//! strings index in O(1).
//! Beyond R7RS (SRFI-13 style, all indices in chars):
//! - `(string-index s char)`: index of the first `char` in `s`, or #f.
//! - `(string-contains s sub)`: index where `sub` first occurs in `s`, or #f.
//! - `(string-join strings [sep])`: the strings of a list joined by `sep` (default " ").
//! - `(string-split s char)`: the list of fields between occurrences of `char`, empty
//!   fields included, so it inverts `string-join`: `(string-split "a,,b" #\,)` is
//!   `("a" "" "b")` and `(string-split "" #\,)` is `("")`.
//! - `(string-trim s)`: `s` without leading and trailing whitespace.
//! - `(string-prefix? prefix s)`, `(string-suffix? suffix s)`.
//!
//! `substring`'s `end` is optional, as in `string-copy`.

use super::pure;
use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::Sign;

use super::chars::char_arg;
use crate::values::case::fold_string;
use crate::values::heap;
use crate::values::prim::{Prim, PrimResult};
use crate::values::symbol::Symbol;
use crate::values::text::Text;
use crate::values::value::{error, type_error, Val};

/// The longest string or bytevector `make-string` and `make-bytevector` build:
/// a user number must not be able to ask for all of memory.
pub(super) const MAX_LENGTH: usize = 100_000_000;

pub(super) fn string_arg<'a>(who: &str, v: &'a Val) -> Result<&'a Rc<Text>, Val> {
    match v {
        Val::Str(s) => Ok(s),
        _ => Err(type_error(who, "a string", v)),
    }
}

pub(super) fn str_arg<'a>(who: &str, v: &'a Val) -> Result<&'a str, Val> {
    match v {
        Val::Str(s) => Ok(s.as_str()),
        _ => Err(type_error(who, "a string", v)),
    }
}

fn symbol_arg(who: &str, v: &Val) -> Result<Symbol, Val> {
    match v {
        Val::Sym(s) => Ok(*s),
        _ => Err(type_error(who, "a symbol", v)),
    }
}

fn list_arg(who: &str, v: &Val) -> Result<Vec<Val>, Val> {
    v.to_vec()
        .ok_or_else(|| type_error(who, "a proper list", v))
}

/// A length or index as a Scheme integer; lengths never reach `i64::MAX`.
pub(super) fn int(n: usize) -> Val {
    Val::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// An index argument. A negative or huge exact integer becomes `usize::MAX`,
/// which every range check rejects, so the error still shows the value given.
pub(super) fn index_arg(who: &str, v: &Val) -> Result<usize, Val> {
    match v {
        Val::Int(i) => Ok(usize::try_from(*i).unwrap_or(usize::MAX)),
        Val::Big(_) => Ok(usize::MAX),
        _ => Err(type_error(who, "an exact integer", v)),
    }
}

/// A length for `make-string`/`make-bytevector`: non-negative and at most [`MAX_LENGTH`].
pub(super) fn length_arg(who: &str, v: &Val) -> Result<usize, Val> {
    let negative = match v {
        Val::Int(n) => *n < 0,
        Val::Big(b) => b.sign() == Sign::Minus,
        _ => return Err(type_error(who, "an exact integer", v)),
    };
    if negative {
        return Err(error(
            format!("{who}: length must not be negative"),
            vec![v.clone()],
        ));
    }
    match v {
        Val::Int(n) => usize::try_from(*n).ok().filter(|&n| n <= MAX_LENGTH),
        _ => None,
    }
    .ok_or_else(|| {
        error(
            format!("{who}: length exceeds the limit of {MAX_LENGTH}"),
            vec![v.clone()],
        )
    })
}

pub(super) fn out_of_range(who: &str, index: &Val, len: usize) -> Val {
    error(
        format!("{who}: index {index:?} out of range for length {len}"),
        vec![index.clone()],
    )
}

fn start_after_end(who: &str, start: &Val, end: &Val) -> Val {
    error(
        format!("{who}: start {start:?} is greater than end {end:?}"),
        vec![start.clone(), end.clone()],
    )
}

/// The optional `start` and `end` at `args[from]` and `args[from + 1]` over a
/// sequence of `len` elements, checked so that `0 <= start <= end <= len`.
pub(super) fn range_args(
    who: &str,
    args: &[Val],
    from: usize,
    len: usize,
) -> Result<(usize, usize), Val> {
    let (start_v, end_v) = (args.get(from), args.get(from + 1));
    let start = start_v.map_or(Ok(0), |v| index_arg(who, v))?;
    let end = end_v.map_or(Ok(len), |v| index_arg(who, v))?;
    if let Some(e) = end_v.filter(|_| end > len) {
        return Err(out_of_range(who, e, len));
    }
    if let Some(s) = start_v.filter(|_| start > end) {
        return Err(match end_v {
            Some(e) if start <= len => start_after_end(who, s, e),
            _ => out_of_range(who, s, len),
        });
    }
    Ok((start, end))
}

// ---- char indexing ----

/// What is known about a string being indexed: whether it is ASCII (then a
/// char index is a byte offset), its length in chars, and the last char index
/// looked up with its byte offset, so neighbouring lookups walk little.
///
/// The string counts its characters once; the cursor lives for one call
/// (engine values must never be reachable from a thread-local: the engine is
/// `Send`).
struct Cursor {
    ascii: bool,
    char_len: usize,
    char_at: usize,
    byte_at: usize,
}

impl Cursor {
    fn new(s: &Rc<Text>) -> Cursor {
        Cursor {
            ascii: s.is_ascii(),
            char_len: s.char_len(),
            char_at: 0,
            byte_at: 0,
        }
    }

    /// Byte offset in `s` (the cursor's string) of char index `i`, `s.len()`
    /// when `i` is the length, `None` past the end. Walks from the nearest
    /// known position: the start, the end, or the last lookup.
    fn byte_offset(&mut self, s: &str, i: usize) -> Option<usize> {
        if i > self.char_len {
            return None;
        }
        if self.ascii {
            return Some(i);
        }
        let from_cursor = i.abs_diff(self.char_at);
        let byte = if i <= from_cursor && i <= self.char_len - i {
            s.char_indices().nth(i).map(|(b, _)| b)
        } else if self.char_len - i <= from_cursor {
            walk_back(s, s.len(), self.char_len - i)
        } else if i >= self.char_at {
            let base = self.byte_at;
            let rest = s.get(base..)?;
            rest.char_indices()
                .nth(i - self.char_at)
                .map(|(b, _)| base + b)
        } else {
            walk_back(s, self.byte_at, self.char_at - i)
        }
        .or((i == self.char_len).then_some(s.len()))?;
        self.char_at = i;
        self.byte_at = byte;
        Some(byte)
    }
}

/// The byte offset `n` chars before byte offset `end` of `s`.
fn walk_back(s: &str, end: usize, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(end);
    }
    s.get(..end)?
        .char_indices()
        .rev()
        .nth(n - 1)
        .map(|(b, _)| b)
}

/// Run `f` with a cursor for `s`.
fn with_cursor<R>(s: &Rc<Text>, f: impl FnOnce(&mut Cursor) -> R) -> R {
    f(&mut Cursor::new(s))
}

fn char_len(s: &Rc<Text>) -> usize {
    with_cursor(s, |c| c.char_len)
}

/// The part of `s` between the optional char indices `args[from]` (start) and
/// `args[from + 1]` (end).
pub(super) fn str_range<'a>(
    who: &str,
    s: &'a Rc<Text>,
    args: &[Val],
    from: usize,
) -> Result<&'a str, Val> {
    let (start, end) = range_args(who, args, from, char_len(s))?;
    let bytes = with_cursor(s, |c| {
        Some((c.byte_offset(s, start)?, c.byte_offset(s, end)?))
    });
    bytes
        .and_then(|(a, b)| s.get(a..b))
        .ok_or_else(|| error(format!("{who}: internal error: bad string index"), vec![]))
}

fn string_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Str(_))))
}

/// `(make-string k [char])`: `char` defaults to a space.
fn make_string(args: &[Val]) -> PrimResult {
    let k = length_arg("make-string", &args[0])?;
    let fill = match args.get(1) {
        Some(c) => char_arg("make-string", c)?,
        None => ' ',
    };
    heap::reserve_items(k, fill.len_utf8())?;
    Ok(Val::str(std::iter::repeat_n(fill, k).collect::<String>()))
}

fn string(args: &[Val]) -> PrimResult {
    args.iter()
        .map(|c| char_arg("string", c))
        .collect::<Result<String, Val>>()
        .map(Val::str)
}

fn string_length(args: &[Val]) -> PrimResult {
    Ok(int(char_len(string_arg("string-length", &args[0])?)))
}

fn string_ref(args: &[Val]) -> PrimResult {
    let s = string_arg("string-ref", &args[0])?;
    let k = index_arg("string-ref", &args[1])?;
    with_cursor(s, |c| {
        let found = (k < c.char_len)
            .then(|| c.byte_offset(s, k))
            .flatten()
            .and_then(|b| s.get(b..)?.chars().next());
        found
            .map(Val::char)
            .ok_or_else(|| out_of_range("string-ref", &args[1], c.char_len))
    })
}

fn substring(args: &[Val]) -> PrimResult {
    let s = string_arg("substring", &args[0])?;
    Ok(Val::str(str_range("substring", s, args, 1)?))
}

fn string_append(args: &[Val]) -> PrimResult {
    let parts = args
        .iter()
        .map(|a| str_arg("string-append", a))
        .collect::<Result<Vec<&str>, Val>>()?;
    heap::reserve(total_len(&parts, ""))?;
    Ok(Val::str(parts.concat()))
}

fn string_to_list(args: &[Val]) -> PrimResult {
    let s = string_arg("string->list", &args[0])?;
    let part = str_range("string->list", s, args, 1)?;
    Ok(Val::list(part.chars().map(Val::char).collect::<Vec<_>>()))
}

fn list_to_string(args: &[Val]) -> PrimResult {
    list_arg("list->string", &args[0])?
        .iter()
        .map(|c| char_arg("list->string", c))
        .collect::<Result<String, Val>>()
        .map(Val::str)
}

/// `(string-copy s [start end])`: a fresh string, never `eqv?` to `s` (unless empty).
fn string_copy(args: &[Val]) -> PrimResult {
    let s = string_arg("string-copy", &args[0])?;
    Ok(Val::str(str_range("string-copy", s, args, 1)?))
}

/// Every argument is a string and each adjacent pair stands in an order `ok`
/// accepts; UTF-8 byte order is code point order. All arguments are type-checked.
fn compare_strings(
    who: &str,
    args: &[Val],
    case_fold: bool,
    ok: fn(Ordering) -> bool,
) -> PrimResult {
    let strs = args
        .iter()
        .map(|a| str_arg(who, a))
        .collect::<Result<Vec<&str>, Val>>()?;
    let result = if case_fold {
        let folded: Vec<String> = strs.iter().map(|s| fold_string(s)).collect();
        folded.windows(2).all(|w| ok(w[0].cmp(&w[1])))
    } else {
        strs.windows(2).all(|w| ok(w[0].cmp(w[1])))
    };
    Ok(Val::bool(result))
}

macro_rules! string_compare {
    ($($fn:ident $name:literal $fold:literal, [$ord:pat];)*) => {
        $(
            fn $fn(args: &[Val]) -> PrimResult {
                compare_strings($name, args, $fold, |o| matches!(o, $ord))
            }
        )*
    };
}

string_compare! {
    string_eq "string=?" false, [Ordering::Equal];
    string_lt "string<?" false, [Ordering::Less];
    string_gt "string>?" false, [Ordering::Greater];
    string_le "string<=?" false, [Ordering::Less | Ordering::Equal];
    string_ge "string>=?" false, [Ordering::Greater | Ordering::Equal];
    string_ci_eq "string-ci=?" true, [Ordering::Equal];
    string_ci_lt "string-ci<?" true, [Ordering::Less];
    string_ci_gt "string-ci>?" true, [Ordering::Greater];
    string_ci_le "string-ci<=?" true, [Ordering::Less | Ordering::Equal];
    string_ci_ge "string-ci>=?" true, [Ordering::Greater | Ordering::Equal];
}

/// Full case mappings: `(string-upcase "straße")` is "STRASSE", and a final
/// sigma lower-cases to `ς`.
fn string_upcase(args: &[Val]) -> PrimResult {
    Ok(Val::str(str_arg("string-upcase", &args[0])?.to_uppercase()))
}

fn string_downcase(args: &[Val]) -> PrimResult {
    Ok(Val::str(
        str_arg("string-downcase", &args[0])?.to_lowercase(),
    ))
}

fn string_foldcase(args: &[Val]) -> PrimResult {
    Ok(Val::str(fold_string(str_arg("string-foldcase", &args[0])?)))
}

fn string_to_vector(args: &[Val]) -> PrimResult {
    let s = string_arg("string->vector", &args[0])?;
    let part = str_range("string->vector", s, args, 1)?;
    Ok(Val::vector(part.chars().map(Val::char).collect()))
}

fn vector_to_string(args: &[Val]) -> PrimResult {
    let Val::Vector(items) = &args[0] else {
        return Err(type_error("vector->string", "a vector", &args[0]));
    };
    let (start, end) = range_args("vector->string", args, 1, items.len())?;
    items[start..end]
        .iter()
        .map(|c| char_arg("vector->string", c))
        .collect::<Result<String, Val>>()
        .map(Val::str)
}

fn string_to_symbol(args: &[Val]) -> PrimResult {
    Ok(Val::sym(str_arg("string->symbol", &args[0])?))
}

fn symbol_to_string(args: &[Val]) -> PrimResult {
    Ok(Val::str(symbol_arg("symbol->string", &args[0])?.name()))
}

fn symbol_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Sym(_))))
}

fn symbol_eq(args: &[Val]) -> PrimResult {
    let syms = args
        .iter()
        .map(|a| symbol_arg("symbol=?", a))
        .collect::<Result<Vec<Symbol>, Val>>()?;
    Ok(Val::bool(syms.windows(2).all(|w| w[0] == w[1])))
}

/// `(string->keyword "name")` is `:name`: the colon is syntax, not part of the name.
fn string_to_keyword(args: &[Val]) -> PrimResult {
    let name = str_arg("string->keyword", &args[0])?;
    Ok(Val::Keyword(Symbol::intern(name)))
}

fn keyword_to_string(args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Keyword(k) => Ok(Val::str(k.name())),
        other => Err(type_error("keyword->string", "a keyword", other)),
    }
}

fn keyword_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Keyword(_))))
}

fn string_null_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(str_arg("string-null?", &args[0])?.is_empty()))
}

fn string_index(args: &[Val]) -> PrimResult {
    let s = str_arg("string-index", &args[0])?;
    let c = char_arg("string-index", &args[1])?;
    Ok(s.chars().position(|x| x == c).map_or(Val::bool(false), int))
}

fn string_contains(args: &[Val]) -> PrimResult {
    let s = str_arg("string-contains", &args[0])?;
    let sub = str_arg("string-contains", &args[1])?;
    Ok(s.find(sub)
        .map_or(Val::bool(false), |b| int(s[..b].chars().count())))
}

fn string_join(args: &[Val]) -> PrimResult {
    let items = list_arg("string-join", &args[0])?;
    let parts = items
        .iter()
        .map(|a| str_arg("string-join", a))
        .collect::<Result<Vec<&str>, Val>>()?;
    let sep = match args.get(1) {
        Some(sep) => str_arg("string-join", sep)?,
        None => " ",
    };
    heap::reserve(total_len(&parts, sep))?;
    Ok(Val::str(parts.join(sep)))
}

/// Bytes of `parts` joined by `sep`: reserved before joining, since one
/// string may be passed many times.
fn total_len(parts: &[&str], sep: &str) -> usize {
    let seps = sep.len().saturating_mul(parts.len().saturating_sub(1));
    parts.iter().fold(seps, |n, p| n.saturating_add(p.len()))
}

fn string_split(args: &[Val]) -> PrimResult {
    let s = str_arg("string-split", &args[0])?;
    let c = char_arg("string-split", &args[1])?;
    Ok(Val::list(s.split(c).map(Val::str).collect::<Vec<_>>()))
}

/// Whitespace as `char-whitespace?` defines it (Unicode White_Space).
fn string_trim(args: &[Val]) -> PrimResult {
    Ok(Val::str(str_arg("string-trim", &args[0])?.trim()))
}

fn string_prefix_p(args: &[Val]) -> PrimResult {
    let prefix = str_arg("string-prefix?", &args[0])?;
    let s = str_arg("string-prefix?", &args[1])?;
    Ok(Val::bool(s.starts_with(prefix)))
}

fn string_suffix_p(args: &[Val]) -> PrimResult {
    let suffix = str_arg("string-suffix?", &args[0])?;
    let s = str_arg("string-suffix?", &args[1])?;
    Ok(Val::bool(s.ends_with(suffix)))
}

pub static PRIMS: &[Prim] = &[
    pure("string?", 1, Some(1), string_p),
    pure("make-string", 1, Some(2), make_string),
    pure("string", 0, None, string),
    pure("string-length", 1, Some(1), string_length),
    pure("string-ref", 2, Some(2), string_ref),
    pure("substring", 2, Some(3), substring),
    pure("string-append", 0, None, string_append),
    pure("string->list", 1, Some(3), string_to_list),
    pure("list->string", 1, Some(1), list_to_string),
    pure("string-copy", 1, Some(3), string_copy),
    pure("string=?", 1, None, string_eq),
    pure("string<?", 1, None, string_lt),
    pure("string>?", 1, None, string_gt),
    pure("string<=?", 1, None, string_le),
    pure("string>=?", 1, None, string_ge),
    pure("string-ci=?", 1, None, string_ci_eq),
    pure("string-ci<?", 1, None, string_ci_lt),
    pure("string-ci>?", 1, None, string_ci_gt),
    pure("string-ci<=?", 1, None, string_ci_le),
    pure("string-ci>=?", 1, None, string_ci_ge),
    pure("string-upcase", 1, Some(1), string_upcase),
    pure("string-downcase", 1, Some(1), string_downcase),
    pure("string-foldcase", 1, Some(1), string_foldcase),
    pure("string->vector", 1, Some(3), string_to_vector),
    pure("vector->string", 1, Some(3), vector_to_string),
    pure("string->symbol", 1, Some(1), string_to_symbol),
    pure("symbol->string", 1, Some(1), symbol_to_string),
    pure("symbol?", 1, Some(1), symbol_p),
    pure("symbol=?", 1, None, symbol_eq),
    pure("string->keyword", 1, Some(1), string_to_keyword),
    pure("keyword->string", 1, Some(1), keyword_to_string),
    pure("keyword?", 1, Some(1), keyword_p),
    pure("string-null?", 1, Some(1), string_null_p),
    pure("string-index", 2, Some(2), string_index),
    pure("string-contains", 2, Some(2), string_contains),
    pure("string-join", 1, Some(2), string_join),
    pure("string-split", 2, Some(2), string_split),
    pure("string-trim", 1, Some(1), string_trim),
    pure("string-prefix?", 2, Some(2), string_prefix_p),
    pure("string-suffix?", 2, Some(2), string_suffix_p),
];

#[cfg(test)]
mod tests;
