//! Rust to [`Value`]: a serde `Serializer` whose output keeps Scheme's
//! kinds (unit variants as symbols, `None` as `#f`, maps in key order).

use std::cmp::Ordering;

use serde::ser::{self, Serialize};

use super::error::{key_segment, ConvertError};
use crate::values::plain::Value;

/// Every nested value goes through here, so deep data grows the stack
/// instead of overflowing it.
pub(super) fn ser<T: Serialize + ?Sized>(value: &T) -> Result<Value, ConvertError> {
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
    keyed.sort_by(|a, b| crate::values::equality::compare(&a.0, &b.0));
    let duplicate = keyed
        .windows(2)
        .find(|w| crate::values::equality::compare(&w[0].0, &w[1].0) == Ordering::Equal)
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
