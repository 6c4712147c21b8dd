//! The `skein-store` JSON encoding of one plain value (docs/store-format.md):
//! strings, booleans, 64-bit integers and lists are themselves; everything
//! JSON cannot tell apart is a one-key object such as `{"symbol": "reserve"}`.

use std::rc::Rc;

use serde::ser::{Error as _, SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value as Json;

use crate::values::plain::{is_exact_number, Value, MAX_VALUE_DEPTH};
use crate::values::symbol::Symbol;
use crate::values::value::{MapImpl, Val};

/// A [`Value`] in the store encoding, written straight to any serde
/// serializer. A value that is not plain data (a [`Value::Opaque`], a
/// malformed number) is a serialization error.
pub struct Encoded<'a>(pub &'a Value);

impl Serialize for Encoded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        At(self.0, 1).serialize(s)
    }
}

/// A value `depth` levels down (the top is 1): one deeper than
/// [`MAX_VALUE_DEPTH`] is refused, so no document holds what the engine
/// would refuse to take in.
struct At<'a>(&'a Value, usize);

impl Serialize for At<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.1 > MAX_VALUE_DEPTH {
            return Err(S::Error::custom(too_deep()));
        }
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || encode(self.0, self.1, s))
    }
}

fn too_deep() -> String {
    format!(
        "a value is nested more than {MAX_VALUE_DEPTH} levels deep (the most plain data may be)"
    )
}

fn encode<S: Serializer>(v: &Value, depth: usize, s: S) -> Result<S::Ok, S::Error> {
    let inner = depth + 1;
    match v {
        Value::Unspecified => s.serialize_unit(),
        Value::Bool(b) => s.serialize_bool(*b),
        Value::Int(i) => s.serialize_i64(*i),
        Value::BigInt(n) => tagged(s, "int", exact(n)?),
        Value::Rational(r) => tagged(s, "rational", exact(r)?),
        Value::Real(f) => tagged(
            s,
            "float",
            &crate::values::number::format_number(&Val::real(*f), 10),
        ),
        Value::Char(c) => tagged(s, "char", c),
        Value::Str(text) => s.serialize_str(text),
        Value::Symbol(name) => tagged(s, "symbol", name),
        Value::Keyword(name) => tagged(s, "keyword", name),
        Value::List(items) => Items(items, inner).serialize(s),
        Value::DottedList(items, tail) => {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("dotted", &Items(items, inner))?;
            m.serialize_entry("tail", &At(tail, inner))?;
            m.end()
        }
        Value::Vector(items) => tagged(s, "vector", &Items(items, inner)),
        Value::Bytes(bytes) => tagged(s, "bytes", bytes.as_slice()),
        Value::Map(pairs) => tagged(s, "map", &Pairs(pairs, inner)),
        Value::Opaque(printed) => Err(S::Error::custom(format!("{printed} is not plain data"))),
    }
}

/// `text`, refused unless it is an exact number.
fn exact<E: serde::ser::Error>(text: &str) -> Result<&str, E> {
    if is_exact_number(text) {
        Ok(text)
    } else {
        Err(E::custom(format!("not an exact number: {text}")))
    }
}

fn tagged<S: Serializer, T: Serialize + ?Sized>(s: S, tag: &str, v: &T) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(tag, v)?;
    m.end()
}

/// Values, each `depth` levels down.
struct Items<'a>(&'a [Value], usize);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| At(v, self.1)))
    }
}

/// A map's entries as `[key, value]` pairs, each key and value `depth` levels down.
struct Pairs<'a>(&'a [(Value, Value)], usize);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.1;
        s.collect_seq(self.0.iter().map(|(k, v)| (At(k, d), At(v, d))))
    }
}

/// For `#[serde(serialize_with)]`: a list of values.
pub(crate) fn values<S: Serializer>(vs: &[Value], s: S) -> Result<S::Ok, S::Error> {
    Items(vs, 1).serialize(s)
}

/// For `#[serde(serialize_with)]`: a value that may be absent (and is then skipped).
pub(crate) fn optional<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref().map(Encoded).serialize(s)
}

/// A value from its JSON encoding; an encoding the format does not define
/// is an error that says what is wrong.
/// A value nested more than [`MAX_VALUE_DEPTH`] levels deep is refused.
pub fn decode_value(j: &Json) -> Result<Value, String> {
    let v = decode(j, 1)?;
    let value = Value::from_val(&v);
    crate::values::value::release(v);
    Ok(value)
}

/// The value `j` encodes, `depth` levels down (the top is 1).
fn decode(j: &Json, depth: usize) -> Result<Val, String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || decode_inner(j, depth))
}

fn decode_inner(j: &Json, depth: usize) -> Result<Val, String> {
    let decode = |j: &Json| decode(j, depth + 1);
    Ok(match j {
        Json::Null => Val::Unspecified,
        Json::Bool(b) => Val::bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => return Err(format!("{n}: exact integers must fit 64 bits (larger ones are {{\"int\": \"...\"}}); floats are {{\"float\": \"...\"}}")),
        },
        Json::String(s) => Val::str(s.clone()),
        Json::Array(items) => Val::list(items.iter().map(decode).collect::<Result<Vec<_>, _>>()?),
        Json::Object(o) => {
            let (key, value) = match o.iter().next() {
                Some(kv) if o.len() == 1 || o.contains_key("dotted") => kv,
                _ => return Err(format!("unknown tagged value {j}")),
            };
            let text = || value.as_str().ok_or_else(|| format!("{key}: expected a string"));
            match key.as_str() {
                "int" => crate::values::number::parse_number(text()?, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_)))
                    .ok_or_else(|| format!("not an exact integer: {value}"))?,
                "rational" => crate::values::number::parse_number(text()?, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_) | Val::Rat(_)))
                    .ok_or_else(|| format!("not an exact rational: {value}"))?,
                "float" => match crate::values::number::parse_number(text()?, 10) {
                    Some(f @ Val::Real(_)) => f,
                    _ => return Err(format!("not a float: {value}")),
                },
                "char" => {
                    let s = text()?;
                    let mut chars = s.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Val::char(c),
                        _ => return Err(format!("not a single char: {value}")),
                    }
                }
                "symbol" => Val::Sym(Symbol::intern(text()?)),
                "keyword" => Val::Keyword(Symbol::intern(text()?)),
                "vector" => Val::vector(
                    value
                        .as_array()
                        .ok_or("vector: expected an array")?
                        .iter()
                        .map(decode)
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                "bytes" => Val::Bytes(Rc::new(crate::values::heap::Counted::new(
                    value
                        .as_array()
                        .ok_or("bytes: expected an array")?
                        .iter()
                        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()).ok_or("bytes: expected 0..255"))
                        .collect::<Result<Vec<_>, _>>()?,
                ))),
                "map" => {
                    let mut m = MapImpl::default();
                    for kv in value.as_array().ok_or("map: expected an array of [key, value]")? {
                        match kv.as_array().map(Vec::as_slice) {
                            Some([k, v]) => {
                                m.insert(decode(k)?, decode(v)?);
                            }
                            _ => return Err("map: expected [key, value] pairs".into()),
                        }
                    }
                    Val::map(m)
                }
                "dotted" => {
                    let items = value
                        .as_array()
                        .ok_or("dotted: expected an array")?
                        .iter()
                        .map(decode)
                        .collect::<Result<Vec<_>, _>>()?;
                    let tail = decode(o.get("tail").ok_or("dotted: missing \"tail\"")?)?;
                    Val::list_with_tail(items, tail)
                }
                other => return Err(format!("unknown value tag \"{other}\"")),
            }
        }
    })
}

/// The deepest JSON nesting a store document or column needs: a map costs
/// three JSON levels per value level (`{"map": [[key, value]]}`), and a
/// document puts its values at most five levels down
/// (`{"flows": [{"log": [{"tag": ...`). Deeper text is refused before it
/// is parsed.
pub(crate) const MAX_JSON_DEPTH: usize = 3 * MAX_VALUE_DEPTH + 8;

/// Stack for parsing, converting and dropping one JSON level: serde_json's
/// reader and `serde_json::Value`'s drop both recurse.
const STACK_PER_LEVEL: usize = 2 * 1024;

/// Parse JSON `text` nested at most [`MAX_JSON_DEPTH`] levels and hand the
/// tree to `use_it`, which owns it (so it is dropped inside too).
///
/// serde_json's reader stops at 128 levels by default, far short of what a
/// value at [`MAX_VALUE_DEPTH`] needs. So the nesting is measured first by a
/// scan without recursion (text nested deeper is refused before anything is
/// built), then the reader runs without its limit (`unbounded_depth`) on a
/// stack sized for that nesting (`stacker`, already used by every walk over
/// values), which bounds the recursion of the read, of `use_it`'s walk and
/// of the tree's drop alike.
pub(crate) fn with_json<T>(text: &str, use_it: impl FnOnce(Json) -> T) -> Result<T, String> {
    let depth = json_depth(text)?;
    let work = move || {
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        let json = serde::Deserialize::deserialize(&mut de)
            .and_then(|j: Json| de.end().map(|()| j))
            .map_err(|e| format!("invalid JSON: {e}"))?;
        Ok(use_it(json))
    };
    if depth <= 64 {
        work()
    } else {
        stacker::grow(1024 * 1024 + depth * STACK_PER_LEVEL, work)
    }
}

/// How deeply `text` nests arrays and objects, or an error past
/// [`MAX_JSON_DEPTH`]; brackets inside strings do not count. Malformed text
/// is left for the parser to report.
fn json_depth(text: &str) -> Result<usize, String> {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > MAX_JSON_DEPTH {
                    return Err(format!(
                        "JSON nested more than {MAX_JSON_DEPTH} levels deep: no value nested at most {MAX_VALUE_DEPTH} levels needs that"
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}
