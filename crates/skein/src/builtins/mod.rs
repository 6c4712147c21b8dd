//! Primitive procedures, one module per area of R7RS section 6.

use crate::values::prim::ControlOp;
use crate::values::prim::Effects;
use crate::values::prim::{Prim, PrimKind, PrimResult};
use crate::values::value::Val;

pub mod bytevectors;
pub mod chars;
pub mod control;
pub mod equivalence;
pub mod flows;
pub mod io;
pub mod lists;
pub mod maps;
pub mod math;
pub mod numbers;
pub mod ports;
pub mod strings;
pub mod system;
pub mod vectors;

/// Every primitive, in registration order.
pub fn all() -> impl Iterator<Item = &'static Prim> {
    [
        control::PRIMS,
        io::PRIMS,
        ports::PRIMS,
        numbers::PRIMS,
        math::PRIMS,
        equivalence::PRIMS,
        lists::PRIMS,
        vectors::PRIMS,
        maps::PRIMS,
        chars::PRIMS,
        strings::PRIMS,
        bytevectors::PRIMS,
        flows::PRIMS,
        system::PRIMS,
    ]
    .into_iter()
    .flat_map(|prims| prims.iter())
}

/// A primitive without side effects: the machine may evaluate it in place,
/// speculatively, and again.
pub(crate) const fn pure(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    f: fn(&[Val]) -> PrimResult,
) -> Prim {
    Prim {
        name,
        min_args,
        max_args,
        kind: PrimKind::Pure(f),
    }
}

/// A primitive that needs the engine (output, ports, flows, globals).
pub(crate) const fn effect(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    f: fn(&mut dyn Effects, &[Val]) -> PrimResult,
) -> Prim {
    Prim {
        name,
        min_args,
        max_args,
        kind: PrimKind::Effect(f),
    }
}

/// A primitive the machine implements because it touches the continuation.
pub(crate) const fn control(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    op: ControlOp,
) -> Prim {
    Prim {
        name,
        min_args,
        max_args,
        kind: PrimKind::Control(op),
    }
}
