//! Primitive procedures, one module per area of R7RS section 6.

use crate::value::Prim;

pub mod equivalence;
pub mod lists;
pub mod maps;
pub mod numbers;
pub mod vectors;

/// Every primitive, in registration order.
pub fn all() -> impl Iterator<Item = &'static Prim> {
    [
        numbers::PRIMS,
        equivalence::PRIMS,
        lists::PRIMS,
        vectors::PRIMS,
        maps::PRIMS,
    ]
    .into_iter()
    .flat_map(|prims| prims.iter())
}

/// Check the argument count, which the machine already enforces, and give the
/// arguments as a fixed-size array so each primitive can destructure them.
#[macro_export]
macro_rules! args {
    ($args:expr, $n:literal) => {
        <&[$crate::value::Val; $n]>::try_from($args).expect("arity checked by the machine")
    };
}
