//! Primitive procedures, one module per area of R7RS section 6.

use crate::value::Prim;

pub mod control;
pub mod io;
pub mod numbers;

/// Every primitive, in registration order.
pub fn all() -> impl Iterator<Item = &'static Prim> {
    [control::PRIMS, io::PRIMS, numbers::PRIMS]
        .into_iter()
        .flat_map(|prims| prims.iter())
}
