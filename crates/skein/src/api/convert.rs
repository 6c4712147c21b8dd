//! Conversion between [`Value`] and Rust types through serde.
//!
//! Structs and maps become skein maps with keyword keys (`{:id "o-1"}`),
//! sequences become lists, `None`/unit become the unspecified value; going
//! back, keyword, symbol and string keys all name fields.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use crate::api::error::Error;
use crate::values::plain::Value;

/// Convert any serializable Rust value to a skein [`Value`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    let json = serde_json::to_value(value).map_err(|e| Error::Host(e.to_string()))?;
    Ok(from_json(&json))
}

/// Convert a skein [`Value`] to a Rust type.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    let json = to_json(value)?;
    serde_json::from_value(json).map_err(|e| Error::Host(format!("cannot convert {value}: {e}")))
}

fn from_json(j: &Json) -> Value {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || match j {
        Json::Null => Value::Unspecified,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::BigInt(u.to_string()),
            (_, _, Some(f)) => Value::Real(f),
            _ => Value::Unspecified,
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(from_json).collect()),
        // serde_json's map is ordered by key, which is also the engine's
        // order for keyword keys.
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::Keyword(k.clone()), from_json(v)))
                .collect(),
        ),
    })
}

fn to_json(v: &Value) -> Result<Json, Error> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
        Ok(match v {
            Value::Unspecified => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::BigInt(s) => match s.parse::<u64>() {
                Ok(u) => Json::from(u),
                Err(_) => return Err(Error::Host(format!("integer {s} does not fit 64 bits"))),
            },
            Value::Rational(s) => {
                return Err(Error::Host(format!("rational {s} has no Rust counterpart")))
            }
            Value::Real(f) => Json::from(*f),
            Value::Char(c) => Json::String(c.to_string()),
            Value::Str(s) | Value::Symbol(s) | Value::Keyword(s) => Json::String(s.clone()),
            Value::List(items) | Value::Vector(items) => {
                Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
            }
            Value::Bytes(b) => Json::Array(b.iter().map(|x| Json::from(*x)).collect()),
            Value::Map(pairs) => {
                let mut o = serde_json::Map::new();
                for (k, v) in pairs {
                    let key = match k {
                        Value::Keyword(s) | Value::Symbol(s) | Value::Str(s) => s.clone(),
                        other => other.to_write_string(),
                    };
                    o.insert(key, to_json(v)?);
                }
                Json::Object(o)
            }
            Value::DottedList(..) | Value::Opaque(_) => {
                return Err(Error::Host(format!("{v} has no Rust counterpart")))
            }
        })
    })
}
