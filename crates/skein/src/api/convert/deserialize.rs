//! [`Value`] to Rust: a serde `Deserializer` over a borrowed value, with
//! errors that name the field path.

use serde::de::{self, DeserializeSeed, Visitor};

use super::error::{key_segment, ConvertError};
use crate::values::plain::Value;

/// Every nested value goes through here (see `serialize::ser`).
pub(super) fn de<'de, S: DeserializeSeed<'de>>(
    seed: S,
    value: &'de Value,
) -> Result<S::Value, ConvertError> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || seed.deserialize(De(value)))
}

struct De<'de>(&'de Value);

/// An exact integer as `N`, if it fits.
fn exact<N: TryFrom<i64> + std::str::FromStr>(v: &Value) -> Option<N> {
    match v {
        Value::Int(i) => N::try_from(*i).ok(),
        Value::BigInt(s) => s.parse().ok(),
        _ => None,
    }
}

fn visit_items<'de, V: Visitor<'de>>(
    items: &'de [Value],
    visitor: V,
) -> Result<V::Value, ConvertError> {
    let mut seq = ListIn {
        rest: items.iter(),
        index: 0,
    };
    let value = visitor.visit_seq(&mut seq)?;
    match seq.rest.len() {
        0 => Ok(value),
        more => Err(ConvertError::new(format!(
            "expected {} items, found {}",
            seq.index,
            seq.index + more
        ))),
    }
}

fn visit_bytes_as_seq<'de, V: Visitor<'de>>(
    bytes: &'de [u8],
    visitor: V,
) -> Result<V::Value, ConvertError> {
    let seq = de::value::SeqDeserializer::<_, ConvertError>::new(bytes.iter().copied());
    de::Deserializer::deserialize_any(seq, visitor)
}

macro_rules! exact_integers {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
            match exact::<$t>(self.0) {
                Some(n) => visitor.$visit(n),
                None => Err(ConvertError::mismatch(stringify!($t), self.0)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = ConvertError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Unspecified => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::BigInt(s) => match (s.parse::<i128>(), s.parse::<u128>()) {
                (Ok(i), _) => visitor.visit_i128(i),
                (_, Ok(u)) => visitor.visit_u128(u),
                _ => Err(ConvertError::mismatch("an integer of 128 bits", self.0)),
            },
            Value::Real(f) => visitor.visit_f64(*f),
            Value::Char(c) => visitor.visit_char(*c),
            Value::Str(s) | Value::Symbol(s) | Value::Keyword(s) => visitor.visit_borrowed_str(s),
            Value::List(items) | Value::Vector(items) => visit_items(items, visitor),
            Value::Bytes(b) => visit_bytes_as_seq(b, visitor),
            Value::Map(entries) => visitor.visit_map(MapIn {
                rest: entries.iter(),
                value: None,
            }),
            Value::Rational(_) | Value::DottedList(..) | Value::Opaque(_) => Err(
                ConvertError::mismatch("a value with a Rust counterpart", self.0),
            ),
        }
    }

    exact_integers!(
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128, deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16, deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64, deserialize_u128 visit_u128 u128
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Real(f) => visitor.visit_f64(*f),
            Value::Int(i) => visitor.visit_i64(*i),
            other => Err(ConvertError::mismatch("a float", other)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(ConvertError::mismatch("a boolean", other)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Char(c) => visitor.visit_char(*c),
            Value::Str(s) if s.chars().count() == 1 => visitor.visit_borrowed_str(s),
            other => Err(ConvertError::mismatch("a char", other)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Str(s) | Value::Symbol(s) | Value::Keyword(s) => visitor.visit_borrowed_str(s),
            other => Err(ConvertError::mismatch("a string", other)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Bytes(b) => visitor.visit_borrowed_bytes(b),
            Value::List(items) | Value::Vector(items) => visit_items(items, visitor),
            other => Err(ConvertError::mismatch("bytes", other)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Bool(false) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Unspecified => visitor.visit_unit(),
            other => Err(ConvertError::mismatch("the unspecified value", other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::List(items) | Value::Vector(items) => visit_items(items, visitor),
            Value::Bytes(b) => visit_bytes_as_seq(b, visitor),
            other => Err(ConvertError::mismatch("a list", other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Map(entries) => visitor.visit_map(MapIn {
                rest: entries.iter(),
                value: None,
            }),
            other => Err(ConvertError::mismatch("a map", other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        match self.0 {
            Value::Map(_) => self.deserialize_map(visitor),
            // serde's derived structs also read their fields in order from a list.
            Value::List(items) | Value::Vector(items) => visit_items(items, visitor),
            other => Err(ConvertError::mismatch(format!("struct {name}"), other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        let (variant, payload) = match self.0 {
            Value::Symbol(s) | Value::Keyword(s) | Value::Str(s) => (s, None),
            Value::Map(entries) => match entries.as_slice() {
                [(Value::Keyword(s) | Value::Symbol(s) | Value::Str(s), payload)] => {
                    (s, Some(payload))
                }
                _ => return Err(ConvertError::mismatch(format!("enum {name}"), self.0)),
            },
            other => return Err(ConvertError::mismatch(format!("enum {name}"), other)),
        };
        visitor.visit_enum(Variant { variant, payload })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        visitor.visit_unit()
    }
}

struct ListIn<'de> {
    rest: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for ListIn<'de> {
    type Error = ConvertError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ConvertError> {
        let Some(item) = self.rest.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        de(seed, item)
            .map(Some)
            .map_err(|e| e.within(format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }
}

struct MapIn<'de> {
    rest: std::slice::Iter<'de, (Value, Value)>,
    value: Option<&'de (Value, Value)>,
}

impl<'de> de::MapAccess<'de> for MapIn<'de> {
    type Error = ConvertError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ConvertError> {
        let Some(entry) = self.rest.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        de(seed, &entry.0)
            .map(Some)
            .map_err(|e| e.within(key_segment(&entry.0)))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ConvertError> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| ConvertError::new("a map value asked for before its key"))?;
        de(seed, value).map_err(|e| e.within(key_segment(key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }
}

/// A variant named by a symbol (no payload) or by the key of a one-entry map.
struct Variant<'de> {
    variant: &'de str,
    payload: Option<&'de Value>,
}

impl<'de> Variant<'de> {
    fn payload(&self, kind: &str) -> Result<&'de Value, ConvertError> {
        self.payload.ok_or_else(|| {
            ConvertError::new(format!(
                "expected {kind} variant {}, found the symbol {}",
                self.variant, self.variant
            ))
        })
    }
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = ConvertError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), ConvertError> {
        let name = de::value::BorrowedStrDeserializer::<ConvertError>::new(self.variant);
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = ConvertError;

    fn unit_variant(self) -> Result<(), ConvertError> {
        match self.payload {
            None | Some(Value::Unspecified) => Ok(()),
            Some(other) => Err(ConvertError::mismatch("no payload", other).within(self.variant)),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, ConvertError> {
        de(seed, self.payload("a newtype")?).map_err(|e| e.within(self.variant))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        de::Deserializer::deserialize_seq(De(self.payload("a tuple")?), visitor)
            .map_err(|e| e.within(self.variant))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        de::Deserializer::deserialize_map(De(self.payload("a struct")?), visitor)
            .map_err(|e| e.within(self.variant))
    }
}
