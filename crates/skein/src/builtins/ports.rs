//! Ports (R7RS 6.13): the console port, string ports and bytevector ports,
//! and reading from input ports. There is no file I/O: a program's effects
//! on the world go through its host (flows: `request`).

use super::effect;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::values::heap::{self, Counted};
use crate::values::prim::Effects;
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Port, PortKind, Val};

fn port(kind: PortKind) -> Val {
    Val::Port(Rc::new(Port::new(kind)))
}

fn port_arg<'a>(who: &str, v: &'a Val) -> Result<&'a Rc<Port>, Val> {
    match v {
        Val::Port(p) => Ok(p),
        other => Err(type_error(who, "a port", other)),
    }
}

/// Write `text` to the port in `args[at]`, or to the engine's output.
pub fn write_to(m: &mut dyn Effects, who: &str, args: &[Val], at: usize, text: &str) -> PrimResult {
    match args.get(at) {
        None => m.write_output(text),
        Some(v) => {
            let p = port_arg(who, v)?;
            if !p.open.get() {
                return Err(error(format!("{who}: the port is closed"), vec![]));
            }
            match &p.kind {
                PortKind::Console => m.write_output(text),
                PortKind::ErrorConsole => m.write_error(text),
                PortKind::TextOut(buf) => {
                    heap::reserve(text.len())?;
                    p.grow(|| buf.borrow_mut().push_str(text));
                }
                _ => return Err(type_error(who, "a textual output port", v)),
            }
        }
    }
    Ok(Val::Unspecified)
}

fn console(_: &mut dyn Effects, _: &[Val]) -> PrimResult {
    Ok(port(PortKind::Console))
}

fn error_console(_: &mut dyn Effects, _: &[Val]) -> PrimResult {
    Ok(port(PortKind::ErrorConsole))
}

fn open_output_string(_: &mut dyn Effects, _: &[Val]) -> PrimResult {
    Ok(port(PortKind::TextOut(RefCell::new(String::new()))))
}

fn open_input_string(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Str(s) => Ok(port(PortKind::TextIn(s.to_string(), Cell::new(0)))),
        other => Err(type_error("open-input-string", "a string", other)),
    }
}

fn open_output_bytevector(_: &mut dyn Effects, _: &[Val]) -> PrimResult {
    Ok(port(PortKind::BytesOut(RefCell::new(Vec::new()))))
}

fn open_input_bytevector(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Bytes(b) => Ok(port(PortKind::BytesIn(b.to_vec(), Cell::new(0)))),
        other => Err(type_error("open-input-bytevector", "a bytevector", other)),
    }
}

fn get_output_string(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    match &port_arg("get-output-string", &args[0])?.kind {
        PortKind::TextOut(buf) => Ok(Val::str(buf.borrow().clone())),
        _ => Err(type_error(
            "get-output-string",
            "a string output port",
            &args[0],
        )),
    }
}

fn get_output_bytevector(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    match &port_arg("get-output-bytevector", &args[0])?.kind {
        PortKind::BytesOut(buf) => Ok(Val::Bytes(Rc::new(Counted::new(buf.borrow().clone())))),
        _ => Err(type_error(
            "get-output-bytevector",
            "a bytevector output port",
            &args[0],
        )),
    }
}

/// The unread text of a textual input port (the default input port is empty).
fn text_in<'a>(
    who: &str,
    args: &'a [Val],
    at: usize,
) -> Result<Option<(&'a str, &'a Cell<usize>)>, Val> {
    let Some(v) = args.get(at) else {
        return Ok(None);
    };
    let p = port_arg(who, v)?;
    if !p.open.get() {
        return Err(error(format!("{who}: the port is closed"), vec![]));
    }
    match &p.kind {
        PortKind::TextIn(text, pos) => Ok(Some((text.as_str(), pos))),
        PortKind::Console => Ok(None),
        _ => Err(type_error(who, "a textual input port", v)),
    }
}

fn read_char(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((text, pos)) = text_in("read-char", args, 0)? else {
        return Ok(Val::Eof);
    };
    match text[pos.get()..].chars().next() {
        Some(c) => {
            pos.set(pos.get() + c.len_utf8());
            Ok(Val::char(c))
        }
        None => Ok(Val::Eof),
    }
}

fn peek_char(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((text, pos)) = text_in("peek-char", args, 0)? else {
        return Ok(Val::Eof);
    };
    Ok(text[pos.get()..].chars().next().map_or(Val::Eof, Val::char))
}

fn read_line(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((text, pos)) = text_in("read-line", args, 0)? else {
        return Ok(Val::Eof);
    };
    let rest = &text[pos.get()..];
    if rest.is_empty() {
        return Ok(Val::Eof);
    }
    let (line, used) = match rest.find('\n') {
        Some(i) => (&rest[..i], i + 1),
        None => (rest, rest.len()),
    };
    pos.set(pos.get() + used);
    Ok(Val::str(line.trim_end_matches('\r')))
}

fn read_string(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let k = match &args[0] {
        Val::Int(k) if *k >= 0 => *k as usize,
        other => return Err(type_error("read-string", "a non-negative integer", other)),
    };
    let Some((text, pos)) = text_in("read-string", args, 1)? else {
        return Ok(Val::Eof);
    };
    let rest = &text[pos.get()..];
    if rest.is_empty() {
        return Ok(Val::Eof);
    }
    let taken: String = rest.chars().take(k).collect();
    pos.set(pos.get() + taken.len());
    Ok(Val::str(taken))
}

fn char_ready(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    text_in("char-ready?", args, 0)?;
    Ok(Val::bool(true))
}

fn read(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((text, pos)) = text_in("read", args, 0)? else {
        return Ok(Val::Eof);
    };
    let rest = &text[pos.get()..];
    let file = m.add_source("<read>", rest);
    match crate::read::reader::read_one(rest, file) {
        Ok((Some(datum), used)) => {
            pos.set(pos.get() + used);
            Ok(datum.to_datum())
        }
        Ok((None, used)) => {
            pos.set(pos.get() + used);
            Ok(Val::Eof)
        }
        Err(e) => Err(crate::values::value::error_of(
            crate::values::value::ErrorKind::ReadError,
            format!("read: {}", e.message),
        )),
    }
}

/// The bytes of a binary input port and its read position.
type BytesIn<'a> = Option<(&'a [u8], &'a Cell<usize>)>;

fn bytes_in<'a>(who: &str, args: &'a [Val], at: usize) -> Result<BytesIn<'a>, Val> {
    let Some(v) = args.get(at) else {
        return Ok(None);
    };
    let p = port_arg(who, v)?;
    match &p.kind {
        PortKind::BytesIn(bytes, pos) => Ok(Some((bytes.as_slice(), pos))),
        _ => Err(type_error(who, "a binary input port", v)),
    }
}

fn read_u8(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((bytes, pos)) = bytes_in("read-u8", args, 0)? else {
        return Ok(Val::Eof);
    };
    match bytes.get(pos.get()) {
        Some(b) => {
            pos.set(pos.get() + 1);
            Ok(Val::Int(i64::from(*b)))
        }
        None => Ok(Val::Eof),
    }
}

fn peek_u8(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Some((bytes, pos)) = bytes_in("peek-u8", args, 0)? else {
        return Ok(Val::Eof);
    };
    Ok(bytes
        .get(pos.get())
        .map_or(Val::Eof, |b| Val::Int(i64::from(*b))))
}

fn u8_ready(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    bytes_in("u8-ready?", args, 0)?;
    Ok(Val::bool(true))
}

fn read_bytevector(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let k = match &args[0] {
        Val::Int(k) if *k >= 0 => *k as usize,
        other => {
            return Err(type_error(
                "read-bytevector",
                "a non-negative integer",
                other,
            ))
        }
    };
    let Some((bytes, pos)) = bytes_in("read-bytevector", args, 1)? else {
        return Ok(Val::Eof);
    };
    let rest = &bytes[pos.get().min(bytes.len())..];
    if rest.is_empty() {
        return Ok(Val::Eof);
    }
    let taken = rest[..k.min(rest.len())].to_vec();
    pos.set(pos.get() + taken.len());
    Ok(Val::Bytes(Rc::new(Counted::new(taken))))
}

/// Append `bytes` to the binary output port in `args[at]`.
fn write_bytes(who: &str, args: &[Val], at: usize, bytes: &[u8]) -> Result<(), Val> {
    let v = args
        .get(at)
        .ok_or_else(|| error(format!("{who}: a binary output port is required"), vec![]))?;
    let p = port_arg(who, v)?;
    match &p.kind {
        PortKind::BytesOut(buf) => {
            heap::reserve(bytes.len())?;
            p.grow(|| buf.borrow_mut().extend_from_slice(bytes));
            Ok(())
        }
        _ => Err(type_error(who, "a binary output port", v)),
    }
}

fn write_u8(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let b = match &args[0] {
        Val::Int(b) if (0..=255).contains(b) => *b as u8,
        other => return Err(type_error("write-u8", "a byte", other)),
    };
    write_bytes("write-u8", args, 1, &[b])?;
    Ok(Val::Unspecified)
}

fn write_bytevector(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Val::Bytes(b) = &args[0] else {
        return Err(type_error("write-bytevector", "a bytevector", &args[0]));
    };
    let (start, end) = super::strings::range_args("write-bytevector", args, 2, b.len())?;
    write_bytes("write-bytevector", args, 1, &b[start..end])?;
    Ok(Val::Unspecified)
}

fn kind_is(args: &[Val], test: fn(&PortKind) -> bool) -> PrimResult {
    Ok(Val::bool(matches!(&args[0], Val::Port(p) if test(&p.kind))))
}

fn port_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    kind_is(args, |_| true)
}

fn input_port_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    kind_is(args, |k| {
        matches!(
            k,
            PortKind::TextIn(..) | PortKind::BytesIn(..) | PortKind::Console
        )
    })
}

fn output_port_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    kind_is(args, |k| {
        matches!(
            k,
            PortKind::TextOut(_)
                | PortKind::BytesOut(_)
                | PortKind::Console
                | PortKind::ErrorConsole
        )
    })
}

fn textual_port_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    kind_is(args, |k| {
        matches!(
            k,
            PortKind::TextIn(..)
                | PortKind::TextOut(_)
                | PortKind::Console
                | PortKind::ErrorConsole
        )
    })
}

fn binary_port_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    kind_is(args, |k| {
        matches!(k, PortKind::BytesIn(..) | PortKind::BytesOut(_))
    })
}

fn port_open_p(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    Ok(Val::bool(port_arg("port-open?", &args[0])?.open.get()))
}

fn close_port(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    port_arg("close-port", &args[0])?.open.set(false);
    Ok(Val::Unspecified)
}

pub static PRIMS: &[Prim] = &[
    effect("current-output-port", 0, Some(0), console),
    effect("current-error-port", 0, Some(0), error_console),
    effect("current-input-port", 0, Some(0), console),
    effect("open-output-string", 0, Some(0), open_output_string),
    effect("open-input-string", 1, Some(1), open_input_string),
    effect("open-output-bytevector", 0, Some(0), open_output_bytevector),
    effect("open-input-bytevector", 1, Some(1), open_input_bytevector),
    effect("get-output-string", 1, Some(1), get_output_string),
    effect("get-output-bytevector", 1, Some(1), get_output_bytevector),
    effect("read-char", 0, Some(1), read_char),
    effect("peek-char", 0, Some(1), peek_char),
    effect("read-line", 0, Some(1), read_line),
    effect("read-string", 1, Some(2), read_string),
    effect("char-ready?", 0, Some(1), char_ready),
    effect("read", 0, Some(1), read),
    effect("read-u8", 0, Some(1), read_u8),
    effect("peek-u8", 0, Some(1), peek_u8),
    effect("u8-ready?", 0, Some(1), u8_ready),
    effect("read-bytevector", 1, Some(2), read_bytevector),
    effect("write-u8", 1, Some(2), write_u8),
    effect("write-bytevector", 1, Some(4), write_bytevector),
    effect("port?", 1, Some(1), port_p),
    effect("input-port?", 1, Some(1), input_port_p),
    effect("output-port?", 1, Some(1), output_port_p),
    effect("textual-port?", 1, Some(1), textual_port_p),
    effect("binary-port?", 1, Some(1), binary_port_p),
    effect("input-port-open?", 1, Some(1), port_open_p),
    effect("output-port-open?", 1, Some(1), port_open_p),
    effect("close-port", 1, Some(1), close_port),
    effect("close-input-port", 1, Some(1), close_port),
    effect("close-output-port", 1, Some(1), close_port),
];
