//! Equivalence predicates and booleans (R7RS 6.1, 6.3), plus `procedure?`.

use super::lists::pure;
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{type_error, BoolBits, Val};

/// `eq?` is `eqv?`: values are immutable, so no program can tell a copied
/// small number or character from the original.
fn eqv_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(crate::values::equality::eqv(&args[0], &args[1])))
}

fn equal_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(crate::values::equality::equal(
        &args[0], &args[1],
    )))
}

fn not(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Bool(BoolBits::FALSE))))
}

fn boolean_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Bool(_))))
}

fn boolean_eq(args: &[Val]) -> PrimResult {
    let mut bools = Vec::with_capacity(args.len());
    for arg in args {
        match arg {
            Val::Bool(b) => bools.push(*b),
            other => return Err(type_error("boolean=?", "a boolean", other)),
        }
    }
    Ok(Val::bool(bools.windows(2).all(|w| w[0] == w[1])))
}

fn procedure_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(args[0].is_procedure()))
}

pub static PRIMS: &[Prim] = &[
    pure("eq?", 2, Some(2), eqv_p),
    pure("eqv?", 2, Some(2), eqv_p),
    pure("equal?", 2, Some(2), equal_p),
    pure("not", 1, Some(1), not),
    pure("boolean?", 1, Some(1), boolean_p),
    pure("boolean=?", 2, None, boolean_eq),
    pure("procedure?", 1, Some(1), procedure_p),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::lists::tests::{err, ints, ok};

    fn eqv2(a: &Val, b: &Val) -> String {
        ok(eqv_p(&[a.clone(), b.clone()]))
    }

    fn equal2(a: &Val, b: &Val) -> String {
        ok(equal_p(&[a.clone(), b.clone()]))
    }

    #[test]
    fn eqv_compares_atoms_by_value_and_compounds_by_identity() {
        assert_eq!(eqv2(&Val::Int(2), &Val::Int(2)), "#t");
        assert_eq!(eqv2(&Val::Int(2), &Val::real(2.0)), "#f");
        assert_eq!(eqv2(&Val::real(0.0), &Val::real(-0.0)), "#f");
        assert_eq!(eqv2(&Val::char('a'), &Val::char('a')), "#t");
        assert_eq!(eqv2(&Val::sym("a"), &Val::sym("a")), "#t");
        assert_eq!(eqv2(&Val::Null, &Val::Null), "#t");
        assert_eq!(eqv2(&Val::bool(false), &Val::Null), "#f");
        let s = Val::str("abc");
        assert_eq!(eqv2(&s, &s), "#t");
        assert_eq!(eqv2(&s, &Val::str("abc")), "#f");
        let l = ints([1, 2]);
        assert_eq!(eqv2(&l, &l), "#t");
        assert_eq!(eqv2(&l, &ints([1, 2])), "#f");
        // eq? answers as eqv? does.
        let Some(Prim {
            kind: crate::values::prim::PrimKind::Pure(eq),
            ..
        }) = PRIMS.iter().find(|p| p.name == "eq?")
        else {
            panic!("eq? is not registered as a pure primitive")
        };
        assert_eq!(ok(eq(&[l.clone(), l.clone()])), "#t");
        assert_eq!(ok(eq(&[l, ints([1, 2])])), "#f");
        assert_eq!(ok(eq(&[Val::Int(7), Val::Int(7)])), "#t");
        assert_eq!(ok(eq(&[Val::char('x'), Val::char('x')])), "#t");
    }

    #[test]
    fn equal_is_structural() {
        assert_eq!(equal2(&Val::str("abc"), &Val::str("abc")), "#t");
        assert_eq!(equal2(&ints([1, 2]), &ints([1, 2])), "#t");
        assert_eq!(equal2(&ints([1, 2]), &ints([1, 3])), "#f");
        assert_eq!(equal2(&ints([1, 2]), &ints([1, 2, 3])), "#f");
        let v = |xs: Vec<Val>| Val::vector(xs);
        assert_eq!(
            equal2(
                &v(vec![Val::str("a"), ints([1])]),
                &v(vec![Val::str("a"), ints([1])])
            ),
            "#t"
        );
        assert_eq!(equal2(&Val::Int(2), &Val::real(2.0)), "#f");
        let big = ints(0..1_000_000);
        assert_eq!(equal2(&big, &ints(0..1_000_000)), "#t");
        assert_eq!(equal2(&big, &ints(1..1_000_001)), "#f");
    }

    #[test]
    fn booleans() {
        assert_eq!(ok(not(&[Val::bool(false)])), "#t");
        assert_eq!(ok(not(&[Val::bool(true)])), "#f");
        assert_eq!(ok(not(&[Val::Int(0)])), "#f");
        assert_eq!(ok(not(&[Val::Null])), "#f");
        assert_eq!(ok(boolean_p(&[Val::bool(false)])), "#t");
        assert_eq!(ok(boolean_p(&[Val::Null])), "#f");
        assert_eq!(ok(boolean_p(&[Val::Int(0)])), "#f");
        let (t, f) = (Val::bool(true), Val::bool(false));
        assert_eq!(ok(boolean_eq(&[t.clone(), t.clone()])), "#t");
        assert_eq!(ok(boolean_eq(&[f.clone(), f.clone(), f.clone()])), "#t");
        assert_eq!(ok(boolean_eq(&[t.clone(), t.clone(), f.clone()])), "#f");
        assert_eq!(ok(boolean_eq(&[f.clone(), t.clone()])), "#f");
        assert_eq!(
            err(boolean_eq(&[t, Val::Int(1)])),
            r#"#<error "boolean=?: expected a boolean" 1>"#
        );
        // Every argument is checked, even after the answer is known.
        assert_eq!(
            err(boolean_eq(&[f, Val::bool(true), Val::Null])),
            r#"#<error "boolean=?: expected a boolean" ()>"#
        );
    }

    #[test]
    fn procedures() {
        assert_eq!(ok(procedure_p(&[Val::Prim(&PRIMS[0])])), "#t");
        assert_eq!(ok(procedure_p(&[Val::sym("car")])), "#f");
        assert_eq!(ok(procedure_p(&[ints([1])])), "#f");
    }
}
