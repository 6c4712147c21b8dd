//! Numeric primitives (R7RS 6.2).

use crate::value::{Prim, PrimKind, PrimResult, Val};

fn number_p(args: &[Val]) -> PrimResult {
    Ok(Val::Bool(args[0].is_number()))
}

pub static PRIMS: &[Prim] = &[Prim {
    name: "number?",
    min_args: 1,
    max_args: Some(1),
    kind: PrimKind::Pure(number_p),
}];
