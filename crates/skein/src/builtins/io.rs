//! Output primitives: `display`, `write`, `newline` and friends. An optional
//! port argument is accepted and ignored: all output goes to the engine's sink.

use crate::machine::Machine;
use crate::printer;
use crate::value::{type_error, Prim, PrimKind, PrimResult, Val};

const fn effect(
    name: &'static str,
    min: usize,
    max: Option<usize>,
    f: fn(&mut Machine, &[Val]) -> PrimResult,
) -> Prim {
    Prim {
        name,
        min_args: min,
        max_args: max,
        kind: PrimKind::Effect(f),
    }
}

fn display(m: &mut Machine, args: &[Val]) -> PrimResult {
    let text = printer::display_string(&args[0]);
    m.write_output(&text);
    Ok(Val::Unspecified)
}

fn write(m: &mut Machine, args: &[Val]) -> PrimResult {
    let text = printer::write_string(&args[0]);
    m.write_output(&text);
    Ok(Val::Unspecified)
}

fn newline(m: &mut Machine, _: &[Val]) -> PrimResult {
    m.write_output("\n");
    Ok(Val::Unspecified)
}

fn write_string(m: &mut Machine, args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Str(s) => {
            let s = s.clone();
            m.write_output(&s);
            Ok(Val::Unspecified)
        }
        other => Err(type_error("write-string", "a string", other)),
    }
}

fn write_char(m: &mut Machine, args: &[Val]) -> PrimResult {
    match &args[0] {
        Val::Char(c) => {
            m.write_output(c.encode_utf8(&mut [0; 4]));
            Ok(Val::Unspecified)
        }
        other => Err(type_error("write-char", "a char", other)),
    }
}

fn current_output_port(_: &mut Machine, _: &[Val]) -> PrimResult {
    Ok(Val::Unspecified)
}

fn flush_output_port(m: &mut Machine, _: &[Val]) -> PrimResult {
    m.out.flush();
    Ok(Val::Unspecified)
}

pub static PRIMS: &[Prim] = &[
    effect("display", 1, Some(2), display),
    effect("write", 1, Some(2), write),
    effect("write-shared", 1, Some(2), write),
    effect("write-simple", 1, Some(2), write),
    effect("newline", 0, Some(1), newline),
    effect("write-string", 1, Some(2), write_string),
    effect("write-char", 1, Some(2), write_char),
    effect("current-output-port", 0, Some(0), current_output_port),
    effect("flush-output-port", 0, Some(1), flush_output_port),
];
