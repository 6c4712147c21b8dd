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
//! `equality::compare` orders them), so a converted `HashMap` never depends on its
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

use serde::{Deserialize, Serialize};

use crate::api::error::Error;
use crate::values::plain::Value;

mod deserialize;
pub mod error;
mod serialize;

use self::deserialize::de;
use self::serialize::ser;

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
