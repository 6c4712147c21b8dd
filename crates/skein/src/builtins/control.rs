//! Control primitives (R7RS 6.10, 6.11): the machine implements the ones that
//! touch the continuation; this file declares them and the plain ones.

use super::{control, effect, pure};
use std::cell::RefCell;
use std::rc::Rc;

use crate::values::prim::ControlOp;
use crate::values::prim::Effects;
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{
    error, type_error, BoolBits, ErrorKind, Promise, RecordProc, RecordType, Val,
};

fn error_obj<'a>(who: &str, v: &'a Val) -> Result<&'a crate::values::value::ErrorObj, Val> {
    match v {
        Val::Error(e) => Ok(e),
        other => Err(type_error(who, "an error object", other)),
    }
}

fn symbol_arg(who: &str, v: &Val) -> Result<crate::values::symbol::Symbol, Val> {
    match v {
        Val::Sym(s) => Ok(*s),
        other => Err(type_error(who, "a symbol", other)),
    }
}

fn record_type_arg<'a>(who: &str, v: &'a Val) -> Result<&'a Rc<RecordType>, Val> {
    match v {
        Val::RecordType(t) => Ok(t),
        other => Err(type_error(who, "a record type", other)),
    }
}

fn field_index(who: &str, rtd: &RecordType, field: &Val) -> Result<usize, Val> {
    let name = symbol_arg(who, field)?;
    rtd.fields
        .iter()
        .position(|f| *f == name)
        .ok_or_else(|| error(format!("{who}: {} has no field {name}", rtd.name), vec![]))
}

fn make_record_type(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let name = symbol_arg("define-record-type", &args[0])?;
    let fields = args[1]
        .iter()
        .map(|f| symbol_arg("define-record-type", &f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Val::RecordType(Rc::new(RecordType { name, fields })))
}

fn record_constructor(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let rtd = record_type_arg("define-record-type", &args[0])?;
    let indices = match &args[1] {
        Val::Bool(BoolBits::FALSE) => (0..rtd.fields.len()).collect(),
        fields => fields
            .iter()
            .map(|f| field_index("define-record-type", rtd, &f))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Val::RecordProc(Rc::new(RecordProc::Constructor(
        rtd.clone(),
        indices,
    ))))
}

fn record_predicate(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let rtd = record_type_arg("define-record-type", &args[0])?;
    Ok(Val::RecordProc(Rc::new(RecordProc::Predicate(rtd.clone()))))
}

fn record_accessor(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let rtd = record_type_arg("define-record-type", &args[0])?;
    let i = field_index("define-record-type", rtd, &args[1])?;
    Ok(Val::RecordProc(Rc::new(RecordProc::Accessor(
        rtd.clone(),
        i,
    ))))
}

fn record_modifier(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let rtd = record_type_arg("define-record-type", &args[0])?;
    let i = field_index("define-record-type", rtd, &args[1])?;
    Ok(Val::RecordProc(Rc::new(RecordProc::Modifier(
        rtd.clone(),
        i,
    ))))
}

fn delay(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    Ok(Val::Promise(Rc::new(RefCell::new(Promise::Delayed {
        thunk: args[0].clone(),
        is_force: false,
        in_flow: m.running_flow().is_some(),
    }))))
}

fn delay_force(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    Ok(Val::Promise(Rc::new(RefCell::new(Promise::Delayed {
        thunk: args[0].clone(),
        is_force: true,
        in_flow: m.running_flow().is_some(),
    }))))
}

fn make_promise(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    Ok(match &args[0] {
        p @ Val::Promise(_) => p.clone(),
        v => Val::Promise(Rc::new(RefCell::new(Promise::Done(v.clone())))),
    })
}

fn promise_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Promise(_))))
}

fn error_object_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Error(_))))
}

fn error_object_message(args: &[Val]) -> PrimResult {
    Ok(Val::str(
        error_obj("error-object-message", &args[0])?.message.clone(),
    ))
}

fn error_object_irritants(args: &[Val]) -> PrimResult {
    Ok(Val::list(
        error_obj("error-object-irritants", &args[0])?
            .irritants
            .clone(),
    ))
}

fn file_error_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(
        matches!(&args[0], Val::Error(e) if e.kind == ErrorKind::FileError),
    ))
}

/// `(request-error? obj)`: a flow's request that its host failed (or that timed out).
fn request_error_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(&args[0], Val::Error(e)
        if matches!(e.kind, ErrorKind::RequestError | ErrorKind::RequestTimeout))))
}

/// `(request-timeout? obj)`: a flow's request whose deadline passed unanswered.
fn request_timeout_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(
        matches!(&args[0], Val::Error(e) if e.kind == ErrorKind::RequestTimeout),
    ))
}

fn read_error_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(
        matches!(&args[0], Val::Error(e) if e.kind == ErrorKind::ReadError),
    ))
}

fn eof_object(_: &[Val]) -> PrimResult {
    Ok(Val::Eof)
}

fn eof_object_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Eof)))
}

pub static PRIMS: &[Prim] = &[
    control("apply", 1, None, ControlOp::Apply),
    control(
        "call-with-current-continuation",
        1,
        Some(1),
        ControlOp::CallCC,
    ),
    control("call/cc", 1, Some(1), ControlOp::CallCC),
    control("values", 0, None, ControlOp::Values),
    control("call-with-values", 2, Some(2), ControlOp::CallWithValues),
    control("dynamic-wind", 3, Some(3), ControlOp::DynamicWind),
    control(
        "with-exception-handler",
        2,
        Some(2),
        ControlOp::WithExceptionHandler,
    ),
    control("raise", 1, Some(1), ControlOp::Raise),
    control("raise-continuable", 1, Some(1), ControlOp::RaiseContinuable),
    control("error", 1, None, ControlOp::Error),
    control("make-parameter", 1, Some(2), ControlOp::MakeParameter),
    control("%parameterize", 3, Some(3), ControlOp::Parameterize),
    control("force", 1, Some(1), ControlOp::Force),
    control("eval", 1, Some(2), ControlOp::Eval),
    control("exit", 0, Some(1), ControlOp::Exit),
    control("emergency-exit", 0, Some(1), ControlOp::EmergencyExit),
    control("load", 1, Some(2), ControlOp::Load),
    effect("%record-type", 2, Some(2), make_record_type),
    effect("%record-constructor", 2, Some(2), record_constructor),
    effect("%record-predicate", 1, Some(1), record_predicate),
    effect("%record-accessor", 2, Some(2), record_accessor),
    effect("%record-modifier", 2, Some(2), record_modifier),
    effect("%delay", 1, Some(1), delay),
    effect("%delay-force", 1, Some(1), delay_force),
    effect("make-promise", 1, Some(1), make_promise),
    pure("promise?", 1, Some(1), promise_p),
    pure("error-object?", 1, Some(1), error_object_p),
    pure("error-object-message", 1, Some(1), error_object_message),
    pure("error-object-irritants", 1, Some(1), error_object_irritants),
    pure("file-error?", 1, Some(1), file_error_p),
    pure("request-error?", 1, Some(1), request_error_p),
    pure("request-timeout?", 1, Some(1), request_timeout_p),
    pure("read-error?", 1, Some(1), read_error_p),
    pure("eof-object", 0, Some(0), eof_object),
    pure("eof-object?", 1, Some(1), eof_object_p),
];
