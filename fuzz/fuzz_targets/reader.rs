//! The reader: arbitrary bytes as source, read without running anything.
//!
//! - `skein::check_source` reads, expands and compiles every form (what
//!   `skein check` does) and reports problems as located diagnostics;
//! - `skein::is_complete` (the REPL's "read on?") must answer;
//! - `Value::parse` reads one datum; what it accepts must print and read
//!   back as an equal value.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(src) = std::str::from_utf8(data) else {
            return;
        };
        let _ = skein::is_complete(src);
        for d in skein::check_source("fuzz.scm", src) {
            if skein_fuzz::show() {
                eprintln!("check: {}", d.headline());
            }
            let _ = d.report.len();
        }
        let parsed = skein::Value::parse(src);
        if skein_fuzz::show() {
            eprintln!("parse: {parsed:?}");
        }
        match parsed {
            Ok(v) => skein_fuzz::check_printing(&v),
            Err(e) => skein_fuzz::check_error(&e),
        }
    });
}
