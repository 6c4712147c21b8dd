//! Primitive procedures, one module per area of R7RS section 6.

use crate::value::Prim;

pub mod bytevectors;
pub mod chars;
pub mod control;
pub mod equivalence;
pub mod flows;
pub mod io;
pub mod lists;
pub mod maps;
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
