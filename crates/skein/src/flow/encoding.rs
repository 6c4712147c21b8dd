//! The `skein-store` JSON encoding of one plain value (docs/store-format.md):
//! strings, booleans, 64-bit integers and lists are themselves; everything
//! JSON cannot tell apart is a one-key object such as `{"symbol": "reserve"}`.

use std::rc::Rc;

use serde::ser::{Error as _, SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value as Json;

use crate::values::plain::{is_exact_number, Value};
use crate::values::symbol::Symbol;
use crate::values::value::{MapImpl, Val};

/// A [`Value`] in the store encoding, written straight to any serde
/// serializer. A value that is not plain data (a [`Value::Opaque`], a
/// malformed number) is a serialization error.
pub struct Encoded<'a>(pub &'a Value);

impl Serialize for Encoded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || encode(self.0, s))
    }
}

fn encode<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
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
        Value::List(items) => s.collect_seq(items.iter().map(Encoded)),
        Value::DottedList(items, tail) => {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("dotted", &Items(items))?;
            m.serialize_entry("tail", &Encoded(tail))?;
            m.end()
        }
        Value::Vector(items) => tagged(s, "vector", &Items(items)),
        Value::Bytes(bytes) => tagged(s, "bytes", bytes.as_slice()),
        Value::Map(pairs) => tagged(s, "map", &Pairs(pairs)),
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

struct Items<'a>(&'a [Value]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Encoded))
    }
}

/// A map's entries as `[key, value]` pairs.
struct Pairs<'a>(&'a [(Value, Value)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(k, v)| (Encoded(k), Encoded(v))))
    }
}

/// For `#[serde(serialize_with)]`: one value.
pub(crate) fn value<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    Encoded(v).serialize(s)
}

/// For `#[serde(serialize_with)]`: a list of values.
pub(crate) fn values<S: Serializer>(vs: &[Value], s: S) -> Result<S::Ok, S::Error> {
    Items(vs).serialize(s)
}

/// For `#[serde(serialize_with)]`: a value that may be absent (and is then skipped).
pub(crate) fn optional<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref().map(Encoded).serialize(s)
}

/// A value from its JSON encoding; an encoding the format does not define
/// is an error that says what is wrong.
pub fn decode_value(j: &Json) -> Result<Value, String> {
    let v = decode(j)?;
    let value = Value::from_val(&v);
    crate::values::value::release(v);
    Ok(value)
}

fn decode(j: &Json) -> Result<Val, String> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || decode_inner(j))
}

fn decode_inner(j: &Json) -> Result<Val, String> {
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
                "bytes" => Val::Bytes(Rc::new(
                    value
                        .as_array()
                        .ok_or("bytes: expected an array")?
                        .iter()
                        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()).ok_or("bytes: expected 0..255"))
                        .collect::<Result<Vec<_>, _>>()?,
                )),
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
