//! Output primitives: `display`, `write`, `newline` and friends, to the
//! engine's output or to the port given as the optional last argument.

use super::effect;
use super::ports::write_to;
use crate::values::prim::Effects;
use crate::values::prim::{Prim, PrimResult};
use crate::values::printer;
use crate::values::value::{type_error, Val};

fn display(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let text = printer::display_string(&args[0]);
    write_to(m, "display", args, 1, &text)
}

fn write(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let text = printer::write_string(&args[0]);
    write_to(m, "write", args, 1, &text)
}

fn newline(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    write_to(m, "newline", args, 0, "\n")
}

fn write_string(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Val::Str(s) = &args[0] else {
        return Err(type_error("write-string", "a string", &args[0]));
    };
    let chars: Vec<char> = s.chars().collect();
    let index = |i: usize, default: usize| match args.get(i) {
        None => Ok(default),
        Some(Val::Int(n)) if *n >= 0 && (*n as usize) <= chars.len() => Ok(*n as usize),
        Some(other) => Err(type_error(
            "write-string",
            "an index into the string",
            other,
        )),
    };
    let (start, end) = (index(2, 0)?, index(3, chars.len())?);
    if start > end {
        return Err(type_error("write-string", "start <= end", &args[2]));
    }
    let text: String = chars[start..end].iter().collect();
    write_to(m, "write-string", args, 1, &text)
}

fn write_char(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Char(c) => write_to(m, "write-char", args, 1, c.get().encode_utf8(&mut [0; 4])),
        other => Err(type_error("write-char", "a char", other)),
    }
}

fn flush_output_port(m: &mut dyn Effects, _: &[Val]) -> PrimResult {
    m.flush_output();
    Ok(Val::Unspecified)
}

pub static PRIMS: &[Prim] = &[
    effect("display", 1, Some(2), display),
    effect("write", 1, Some(2), write),
    effect("write-shared", 1, Some(2), write),
    effect("write-simple", 1, Some(2), write),
    effect("newline", 0, Some(1), newline),
    effect("write-string", 1, Some(4), write_string),
    effect("write-char", 1, Some(2), write_char),
    effect("flush-output-port", 0, Some(1), flush_output_port),
];
