//! Vectors (R7RS 6.8) without in-place mutation: `vector-set` returns a new vector.

use super::lists::{index_arg, length_arg, list_items, pure};
use crate::values::heap;
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val};

fn vector_arg<'a>(who: &str, v: &'a Val) -> Result<&'a [Val], Val> {
    match v {
        Val::Vector(items) => Ok(items),
        other => Err(type_error(who, "a vector", other)),
    }
}

/// The optional `[start [end]]` arguments of R7RS sequence procedures,
/// checked against `len`.
fn range_args(
    who: &str,
    len: usize,
    start: Option<&Val>,
    end: Option<&Val>,
) -> Result<(usize, usize), Val> {
    let out_of_range = |which: &str, v: &Val| {
        error(
            format!("{who}: {which} index out of range"),
            vec![v.clone()],
        )
    };
    let e = match end {
        Some(v) => match index_arg(who, v)? {
            e if e > len => return Err(out_of_range("end", v)),
            e => e,
        },
        None => len,
    };
    let s = match start {
        Some(v) => match index_arg(who, v)? {
            s if s > e => return Err(out_of_range("start", v)),
            s => s,
        },
        None => 0,
    };
    Ok((s, e))
}

fn vector_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Vector(_))))
}

/// `(make-vector k [fill])`; the fill defaults to `#f`.
fn make_vector(args: &[Val]) -> PrimResult {
    let n = length_arg("make-vector", &args[0])?;
    let fill = args.get(1).cloned().unwrap_or(Val::bool(false));
    heap::reserve_items(n, std::mem::size_of::<Val>())?;
    let mut items = Vec::new();
    items
        .try_reserve_exact(n)
        .map_err(|_| error("make-vector: not enough memory", vec![args[0].clone()]))?;
    items.resize(n, fill);
    Ok(Val::vector(items))
}

fn vector(args: &[Val]) -> PrimResult {
    Ok(Val::vector(args.to_vec()))
}

fn vector_length(args: &[Val]) -> PrimResult {
    let items = vector_arg("vector-length", &args[0])?;
    Ok(Val::Int(i64::try_from(items.len()).unwrap_or(i64::MAX)))
}

fn vector_ref(args: &[Val]) -> PrimResult {
    let items = vector_arg("vector-ref", &args[0])?;
    let k = index_arg("vector-ref", &args[1])?;
    items
        .get(k)
        .cloned()
        .ok_or_else(|| error("vector-ref: index out of range", vec![args[1].clone()]))
}

fn vector_to_list(args: &[Val]) -> PrimResult {
    let items = vector_arg("vector->list", &args[0])?;
    let (s, e) = range_args("vector->list", items.len(), args.get(1), args.get(2))?;
    Ok(Val::list(items[s..e].iter().cloned()))
}

fn list_to_vector(args: &[Val]) -> PrimResult {
    Ok(Val::vector(list_items("list->vector", &args[0])?))
}

fn vector_copy(args: &[Val]) -> PrimResult {
    let items = vector_arg("vector-copy", &args[0])?;
    let (s, e) = range_args("vector-copy", items.len(), args.get(1), args.get(2))?;
    Ok(Val::vector(items[s..e].to_vec()))
}

/// `(subvector v start end)`: `vector-copy` with both bounds required.
fn subvector(args: &[Val]) -> PrimResult {
    let items = vector_arg("subvector", &args[0])?;
    let (s, e) = range_args("subvector", items.len(), Some(&args[1]), Some(&args[2]))?;
    Ok(Val::vector(items[s..e].to_vec()))
}

fn vector_append(args: &[Val]) -> PrimResult {
    let mut parts = Vec::with_capacity(args.len());
    for arg in args {
        parts.push(vector_arg("vector-append", arg)?);
    }
    // The same vector may be passed many times: reserve the whole result.
    let n = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    heap::reserve_items(n, std::mem::size_of::<Val>())?;
    let out = parts.concat();
    Ok(Val::vector(out))
}

/// `(vector-set v k obj)`: a new vector with element `k` replaced.
fn vector_set(args: &[Val]) -> PrimResult {
    let items = vector_arg("vector-set", &args[0])?;
    let k = index_arg("vector-set", &args[1])?;
    if k >= items.len() {
        return Err(error(
            "vector-set: index out of range",
            vec![args[1].clone()],
        ));
    }
    let mut out = items.to_vec();
    out[k] = args[2].clone();
    Ok(Val::vector(out))
}

pub static PRIMS: &[Prim] = &[
    pure("vector?", 1, Some(1), vector_p),
    pure("make-vector", 1, Some(2), make_vector),
    pure("vector", 0, None, vector),
    pure("vector-length", 1, Some(1), vector_length),
    pure("vector-ref", 2, Some(2), vector_ref),
    pure("vector->list", 1, Some(3), vector_to_list),
    pure("list->vector", 1, Some(1), list_to_vector),
    pure("vector-copy", 1, Some(3), vector_copy),
    pure("subvector", 3, Some(3), subvector),
    pure("vector-append", 0, None, vector_append),
    pure("vector-set", 3, Some(3), vector_set),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::lists::tests::{err, ints, ok};
    use crate::values::printer::write_string;

    fn vec_of(xs: impl IntoIterator<Item = i64>) -> Val {
        Val::vector(xs.into_iter().map(Val::Int).collect())
    }

    #[test]
    fn construction() {
        assert_eq!(ok(vector_p(&[vec_of([])])), "#t");
        assert_eq!(ok(vector_p(&[ints([1])])), "#f");
        assert_eq!(ok(vector(&[])), "#()");
        assert_eq!(ok(vector(&[Val::Int(1), Val::str("a")])), r#"#(1 "a")"#);
        assert_eq!(ok(make_vector(&[Val::Int(3), Val::sym("x")])), "#(x x x)");
        assert_eq!(ok(make_vector(&[Val::Int(2)])), "#(#f #f)");
        assert_eq!(ok(make_vector(&[Val::Int(0)])), "#()");
        assert_eq!(
            err(make_vector(&[Val::Int(-3)])),
            r#"#<error "make-vector: expected an exact non-negative integer" -3>"#
        );
        assert_eq!(
            err(make_vector(&[Val::Int(i64::MAX)])),
            r#"#<error "make-vector: length too large (the limit is 100000000)" 9223372036854775807>"#
        );
    }

    #[test]
    fn length_and_ref() {
        let v = vec_of([10, 20, 30]);
        assert_eq!(ok(vector_length(std::slice::from_ref(&v))), "3");
        assert_eq!(
            err(vector_length(&[ints([1])])),
            r#"#<error "vector-length: expected a vector" (1)>"#
        );
        assert_eq!(ok(vector_ref(&[v.clone(), Val::Int(0)])), "10");
        assert_eq!(ok(vector_ref(&[v.clone(), Val::Int(2)])), "30");
        assert_eq!(
            err(vector_ref(&[v.clone(), Val::Int(3)])),
            r#"#<error "vector-ref: index out of range" 3>"#
        );
        assert_eq!(
            err(vector_ref(&[v, Val::Int(-1)])),
            r#"#<error "vector-ref: expected an exact non-negative integer" -1>"#
        );
        assert_eq!(
            err(vector_ref(&[Val::Null, Val::Int(0)])),
            r#"#<error "vector-ref: expected a vector" ()>"#
        );
    }

    #[test]
    fn conversions_with_ranges() {
        let v = vec_of([1, 2, 3, 4]);
        assert_eq!(ok(vector_to_list(std::slice::from_ref(&v))), "(1 2 3 4)");
        assert_eq!(ok(vector_to_list(&[v.clone(), Val::Int(1)])), "(2 3 4)");
        assert_eq!(
            ok(vector_to_list(&[v.clone(), Val::Int(1), Val::Int(3)])),
            "(2 3)"
        );
        assert_eq!(
            ok(vector_to_list(&[v.clone(), Val::Int(4), Val::Int(4)])),
            "()"
        );
        assert_eq!(
            err(vector_to_list(&[v.clone(), Val::Int(0), Val::Int(5)])),
            r#"#<error "vector->list: end index out of range" 5>"#
        );
        assert_eq!(
            err(vector_to_list(&[v.clone(), Val::Int(3), Val::Int(2)])),
            r#"#<error "vector->list: start index out of range" 3>"#
        );
        assert_eq!(
            err(vector_to_list(&[v, Val::Int(5)])),
            r#"#<error "vector->list: start index out of range" 5>"#
        );
        assert_eq!(ok(list_to_vector(&[ints([1, 2])])), "#(1 2)");
        assert_eq!(ok(list_to_vector(&[Val::Null])), "#()");
        assert_eq!(
            err(list_to_vector(&[Val::cons(Val::Int(1), Val::Int(2))])),
            r#"#<error "list->vector: expected a proper list" (1 . 2)>"#
        );
    }

    #[test]
    fn million_elements_round_trip() {
        let v = list_to_vector(&[ints(0..1_000_000)]).unwrap();
        assert_eq!(ok(vector_length(std::slice::from_ref(&v))), "1000000");
        assert_eq!(ok(vector_ref(&[v.clone(), Val::Int(999_999)])), "999999");
        let back = vector_to_list(&[v]).unwrap();
        assert!(crate::values::equality::equal(&back, &ints(0..1_000_000)));
    }

    #[test]
    fn copies_are_new_vectors() {
        let v = vec_of([1, 2, 3]);
        let copy = vector_copy(std::slice::from_ref(&v)).unwrap();
        assert_eq!(write_string(&copy), "#(1 2 3)");
        assert!(!crate::values::equality::eqv(&copy, &v));
        assert_eq!(ok(vector_copy(&[v.clone(), Val::Int(2)])), "#(3)");
        assert_eq!(
            ok(vector_copy(&[v.clone(), Val::Int(0), Val::Int(2)])),
            "#(1 2)"
        );
        assert_eq!(
            err(vector_copy(&[v.clone(), Val::Int(0), Val::Int(9)])),
            r#"#<error "vector-copy: end index out of range" 9>"#
        );
        assert_eq!(
            ok(subvector(&[v.clone(), Val::Int(1), Val::Int(3)])),
            "#(2 3)"
        );
        assert_eq!(
            err(subvector(&[v.clone(), Val::Int(2), Val::Int(1)])),
            r#"#<error "subvector: start index out of range" 2>"#
        );
        assert_eq!(
            err(subvector(&[v, Val::Int(0), Val::real(1.0)])),
            r#"#<error "subvector: expected an exact non-negative integer" 1.0>"#
        );
    }

    #[test]
    fn append_vectors() {
        assert_eq!(ok(vector_append(&[])), "#()");
        assert_eq!(
            ok(vector_append(&[vec_of([1]), vec_of([]), vec_of([2, 3])])),
            "#(1 2 3)"
        );
        assert_eq!(
            err(vector_append(&[vec_of([1]), ints([2])])),
            r#"#<error "vector-append: expected a vector" (2)>"#
        );
    }

    #[test]
    fn vector_set_is_functional() {
        let v = vec_of([1, 2, 3]);
        assert_eq!(
            ok(vector_set(&[v.clone(), Val::Int(1), Val::sym("x")])),
            "#(1 x 3)"
        );
        assert_eq!(write_string(&v), "#(1 2 3)");
        assert_eq!(
            err(vector_set(&[v.clone(), Val::Int(3), Val::Int(0)])),
            r#"#<error "vector-set: index out of range" 3>"#
        );
        assert_eq!(
            err(vector_set(&[vec_of([]), Val::Int(0), Val::Int(0)])),
            r#"#<error "vector-set: index out of range" 0>"#
        );
        assert!(PRIMS.iter().all(|p| !p.name.ends_with('!')));
    }
}
