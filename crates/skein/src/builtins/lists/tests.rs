//! Unit tests of `lists.rs`.

use super::*;
use crate::values::prim::PrimKind;
use crate::values::printer::write_string;

/// The written form of a successful result.
pub(crate) fn ok(r: PrimResult) -> String {
    write_string(&r.expect("expected success"))
}

/// The written form of the error object a primitive raised.
pub(crate) fn err(r: PrimResult) -> String {
    write_string(&r.expect_err("expected an error"))
}

pub(crate) fn ints(xs: impl IntoIterator<Item = i64>) -> Val {
    Val::list(xs.into_iter().map(Val::Int).collect::<Vec<_>>())
}

pub(crate) fn syms(names: &str) -> Val {
    Val::list(names.split_whitespace().map(Val::sym).collect::<Vec<_>>())
}

fn big_list() -> Val {
    ints(0..1_000_000)
}

#[test]
fn pairs() {
    let p = Val::cons(Val::Int(1), Val::Int(2));
    assert_eq!(ok(pair_p(std::slice::from_ref(&p))), "#t");
    assert_eq!(ok(pair_p(&[Val::Null])), "#f");
    assert_eq!(ok(cons(&[Val::Int(1), Val::Int(2)])), "(1 . 2)");
    assert_eq!(ok(car(std::slice::from_ref(&p))), "1");
    assert_eq!(ok(cdr(&[p])), "2");
    assert_eq!(
        err(car(&[Val::Int(5)])),
        r#"#<error "car: expected a pair" 5>"#
    );
    assert_eq!(
        err(cdr(&[Val::Null])),
        r#"#<error "cdr: expected a pair" ()>"#
    );
}

/// A full binary tree whose leaves name the path to them: `(cadr t)` is the
/// subtree reached by "d" then "a".
fn tree(depth: u32, label: String) -> Val {
    if depth == 0 {
        return Val::sym(&label);
    }
    Val::cons(
        tree(depth - 1, format!("{label}a")),
        tree(depth - 1, format!("{label}d")),
    )
}

#[test]
fn every_cxr_composes_car_and_cdr() {
    let t = tree(4, "x".into());
    let cxrs: Vec<&Prim> = PRIMS
        .iter()
        .filter(|p| p.name.len() > 3 && p.name.starts_with('c') && p.name.ends_with('r'))
        .filter(|p| {
            p.name[1..p.name.len() - 1]
                .bytes()
                .all(|b| b == b'a' || b == b'd')
        })
        .collect();
    assert_eq!(cxrs.len(), 4 + 8 + 16);
    for prim in cxrs {
        let PrimKind::Pure(f) = prim.kind else {
            panic!("{} is not pure", prim.name)
        };
        let path: String = prim.name[1..prim.name.len() - 1].chars().rev().collect();
        let mut expected = t.clone();
        for step in path.chars() {
            expected = if step == 'a' {
                car(&[expected]).unwrap()
            } else {
                cdr(&[expected]).unwrap()
            };
        }
        assert_eq!(
            ok(f(std::slice::from_ref(&t))),
            write_string(&expected),
            "{}",
            prim.name
        );
    }
    assert_eq!(ok(caddr(&[syms("a b c")])), "c");
    assert_eq!(ok(cadddr(&[syms("a b c d")])), "d");
    assert_eq!(ok(cdddr(&[syms("a b c")])), "()");
    assert_eq!(
        err(cadr(&[syms("a")])),
        r#"#<error "cadr: expected a pair" (a)>"#
    );
    assert_eq!(
        err(cddddr(&[syms("a b c")])),
        r#"#<error "cddddr: expected a pair" (a b c)>"#
    );
}

#[test]
fn list_predicates() {
    assert_eq!(ok(null_p(&[Val::Null])), "#t");
    assert_eq!(ok(null_p(&[ints([1])])), "#f");
    assert_eq!(ok(list_p(&[Val::Null])), "#t");
    assert_eq!(ok(list_p(&[ints([1, 2])])), "#t");
    assert_eq!(ok(list_p(&[Val::cons(Val::Int(1), Val::Int(2))])), "#f");
    assert_eq!(ok(list_p(&[Val::Int(5)])), "#f");
    assert_eq!(ok(list_p(&[big_list()])), "#t");
}

#[test]
fn make_list_and_list() {
    assert_eq!(ok(make_list(&[Val::Int(3), Val::sym("x")])), "(x x x)");
    assert_eq!(ok(make_list(&[Val::Int(2)])), "(#f #f)");
    assert_eq!(ok(make_list(&[Val::Int(0)])), "()");
    assert_eq!(
        err(make_list(&[Val::Int(-1)])),
        r#"#<error "make-list: expected an exact non-negative integer" -1>"#
    );
    assert_eq!(
        err(make_list(&[Val::real(2.0)])),
        r#"#<error "make-list: expected an exact non-negative integer" 2.0>"#
    );
    assert_eq!(
        err(make_list(&[Val::Int(200_000_000)])),
        r#"#<error "make-list: length too large (the limit is 100000000)" 200000000>"#
    );
    let million = make_list(&[Val::Int(1_000_000), Val::Int(7)]).unwrap();
    assert_eq!(ok(length(&[million])), "1000000");
    assert_eq!(ok(list(&[])), "()");
    assert_eq!(ok(list(&[Val::Int(1), Val::str("a")])), r#"(1 "a")"#);
}

#[test]
fn length_of_lists() {
    assert_eq!(ok(length(&[Val::Null])), "0");
    assert_eq!(ok(length(&[ints([1, 2, 3])])), "3");
    assert_eq!(ok(length(&[big_list()])), "1000000");
    assert_eq!(
        err(length(&[Val::cons(Val::Int(1), Val::Int(2))])),
        r#"#<error "length: expected a proper list" (1 . 2)>"#
    );
    assert_eq!(
        err(length(&[Val::Int(1)])),
        r#"#<error "length: expected a proper list" 1>"#
    );
}

#[test]
fn append_lists() {
    assert_eq!(ok(append(&[])), "()");
    assert_eq!(ok(append(&[ints([1])])), "(1)");
    assert_eq!(ok(append(&[Val::Int(5)])), "5");
    assert_eq!(ok(append(&[ints([1]), Val::Int(5)])), "(1 . 5)");
    let dotted = Val::cons(Val::Int(4), Val::Int(5));
    assert_eq!(
        ok(append(&[ints([1, 2]), ints([3]), Val::Null, dotted])),
        "(1 2 3 4 . 5)"
    );
    // The last argument is shared, not copied.
    let tail = ints([3, 4]);
    let joined = append(&[ints([1, 2]), tail.clone()]).unwrap();
    assert!(crate::values::equality::eqv(
        &cddr(&[joined]).unwrap(),
        &tail
    ));
    assert_eq!(
        err(append(&[Val::cons(Val::Int(1), Val::Int(2)), ints([3])])),
        r#"#<error "append: expected a proper list" (1 . 2)>"#
    );
    assert_eq!(
        err(append(&[ints([1]), Val::Int(2), ints([3])])),
        r#"#<error "append: expected a proper list" 2>"#
    );
    let big = big_list();
    let doubled = append(&[big.clone(), big]).unwrap();
    assert_eq!(ok(length(std::slice::from_ref(&doubled))), "2000000");
    assert_eq!(ok(list_ref(&[doubled, Val::Int(1_999_999)])), "999999");
}

#[test]
fn reverse_lists() {
    assert_eq!(ok(reverse(&[Val::Null])), "()");
    assert_eq!(ok(reverse(&[ints([1, 2, 3])])), "(3 2 1)");
    assert_eq!(
        err(reverse(&[Val::cons(Val::Int(1), Val::Int(2))])),
        r#"#<error "reverse: expected a proper list" (1 . 2)>"#
    );
    let reversed = reverse(&[big_list()]).unwrap();
    assert_eq!(ok(car(std::slice::from_ref(&reversed))), "999999");
    assert_eq!(ok(last(std::slice::from_ref(&reversed))), "0");
    assert_eq!(ok(length(&[reversed])), "1000000");
}

#[test]
fn list_tail_and_ref() {
    let l = syms("a b c");
    assert_eq!(ok(list_tail(&[l.clone(), Val::Int(0)])), "(a b c)");
    assert_eq!(ok(list_tail(&[l.clone(), Val::Int(2)])), "(c)");
    assert_eq!(ok(list_tail(&[l.clone(), Val::Int(3)])), "()");
    assert_eq!(
        err(list_tail(&[l.clone(), Val::Int(4)])),
        r#"#<error "list-tail: index out of range" 4>"#
    );
    assert_eq!(ok(list_ref(&[l.clone(), Val::Int(0)])), "a");
    assert_eq!(ok(list_ref(&[l.clone(), Val::Int(2)])), "c");
    assert_eq!(
        err(list_ref(&[l.clone(), Val::Int(3)])),
        r#"#<error "list-ref: index out of range" 3>"#
    );
    assert_eq!(
        err(list_ref(&[l.clone(), Val::Int(-1)])),
        r#"#<error "list-ref: expected an exact non-negative integer" -1>"#
    );
    let huge = Val::Big(std::rc::Rc::new(crate::values::heap::Counted::new(
        BigInt::from(u64::MAX) * 4,
    )));
    assert_eq!(
        err(list_ref(&[l.clone(), huge])),
        r#"#<error "list-ref: index out of range" 73786976294838206460>"#
    );
    assert_eq!(
        err(list_ref(&[l, Val::sym("x")])),
        r#"#<error "list-ref: expected an exact non-negative integer" x>"#
    );
    assert_eq!(ok(list_ref(&[big_list(), Val::Int(999_999)])), "999999");
}

#[test]
fn list_copy_keeps_the_tail() {
    let dotted = Val::list_with_tail([Val::Int(1), Val::Int(2)], Val::Int(3));
    let copy = list_copy(std::slice::from_ref(&dotted)).unwrap();
    assert_eq!(write_string(&copy), "(1 2 . 3)");
    assert!(!crate::values::equality::eqv(&copy, &dotted));
    assert!(crate::values::equality::equal(&copy, &dotted));
    assert_eq!(ok(list_copy(&[Val::Int(5)])), "5");
    assert_eq!(ok(list_copy(&[Val::Null])), "()");
    let big = big_list();
    assert!(crate::values::equality::equal(
        &list_copy(std::slice::from_ref(&big)).unwrap(),
        &big
    ));
}

#[test]
fn last_pair_and_last() {
    assert_eq!(ok(last_pair(&[ints([1, 2, 3])])), "(3)");
    let dotted = Val::list_with_tail([Val::Int(1), Val::Int(2)], Val::Int(3));
    assert_eq!(ok(last_pair(&[dotted])), "(2 . 3)");
    assert_eq!(
        err(last_pair(&[Val::Null])),
        r#"#<error "last-pair: expected a pair" ()>"#
    );
    assert_eq!(ok(last(&[ints([1, 2, 3])])), "3");
    assert_eq!(ok(last(&[big_list()])), "999999");
    assert_eq!(
        err(last(&[Val::Null])),
        r#"#<error "last: expected a non-empty list" ()>"#
    );
}

#[test]
fn member_family() {
    assert_eq!(ok(memq(&[Val::sym("b"), syms("a b c")])), "(b c)");
    assert_eq!(ok(memq(&[Val::sym("z"), syms("a b c")])), "#f");
    assert_eq!(ok(memq(&[Val::Int(2), ints([1, 2, 3])])), "(2 3)");
    // memv distinguishes exactness; strings are compared by identity.
    assert_eq!(ok(memq(&[Val::real(2.0), ints([1, 2, 3])])), "#f");
    let strs = Val::list([Val::str("a"), Val::str("b")]);
    assert_eq!(ok(memq(&[Val::str("b"), strs.clone()])), "#f");
    assert_eq!(ok(member(&[Val::str("b"), strs])), r#"("b")"#);
    let nested = Val::list([ints([0]), ints([1]), ints([2])]);
    assert_eq!(ok(member(&[ints([1]), nested])), "((1) (2))");
    assert_eq!(ok(member(&[Val::Int(1), Val::Null])), "#f");
    // An improper tail ends the search.
    let dotted = Val::cons(Val::Int(1), Val::Int(2));
    assert_eq!(ok(memq(&[Val::Int(2), dotted])), "#f");
    assert_eq!(ok(member(&[Val::Int(999_999), big_list()])), "(999999)");
}

#[test]
fn assoc_family() {
    let alist = Val::list([
        Val::cons(Val::Int(1), Val::sym("one")),
        Val::cons(Val::Int(2), Val::sym("two")),
        Val::cons(Val::Int(2), Val::sym("deux")),
    ]);
    assert_eq!(ok(assv(&[Val::Int(2), alist.clone()])), "(2 . two)");
    assert_eq!(ok(assq(&[Val::Int(1), alist.clone()])), "(1 . one)");
    assert_eq!(ok(assv(&[Val::Int(3), alist.clone()])), "#f");
    assert_eq!(ok(assv(&[Val::real(1.0), alist])), "#f");
    let by_list = Val::list([Val::cons(ints([1, 2]), Val::sym("x"))]);
    assert_eq!(ok(assv(&[ints([1, 2]), by_list.clone()])), "#f");
    assert_eq!(ok(assoc(&[ints([1, 2]), by_list])), "((1 2) . x)");
    let bad = Val::list([Val::cons(Val::Int(1), Val::Int(2)), Val::Int(7)]);
    assert_eq!(
        err(assq(&[Val::Int(5), bad])),
        r#"#<error "assq: expected an association list entry (a pair)" 7>"#
    );
}

#[test]
fn iota_counts() {
    assert_eq!(ok(iota(&[Val::Int(5)])), "(0 1 2 3 4)");
    assert_eq!(ok(iota(&[Val::Int(0)])), "()");
    assert_eq!(ok(iota(&[Val::Int(3), Val::Int(1)])), "(1 2 3)");
    assert_eq!(
        ok(iota(&[Val::Int(3), Val::Int(0), Val::Int(-2)])),
        "(0 -2 -4)"
    );
    assert_eq!(
        ok(iota(&[Val::Int(3), Val::Int(0), Val::real(0.5)])),
        "(0.0 0.5 1.0)"
    );
    assert_eq!(
        ok(iota(&[Val::Int(3), Val::Int(i64::MAX - 1)])),
        "(9223372036854775806 9223372036854775807 9223372036854775808)"
    );
    let half = Val::Rat(std::rc::Rc::new(crate::values::heap::Counted::new(
        BigRational::new(1.into(), 2.into()),
    )));
    assert_eq!(ok(iota(&[Val::Int(3), half.clone(), half])), "(1/2 1 3/2)");
    assert_eq!(
        err(iota(&[Val::Int(-1)])),
        r#"#<error "iota: expected an exact non-negative integer" -1>"#
    );
    assert_eq!(
        err(iota(&[Val::Int(2), Val::sym("a")])),
        r#"#<error "iota: expected a number" a>"#
    );
    assert_eq!(
        err(iota(&[Val::Int(1_000_000_000)])),
        r#"#<error "iota: length too large (the limit is 100000000)" 1000000000>"#
    );
}

#[test]
fn list_set_is_functional() {
    let l = syms("a b c");
    let updated = list_set(&[l.clone(), Val::Int(1), Val::sym("x")]).unwrap();
    assert_eq!(write_string(&updated), "(a x c)");
    assert_eq!(write_string(&l), "(a b c)");
    assert!(crate::values::equality::eqv(
        &cddr(&[updated]).unwrap(),
        &cddr(std::slice::from_ref(&l)).unwrap()
    ));
    assert_eq!(
        ok(list_set(&[l.clone(), Val::Int(0), Val::Int(9)])),
        "(9 b c)"
    );
    assert_eq!(
        err(list_set(&[l, Val::Int(3), Val::Int(9)])),
        r#"#<error "list-set: index out of range" 3>"#
    );
    let big = list_set(&[big_list(), Val::Int(999_999), Val::sym("end")]).unwrap();
    assert_eq!(ok(last(&[big])), "end");
}

#[test]
fn delete_and_delete_duplicates() {
    assert_eq!(ok(delete(&[Val::Int(2), ints([1, 2, 3, 2])])), "(1 3)");
    assert_eq!(ok(delete(&[Val::Int(9), ints([1, 2])])), "(1 2)");
    let nested = Val::list([ints([1]), ints([2]), ints([1])]);
    assert_eq!(ok(delete(&[ints([1]), nested])), "((2))");
    assert_eq!(
        err(delete(&[Val::Int(1), Val::Int(1)])),
        r#"#<error "delete: expected a proper list" 1>"#
    );

    assert_eq!(ok(delete_duplicates(&[syms("a b a c b")])), "(a b c)");
    assert_eq!(ok(delete_duplicates(&[Val::Null])), "()");
    let strs = Val::list([Val::str("x"), Val::str("y"), Val::str("x")]);
    assert_eq!(ok(delete_duplicates(&[strs])), r#"("x" "y")"#);
    // Values that are not plain data fall back to pairwise `equal?`.
    let car_prim = Val::Prim(&PRIMS[2]);
    let cdr_prim = Val::Prim(&PRIMS[3]);
    let procs = Val::list([
        car_prim.clone(),
        Val::Int(1),
        cdr_prim,
        car_prim,
        Val::Int(1),
    ]);
    assert_eq!(
        ok(delete_duplicates(&[procs])),
        "(#<procedure car> 1 #<procedure cdr>)"
    );
    assert_eq!(
        err(delete_duplicates(&[Val::cons(Val::Int(1), Val::Int(2))])),
        r#"#<error "delete-duplicates: expected a proper list" (1 . 2)>"#
    );
    let repeated = ints((0..1_000_000).map(|i| i % 1000));
    let unique = delete_duplicates(&[repeated]).unwrap();
    assert!(crate::values::equality::equal(&unique, &ints(0..1000)));
}
