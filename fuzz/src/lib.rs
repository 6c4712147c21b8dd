//! What the fuzz targets share: the properties they check on the values and
//! errors the engine hands out. Every check panics on a broken promise, and a
//! panic is what the fuzzer records as a crash.

use skein::{Error, Value};

/// Whether to print what each input came to (set `SKEIN_FUZZ_SHOW=1` when
/// replaying an input by hand: `SKEIN_FUZZ_SHOW=1 target/release/evaluator < FILE`).
pub fn show() -> bool {
    static SHOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("SKEIN_FUZZ_SHOW").is_some())
}

/// Whether `v` is data `Value::parse` can read back: nothing `Opaque` or
/// `Unspecified` anywhere in it (those print as `#<...>`). Walked with a work
/// list, like the engine's own walks, so deep data cannot overflow the stack.
pub fn reads_back(v: &Value) -> bool {
    let mut work = vec![v];
    while let Some(v) = work.pop() {
        match v {
            Value::Opaque(_) | Value::Unspecified => return false,
            Value::List(items) | Value::Vector(items) => work.extend(items),
            Value::DottedList(items, tail) => {
                work.extend(items);
                work.push(tail);
            }
            Value::Map(entries) => {
                for (k, x) in entries {
                    work.push(k);
                    work.push(x);
                }
            }
            _ => {}
        }
    }
    true
}

/// Print `v` both ways, check they agree, and, when it is readable data,
/// check the printed text reads back as an equal value: the promise of
/// docs/embedding.md ("the text reads back with `Value::parse`").
pub fn check_printing(v: &Value) {
    let written = v.to_write_string();
    let shown = v.to_string();
    assert_eq!(written, shown, "Display and to_write_string differ");
    if reads_back(v) {
        match Value::parse(&written) {
            Ok(back) => assert!(
                back == *v,
                "{written:?} read back as {back:?}, not as the value {v:?} it was written from"
            ),
            Err(e) => panic!("{written:?}, written from {v:?}, does not read back: {e}"),
        }
    }
}

/// Render every form of `e` and check what holds for every error: a syntax
/// error always says where.
pub fn check_error(e: &Error) {
    let _ = e.report();
    let _ = e.to_string();
    let _ = format!("{e:?}");
    if let Some(d) = e.diagnostic() {
        let _ = d.headline();
    }
    if let Error::Syntax(d) = e {
        assert!(
            d.location.is_some(),
            "syntax error without a location: {}",
            d.message
        );
    }
}
