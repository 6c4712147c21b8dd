//! Conversion between [`Value`] and Rust types through serde, keeping Scheme's kinds.
//!
//! [`to_value`] is a serde `Serializer` producing a [`Value`]:
//!
//! | Rust | `Value` |
//! | --- | --- |
//! | `bool` | `Bool` |
//! | any integer | `Int`, or `BigInt` (decimal) when it does not fit `i64` |
//! | `f32`, `f64` | `Real`, exactly (NaN and the infinities too) |
//! | `char` / `str`, `String` / bytes (`serde_bytes`) | `Char` / `Str` / `Bytes` |
//! | `None` / `Some(x)` | `Bool(false)` / `x` |
//! | `()`, a unit struct | `Unspecified` |
//! | a unit enum variant | `Symbol(variant name)`, so a flow's `(eq? status 'ok)` sees it |
//! | a newtype, tuple or struct variant | a one-entry map `{:Variant payload}`: the inner value, a list, or a map |
//! | a sequence, tuple, tuple struct | `List` (a `Vec<u8>` too: use `serde_bytes` for `Bytes`) |
//! | a newtype struct | its inner value |
//! | a struct | `Map` with keyword keys |
//! | a map | `Map`: string keys become keywords, other keys convert as values |
//!
//! Map entries are sorted in the engine's own key order (kind, then value, as
//! `value::compare` orders them), so a converted `HashMap` never depends on its
//! hash seed and equals the same map built by a flow. Two Rust keys that
//! convert to one key (say a `String` and a unit variant of the same name)
//! are an error.
//!
//! [`from_value`] is a serde `Deserializer` reading a `&Value`:
//! `Symbol`, `Keyword` or `Str` name a unit variant and a one-entry map a
//! variant with data; `Bool(false)` is `None` and anything else `Some`;
//! `Unspecified` is `()`; `Real` keeps NaN and the infinities (an `Int` is
//! also read as a float); `Int`/`BigInt` go into any integer type that holds
//! them; a one-character `Str` is a `char`; `Str`, `Symbol` and `Keyword` are
//! strings; `List` and `Vector` are sequences; `Bytes` are bytes or a sequence
//! of `u8`; a `Map` is a struct or a map, with keyword, symbol and string keys
//! all naming fields. Self-describing targets (`#[serde(untagged)]`,
//! `serde_json::Value`) see the value's own kind.
//!
//! A value with no Rust counterpart (a `Rational`, a `DottedList`, an
//! `Opaque`, a number too large for its target) is a [`ConvertError`] naming
//! where it was: `order.items[2].price: expected u32, found 1/2`.

use std::cmp::Ordering;
use std::fmt::Display;

use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize};
use serde::Deserialize;

use crate::api::error::Error;
use crate::values::plain::Value;

/// Convert any serializable Rust value to a skein [`Value`].
///
/// ```
/// use serde::Serialize;
/// use skein::Value;
///
/// #[derive(Serialize)]
/// #[serde(rename_all = "lowercase")]
/// enum Status { Ok, Declined }
///
/// #[derive(Serialize)]
/// struct Charge { status: Status, note: Option<String> }
///
/// let v = skein::to_value(&Charge { status: Status::Ok, note: None })?;
/// assert_eq!(v.to_write_string(), "{:note #f :status ok}");
/// # Ok::<(), skein::Error>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    ser(value).map_err(Error::Convert)
}

/// Convert a skein [`Value`] to a Rust type.
///
/// ```
/// use serde::Deserialize;
/// use skein::Value;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Line { sku: String, qty: u32 }
///
/// let line: Line = skein::from_value(&Value::parse(r#"{:sku "tea" :qty 2}"#)?)?;
/// assert_eq!(line, Line { sku: "tea".into(), qty: 2 });
/// let bad = skein::from_value::<Vec<Line>>(&Value::parse(r#"({:sku "tea" :qty 1/2})"#)?);
/// assert_eq!(bad.unwrap_err().to_string(), "cannot convert: [0].qty: expected u32, found 1/2");
/// # Ok::<(), skein::Error>(())
/// ```
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, Error> {
    de(std::marker::PhantomData, value).map_err(Error::Convert)
}

/// Why a conversion failed, and where: `path` is empty at the top level,
/// else like `order.items[2].price` (fields by name, list items and
/// non-name map keys in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertError {
    pub path: String,
    pub message: String,
}

impl ConvertError {
    fn new(message: impl Display) -> ConvertError {
        ConvertError {
            path: String::new(),
            message: message.to_string(),
        }
    }

    fn mismatch(expected: impl Display, found: &Value) -> ConvertError {
        let mut shown = found.to_write_string();
        if shown.chars().count() > 60 {
            shown = shown.chars().take(57).chain("...".chars()).collect();
        }
        ConvertError::new(format!("expected {expected}, found {shown}"))
    }

    /// The error as seen from the container one level up; `segment` is a
    /// field name or a bracketed index or key.
    fn within(mut self, segment: impl Display) -> ConvertError {
        let sep = if self.path.is_empty() || self.path.starts_with('[') {
            ""
        } else {
            "."
        };
        self.path = format!("{segment}{sep}{}", self.path);
        self
    }
}

impl Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: Display>(msg: T) -> ConvertError {
        ConvertError::new(msg)
    }
}

impl de::Error for ConvertError {
    fn custom<T: Display>(msg: T) -> ConvertError {
        ConvertError::new(msg)
    }

    fn invalid_type(found: de::Unexpected, expected: &dyn de::Expected) -> ConvertError {
        ConvertError::new(format!("expected {expected}, found {found}"))
    }
}

/// How a map key shows in a path: a name as a field, anything else bracketed.
fn key_segment(key: &Value) -> String {
    match key {
        Value::Keyword(s) | Value::Symbol(s) | Value::Str(s) => s.clone(),
        other => format!("[{}]", other.to_write_string()),
    }
}

// ---- Rust to Value ----

/// Every nested value goes through here, so deep data grows the stack
/// instead of overflowing it.
fn ser<T: Serialize + ?Sized>(value: &T) -> Result<Value, ConvertError> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || value.serialize(Ser))
}

fn integer<N: TryInto<i64> + ToString + Copy>(n: N) -> Value {
    n.try_into()
        .map_or_else(|_| Value::BigInt(n.to_string()), Value::Int)
}

/// A map in the engine's key order (see the module doc).
fn sorted_map(entries: Vec<(Value, Value)>) -> Result<Value, ConvertError> {
    let mut keyed = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        // Cannot fail: the serializer makes no `Opaque` and only valid numbers.
        let engine_key = key.to_val().map_err(|e| ConvertError::new(e.to_string()))?;
        keyed.push((engine_key, key, value));
    }
    keyed.sort_by(|a, b| crate::values::value::compare(&a.0, &b.0));
    let duplicate = keyed
        .windows(2)
        .find(|w| crate::values::value::compare(&w[0].0, &w[1].0) == Ordering::Equal)
        .map(|w| w[0].1.clone());
    let entries = keyed
        .into_iter()
        .map(|(engine_key, key, value)| {
            crate::values::value::release(engine_key);
            (key, value)
        })
        .collect();
    match duplicate {
        Some(key) => Err(ConvertError::new(format!("two keys convert to {key}"))),
        None => Ok(Value::Map(entries)),
    }
}

/// `{:Variant payload}`: serde's external tagging of a variant with data.
fn tagged(variant: &str, payload: Result<Value, ConvertError>) -> Result<Value, ConvertError> {
    let payload = payload.map_err(|e| e.within(variant))?;
    Ok(Value::Map(vec![(Value::keyword(variant), payload)]))
}

struct Ser;

/// Items of a sequence, tuple or tuple variant.
struct ListOut {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

/// Entries of a map, struct or struct variant.
struct MapOut {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
    variant: Option<&'static str>,
}

impl ListOut {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> ListOut {
        ListOut {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant,
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let index = self.items.len();
        self.items
            .push(ser(value).map_err(|e| e.within(format!("[{index}]")))?);
        Ok(())
    }

    fn finish(self) -> Result<Value, ConvertError> {
        let list = Value::List(self.items);
        match self.variant {
            Some(variant) => tagged(variant, Ok(list)),
            None => Ok(list),
        }
    }
}

impl MapOut {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> MapOut {
        MapOut {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            variant,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: Value, value: &T) -> Result<(), ConvertError> {
        let value = ser(value).map_err(|e| e.within(key_segment(&key)))?;
        self.entries.push((key, value));
        Ok(())
    }

    fn finish(self) -> Result<Value, ConvertError> {
        let map = sorted_map(self.entries);
        match self.variant {
            Some(variant) => tagged(variant, map),
            None => map,
        }
    }
}

/// Serializer methods that turn one Rust scalar into one `Value`.
macro_rules! leaves {
    ($($method:ident($t:ty) => $make:expr),* $(,)?) => {$(
        fn $method(self, v: $t) -> Result<Value, ConvertError> {
            Ok(($make)(v))
        }
    )*};
}

impl ser::Serializer for Ser {
    type Ok = Value;
    type Error = ConvertError;
    type SerializeSeq = ListOut;
    type SerializeTuple = ListOut;
    type SerializeTupleStruct = ListOut;
    type SerializeTupleVariant = ListOut;
    type SerializeMap = MapOut;
    type SerializeStruct = MapOut;
    type SerializeStructVariant = MapOut;

    leaves! {
        serialize_bool(bool) => Value::Bool,
        serialize_i8(i8) => integer,
        serialize_i16(i16) => integer,
        serialize_i32(i32) => integer,
        serialize_i64(i64) => integer,
        serialize_i128(i128) => integer,
        serialize_u8(u8) => integer,
        serialize_u16(u16) => integer,
        serialize_u32(u32) => integer,
        serialize_u64(u64) => integer,
        serialize_u128(u128) => integer,
        serialize_f32(f32) => |v: f32| Value::Real(v.into()),
        serialize_f64(f64) => Value::Real,
        serialize_char(char) => Value::Char,
        serialize_str(&str) => |v: &str| Value::Str(v.to_string()),
        serialize_bytes(&[u8]) => |v: &[u8]| Value::Bytes(v.to_vec()),
    }
    fn serialize_none(self) -> Result<Value, ConvertError> {
        // `#f`, not the unspecified value, which Scheme counts as true.
        Ok(Value::Bool(false))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ConvertError> {
        ser(value)
    }
    fn serialize_unit(self) -> Result<Value, ConvertError> {
        Ok(Value::Unspecified)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ConvertError> {
        Ok(Value::Unspecified)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ConvertError> {
        Ok(Value::symbol(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        ser(value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        tagged(variant, ser(value))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListOut, ConvertError> {
        Ok(ListOut::new(len, None))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListOut, ConvertError> {
        Ok(ListOut::new(Some(len), None))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListOut, ConvertError> {
        Ok(ListOut::new(Some(len), None))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ListOut, ConvertError> {
        Ok(ListOut::new(Some(len), Some(variant)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapOut, ConvertError> {
        Ok(MapOut::new(len, None))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapOut, ConvertError> {
        Ok(MapOut::new(Some(len), None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapOut, ConvertError> {
        Ok(MapOut::new(Some(len), Some(variant)))
    }
}

macro_rules! items_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for ListOut {
            type Ok = Value;
            type Error = ConvertError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
                self.push(value)
            }
            fn end(self) -> Result<Value, ConvertError> {
                self.finish()
            }
        }
    )*};
}

items_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! fields_impl {
    ($($trait:ident),*) => {$(
        impl ser::$trait for MapOut {
            type Ok = Value;
            type Error = ConvertError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), ConvertError> {
                self.field(Value::keyword(key), value)
            }
            fn end(self) -> Result<Value, ConvertError> {
                self.finish()
            }
        }
    )*};
}

fields_impl!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for MapOut {
    type Ok = Value;
    type Error = ConvertError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ConvertError> {
        self.key = Some(match ser(key)? {
            Value::Str(name) => Value::Keyword(name),
            other => other,
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ConvertError::new("a map value without its key"))?;
        self.field(key, value)
    }

    fn end(self) -> Result<Value, ConvertError> {
        self.finish()
    }
}

// ---- Value to Rust ----

/// Every nested value goes through here (see [`ser`]).
fn de<'de, S: DeserializeSeed<'de>>(seed: S, value: &'de Value) -> Result<S::Value, ConvertError> {
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
