//! Why a conversion failed, with the path to the value that failed.

use std::fmt::Display;

use serde::{de, ser};

use crate::values::plain::Value;

/// Why a conversion failed, and where: `path` is empty at the top level,
/// else like `order.items[2].price` (fields by name, list items and
/// non-name map keys in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertError {
    /// Where: empty at the top, else like `order.items[2].price`.
    pub path: String,
    /// What: `expected u32, found 1/2`.
    pub message: String,
}

impl ConvertError {
    pub(super) fn new(message: impl Display) -> ConvertError {
        ConvertError {
            path: String::new(),
            message: message.to_string(),
        }
    }

    pub(super) fn mismatch(expected: impl Display, found: &Value) -> ConvertError {
        let mut shown = found.to_write_string();
        if shown.chars().count() > 60 {
            shown = shown.chars().take(57).chain("...".chars()).collect();
        }
        ConvertError::new(format!("expected {expected}, found {shown}"))
    }

    /// The error as seen from the container one level up; `segment` is a
    /// field name or a bracketed index or key.
    pub(super) fn within(mut self, segment: impl Display) -> ConvertError {
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
pub(super) fn key_segment(key: &Value) -> String {
    match key {
        Value::Keyword(s) | Value::Symbol(s) | Value::Str(s) => s.clone(),
        other => format!("[{}]", other.to_write_string()),
    }
}
