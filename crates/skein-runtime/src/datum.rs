//! Data typed after a REPL command, given on a `skein flow` command line or
//! printed by a handler:
//! read, never evaluated, with the quote a Scheme programmer types by habit
//! taken at its word (docs/cli.md, "Arguments and responses").

use skein::{Error, Value};

/// Read `text` as one datum, then [`unquote`] it. A leading backquote is
/// refused: a template needs evaluating, and nothing here is evaluated.
pub fn read(text: &str) -> Result<Value, Error> {
    let value = Value::parse(text)?;
    if let Some(bare) = text.trim_start().strip_prefix('`') {
        return Err(Error::Host(format!(
            "a datum is not evaluated, so a backquote template cannot be filled in: \
             write the data itself, as in {}",
            bare.trim_start()
        )));
    }
    Ok(unquote(value))
}

/// A quotation, `'X` (that is, `(quote X)`), stands for X: `'ok` means the
/// symbol `ok`, as it does in code, and never the list `(quote ok)`. One
/// quote comes off, so `''ok` is that list, for the rare flow that wants it.
pub fn unquote(value: Value) -> Value {
    if let Value::List(items) = &value {
        if let [quote, quoted] = items.as_slice() {
            if *quote == Value::symbol("quote") {
                return quoted.clone();
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::read;
    use skein::Value;

    #[test]
    fn a_quotation_means_the_datum_itself() {
        assert_eq!(read("'ok"), Ok(Value::symbol("ok")));
        assert_eq!(read("(quote ok)"), Ok(Value::symbol("ok")));
        assert_eq!(read("  '(1 2)"), read("(1 2)"));
        assert_eq!(read("'{:amount 1}"), read("{:amount 1}"));
        // One quote comes off: `''ok` is the list `(quote ok)`.
        assert_eq!(read("''ok"), Value::parse("'ok"));
        // A quote inside the datum is data, as inside a quoted datum in code.
        assert_eq!(read("(a 'b)"), Value::parse("(a 'b)"));
    }

    #[test]
    fn a_backquote_is_refused_with_a_hint() {
        let refused = read("`(ok ,x)").unwrap_err().to_string();
        assert!(refused.contains("write the data itself"), "{refused}");
    }
}
