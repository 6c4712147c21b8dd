//! `display` and `write`: the external representation of values.

use std::fmt::Write;

use crate::values::value::{Promise, RecordProc, Val};

pub fn write_string(v: &Val) -> String {
    let mut out = String::new();
    print(v, true, &mut out);
    out
}

pub fn display_string(v: &Val) -> String {
    let mut out = String::new();
    print(v, false, &mut out);
    out
}

/// Print `v`; `write` selects machine-readable form (quoted strings, `#\` chars).
pub fn print(v: &Val, write: bool, out: &mut String) {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || print_inner(v, write, out))
}

fn print_inner(v: &Val, write: bool, out: &mut String) {
    match v {
        Val::Null => out.push_str("()"),
        // Readable, so data holding it (a map of results) prints with no
        // hole and reads back; the REPL prints nothing for a bare one.
        Val::Unspecified => out.push_str("#!unspecified"),
        Val::Unassigned => out.push_str("#<unassigned>"),
        Val::Eof => out.push_str("#<eof>"),
        Val::Bool(b) => out.push_str(if b.get() { "#t" } else { "#f" }),
        Val::Int(_) | Val::Big(_) | Val::Rat(_) | Val::Real(_) => {
            out.push_str(&crate::values::number::format_number(v, 10))
        }
        Val::Char(c) => {
            let c = c.get();
            if write {
                out.push_str("#\\");
                match char_name(c) {
                    Some(name) => out.push_str(name),
                    None if c.is_control() => {
                        let _ = write!(out, "x{:x}", c as u32);
                    }
                    None => out.push(c),
                }
            } else {
                out.push(c)
            }
        }
        Val::Str(s) => {
            if write {
                write_string_literal(s, out)
            } else {
                out.push_str(s)
            }
        }
        Val::Sym(s) => {
            if write {
                write_symbol(s.name(), out)
            } else {
                out.push_str(s.name())
            }
        }
        Val::Keyword(s) => {
            out.push(':');
            out.push_str(s.name());
        }
        Val::Pair(_) => print_list(v, write, out),
        Val::Vector(items) => {
            out.push_str("#(");
            print_seq(items.iter(), write, out);
            out.push(')');
        }
        Val::Bytes(bytes) => {
            out.push_str("#u8(");
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{b}");
            }
            out.push(')');
        }
        Val::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print(k, write, out);
                out.push(' ');
                print(v, write, out);
            }
            out.push('}');
        }
        Val::Closure(c) => match c.name() {
            Some(name) => {
                let _ = write!(out, "#<procedure {}>", name.name());
            }
            None => out.push_str("#<procedure>"),
        },
        Val::Prim(p) => {
            let _ = write!(out, "#<procedure {}>", p.name);
        }
        Val::Host(h) => {
            let _ = write!(out, "#<procedure {}>", h.name);
        }
        Val::Cont(_) => out.push_str("#<continuation>"),
        Val::Var(_) => out.push_str("#<variable>"),
        Val::Param(_) => out.push_str("#<parameter>"),
        Val::Record(r) => {
            let _ = write!(out, "#<{}", r.rtd.name.name());
            for f in &r.fields {
                out.push(' ');
                print(f, write, out);
            }
            out.push('>');
        }
        Val::RecordType(t) => {
            let _ = write!(out, "#<record-type {}>", t.name.name());
        }
        Val::RecordProc(p) => {
            let (kind, rtd) = match &**p {
                RecordProc::Constructor(t, _) => ("constructor", t),
                RecordProc::Predicate(t) => ("predicate", t),
                RecordProc::Accessor(t, _) => ("accessor", t),
                RecordProc::Modifier(t, _) => ("modifier", t),
            };
            let _ = write!(out, "#<procedure {} {}>", rtd.name.name(), kind);
        }
        Val::Promise(p) => match &*p.borrow() {
            Promise::Done(_) => out.push_str("#<promise (forced)>"),
            Promise::Delayed { .. } => out.push_str("#<promise>"),
        },
        Val::Values(vals) => print_seq(vals.iter(), write, out),
        Val::Error(e) => {
            out.push_str("#<error ");
            write_string_literal(&e.message, out);
            for irritant in &e.irritants {
                out.push(' ');
                print(irritant, true, out);
            }
            out.push('>');
        }
        Val::Flow(f) => {
            let _ = write!(out, "#<flow {}>", f.display_name());
        }
        Val::Port(_) => out.push_str("#<port>"),
    }
}

fn print_seq<'a>(items: impl Iterator<Item = &'a Val>, write: bool, out: &mut String) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print(item, write, out);
    }
}

fn print_list(v: &Val, write: bool, out: &mut String) {
    if let Val::Pair(p) = v {
        if let (Val::Sym(s), Val::Pair(rest)) = (&p.car, &p.cdr) {
            if matches!(rest.cdr, Val::Null) {
                let prefix = match s.name() {
                    "quote" => Some("'"),
                    "quasiquote" => Some("`"),
                    "unquote" => Some(","),
                    "unquote-splicing" => Some(",@"),
                    _ => None,
                };
                if let Some(prefix) = prefix {
                    out.push_str(prefix);
                    print(&rest.car, write, out);
                    return;
                }
            }
        }
    }
    out.push('(');
    let mut cur = v;
    let mut first = true;
    loop {
        match cur {
            Val::Pair(p) => {
                if !first {
                    out.push(' ');
                }
                first = false;
                print(&p.car, write, out);
                cur = &p.cdr;
            }
            Val::Null => break,
            tail => {
                out.push_str(" . ");
                print(tail, write, out);
                break;
            }
        }
    }
    out.push(')');
}

pub fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        ' ' => "space",
        '\n' => "newline",
        '\t' => "tab",
        '\r' => "return",
        '\0' => "null",
        '\x07' => "alarm",
        '\x08' => "backspace",
        '\x7f' => "delete",
        '\x1b' => "escape",
        _ => return None,
    })
}

fn write_string_literal(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_symbol(name: &str, out: &mut String) {
    let needs_bars = name.is_empty()
        || name.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '(' | ')' | '"' | ';' | '|' | '\'' | '`' | ',')
        })
        || crate::values::number::parse_number(name, 10).is_some()
        || name == ".";
    if needs_bars {
        out.push('|');
        for c in name.chars() {
            match c {
                '|' => out.push_str("\\|"),
                '\\' => out.push_str("\\\\"),
                // Written as an escape, never raw: it would reach a terminal.
                c if c.is_control() => {
                    let _ = write!(out, "\\x{:x};", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('|');
    } else {
        out.push_str(name);
    }
}
