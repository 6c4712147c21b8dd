//! Immutable maps (SPEC "Data"): every update returns a new map, and keys are
//! plain data kept in the total order of `equality::compare`, so iteration is deterministic.

use super::lists::{list_items, pure};
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, MapImpl, Val};

fn map_arg<'a>(who: &str, v: &'a Val) -> Result<&'a MapImpl, Val> {
    match v {
        Val::Map(m) => Ok(m),
        other => Err(type_error(who, "a map", other)),
    }
}

/// Only plain data may be a key: it is what the order is defined on, and a
/// map must be able to cross a flow boundary.
fn check_key(who: &str, key: &Val) -> Result<(), Val> {
    if key.is_plain() {
        Ok(())
    } else {
        Err(error(
            format!("{who}: keys must be plain data"),
            vec![key.clone()],
        ))
    }
}

/// Insert alternating keys and values into `map`; later duplicates win.
fn insert_pairs(who: &str, map: &mut MapImpl, kvs: &[Val]) -> Result<(), Val> {
    if !kvs.len().is_multiple_of(2) {
        let key = kvs.last().cloned().unwrap_or(Val::Null);
        return Err(error(format!("{who}: missing value for key"), vec![key]));
    }
    for kv in kvs.chunks_exact(2) {
        check_key(who, &kv[0])?;
        map.insert(kv[0].clone(), kv[1].clone());
    }
    Ok(())
}

fn hash_map(args: &[Val]) -> PrimResult {
    let mut map = MapImpl::new();
    insert_pairs("hash-map", &mut map, args)?;
    Ok(Val::map(map))
}

fn map_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Map(_))))
}

/// `(map-get m k [default])`: a missing key gives `default`, or `#f`.
/// Looking up a key that is not plain data just misses.
fn map_get(args: &[Val]) -> PrimResult {
    let map = map_arg("map-get", &args[0])?;
    Ok(match map.get(&args[1]) {
        Some(v) => v.clone(),
        None => args.get(2).cloned().unwrap_or(Val::bool(false)),
    })
}

fn map_set(args: &[Val]) -> PrimResult {
    let mut map = map_arg("map-set", &args[0])?.clone();
    insert_pairs("map-set", &mut map, &args[1..])?;
    Ok(Val::map(map))
}

fn map_remove(args: &[Val]) -> PrimResult {
    let mut map = map_arg("map-remove", &args[0])?.clone();
    for key in &args[1..] {
        map.remove(key);
    }
    Ok(Val::map(map))
}

fn map_has(args: &[Val]) -> PrimResult {
    let map = map_arg("map-has?", &args[0])?;
    Ok(Val::bool(map.contains_key(&args[1])))
}

fn map_keys(args: &[Val]) -> PrimResult {
    let map = map_arg("map-keys", &args[0])?;
    Ok(Val::list(map.keys().cloned()))
}

fn map_values(args: &[Val]) -> PrimResult {
    let map = map_arg("map-values", &args[0])?;
    Ok(Val::list(map.values().cloned()))
}

fn map_size(args: &[Val]) -> PrimResult {
    let map = map_arg("map-size", &args[0])?;
    Ok(Val::Int(i64::try_from(map.len()).unwrap_or(i64::MAX)))
}

fn map_to_alist(args: &[Val]) -> PrimResult {
    let map = map_arg("map->alist", &args[0])?;
    Ok(Val::list(
        map.iter().map(|(k, v)| Val::cons(k.clone(), v.clone())),
    ))
}

/// `(alist->map alist)`: when a key repeats, the later pair wins (unlike
/// `assoc`, which finds the first), so an alist can be extended by appending.
fn alist_to_map(args: &[Val]) -> PrimResult {
    let mut map = MapImpl::new();
    for entry in list_items("alist->map", &args[0])? {
        let Val::Pair(p) = &entry else {
            return Err(type_error("alist->map", "a pair", &entry));
        };
        check_key("alist->map", &p.car)?;
        map.insert(p.car.clone(), p.cdr.clone());
    }
    Ok(Val::map(map))
}

/// `(map-merge m ...)`: the union of the maps; for a shared key, the later map wins.
fn map_merge(args: &[Val]) -> PrimResult {
    let mut acc = MapImpl::new();
    for arg in args {
        // `union` keeps the receiver's value on a shared key.
        acc = map_arg("map-merge", arg)?.clone().union(acc);
    }
    Ok(Val::map(acc))
}

pub static PRIMS: &[Prim] = &[
    pure("hash-map", 0, None, hash_map),
    pure("map?", 1, Some(1), map_p),
    pure("map-get", 2, Some(3), map_get),
    pure("get", 2, Some(3), map_get),
    pure("map-set", 3, None, map_set),
    pure("map-remove", 1, None, map_remove),
    pure("map-has?", 2, Some(2), map_has),
    pure("map-keys", 1, Some(1), map_keys),
    pure("map-values", 1, Some(1), map_values),
    pure("map-size", 1, Some(1), map_size),
    pure("map->alist", 1, Some(1), map_to_alist),
    pure("alist->map", 1, Some(1), alist_to_map),
    pure("map-merge", 0, None, map_merge),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::lists::tests::{err, ints, ok, syms};
    use crate::values::printer::write_string;
    use crate::values::symbol::Symbol;

    fn kw(name: &str) -> Val {
        Val::Keyword(Symbol::intern(name))
    }

    /// `{:a 1 :b 2}`
    fn ab() -> Val {
        hash_map(&[kw("a"), Val::Int(1), kw("b"), Val::Int(2)]).unwrap()
    }

    fn a_procedure() -> Val {
        Val::Prim(&PRIMS[0])
    }

    #[test]
    fn hash_map_builds_in_key_order() {
        assert_eq!(ok(hash_map(&[])), "{}");
        assert_eq!(
            ok(hash_map(&[kw("b"), Val::Int(2), kw("a"), Val::Int(1)])),
            "{:a 1 :b 2}"
        );
        // A repeated key keeps the later value.
        assert_eq!(
            ok(hash_map(&[kw("a"), Val::Int(1), kw("a"), Val::Int(9)])),
            "{:a 9}"
        );
        assert_eq!(
            err(hash_map(&[kw("a"), Val::Int(1), kw("b")])),
            r#"#<error "hash-map: missing value for key" :b>"#
        );
        assert_eq!(
            err(hash_map(&[a_procedure(), Val::Int(1)])),
            r#"#<error "hash-map: keys must be plain data" #<procedure hash-map>>"#
        );
        // Values need not be plain.
        assert_eq!(
            ok(hash_map(&[kw("f"), a_procedure()])),
            "{:f #<procedure hash-map>}"
        );
    }

    #[test]
    fn keys_follow_the_total_order_of_values() {
        let keys = [
            Val::sym("sym"),
            Val::vector(vec![Val::Int(1)]),
            Val::str("str"),
            kw("kw"),
            ints([1, 2]),
            Val::Int(3),
            Val::char('c'),
            Val::bool(true),
            Val::Null,
        ];
        let mut kvs = Vec::new();
        for (i, k) in keys.into_iter().enumerate() {
            kvs.push(k);
            kvs.push(Val::Int(i as i64));
        }
        let m = hash_map(&kvs).unwrap();
        assert_eq!(
            ok(map_keys(std::slice::from_ref(&m))),
            r#"(() #t 3 #\c "str" sym :kw (1 2) #(1))"#
        );
        assert_eq!(
            ok(map_values(std::slice::from_ref(&m))),
            "(8 7 5 6 2 0 3 4 1)"
        );

        let nums = hash_map(&[
            Val::Int(10),
            Val::Null,
            Val::Int(-5),
            Val::Null,
            Val::Int(2),
            Val::Null,
        ])
        .unwrap();
        assert_eq!(ok(map_keys(&[nums])), "(-5 2 10)");
        let strs = hash_map(&[
            Val::str("c"),
            Val::Null,
            Val::str("ba"),
            Val::Null,
            Val::str("b"),
            Val::Null,
        ])
        .unwrap();
        assert_eq!(ok(map_keys(&[strs])), r#"("b" "ba" "c")"#);
        let symbols =
            hash_map(&[Val::sym("zeta"), Val::Null, Val::sym("alpha"), Val::Null]).unwrap();
        assert_eq!(ok(map_keys(&[symbols])), "(alpha zeta)");
    }

    #[test]
    fn exact_and_inexact_numbers_are_distinct_keys() {
        let m = hash_map(&[
            Val::real(1.0),
            Val::sym("inexact"),
            Val::Int(1),
            Val::sym("exact"),
        ])
        .unwrap();
        assert_eq!(ok(map_size(std::slice::from_ref(&m))), "2");
        assert_eq!(ok(map_keys(std::slice::from_ref(&m))), "(1 1.0)");
        assert_eq!(ok(map_get(&[m.clone(), Val::Int(1)])), "exact");
        assert_eq!(ok(map_get(&[m, Val::real(1.0)])), "inexact");
    }

    #[test]
    fn get_with_and_without_default() {
        let m = ab();
        assert_eq!(ok(map_get(&[m.clone(), kw("a")])), "1");
        assert_eq!(ok(map_get(&[m.clone(), kw("z")])), "#f");
        assert_eq!(ok(map_get(&[m.clone(), kw("z"), Val::Int(0)])), "0");
        assert_eq!(ok(map_get(&[m.clone(), kw("b"), Val::Int(0)])), "2");
        // A symbol is not the keyword of the same name.
        assert_eq!(ok(map_get(&[m.clone(), Val::sym("a")])), "#f");
        // Looking up something that could never be a key simply misses.
        assert_eq!(ok(map_get(&[m, a_procedure()])), "#f");
        assert_eq!(
            err(map_get(&[ints([1]), kw("a")])),
            r#"#<error "map-get: expected a map" (1)>"#
        );
        let get = PRIMS.iter().find(|p| p.name == "get").map(|p| p.max_args);
        assert_eq!(get, Some(Some(3)));
    }

    #[test]
    fn compound_keys_are_found_by_value() {
        let m = hash_map(&[
            ints([1, 2]),
            Val::sym("list"),
            Val::str("s"),
            Val::sym("str"),
        ])
        .unwrap();
        assert_eq!(ok(map_get(&[m.clone(), ints([1, 2])])), "list");
        assert_eq!(ok(map_get(&[m.clone(), Val::str("s")])), "str");
        assert_eq!(ok(map_has(&[m, ints([1])])), "#f");
    }

    #[test]
    fn set_and_remove_return_new_maps() {
        let m = ab();
        assert_eq!(
            ok(map_set(&[m.clone(), kw("c"), Val::Int(3)])),
            "{:a 1 :b 2 :c 3}"
        );
        assert_eq!(
            ok(map_set(&[
                m.clone(),
                kw("a"),
                Val::Int(0),
                kw("d"),
                Val::Int(4)
            ])),
            "{:a 0 :b 2 :d 4}"
        );
        assert_eq!(write_string(&m), "{:a 1 :b 2}");
        assert_eq!(
            err(map_set(&[m.clone(), kw("c"), Val::Int(3), kw("d")])),
            r#"#<error "map-set: missing value for key" :d>"#
        );
        assert_eq!(
            err(map_set(&[m.clone(), a_procedure(), Val::Int(3)])),
            r#"#<error "map-set: keys must be plain data" #<procedure hash-map>>"#
        );
        let hidden = Val::list([Val::Int(1), a_procedure()]);
        assert_eq!(
            err(map_set(&[m.clone(), hidden, Val::Int(3)])),
            r#"#<error "map-set: keys must be plain data" (1 #<procedure hash-map>)>"#
        );
        assert_eq!(
            err(map_set(&[Val::Null, kw("a"), Val::Int(1)])),
            r#"#<error "map-set: expected a map" ()>"#
        );

        assert_eq!(ok(map_remove(&[m.clone(), kw("a")])), "{:b 2}");
        assert_eq!(ok(map_remove(&[m.clone(), kw("a"), kw("b")])), "{}");
        assert_eq!(ok(map_remove(&[m.clone(), kw("zz")])), "{:a 1 :b 2}");
        assert_eq!(ok(map_remove(std::slice::from_ref(&m))), "{:a 1 :b 2}");
        assert_eq!(write_string(&m), "{:a 1 :b 2}");
        assert_eq!(
            err(map_remove(&[Val::Int(1), kw("a")])),
            r#"#<error "map-remove: expected a map" 1>"#
        );

        // Adding then removing a key gives a map equal? to the original.
        let round = map_set(&[m.clone(), kw("x"), Val::Int(1)]).unwrap();
        let round = map_remove(&[round, kw("x")]).unwrap();
        assert!(crate::values::equality::equal(&round, &m));
    }

    #[test]
    fn queries() {
        let m = ab();
        assert_eq!(ok(map_p(std::slice::from_ref(&m))), "#t");
        assert_eq!(ok(map_p(&[Val::Null])), "#f");
        assert_eq!(ok(map_has(&[m.clone(), kw("a")])), "#t");
        assert_eq!(ok(map_has(&[m.clone(), kw("c")])), "#f");
        assert_eq!(ok(map_size(std::slice::from_ref(&m))), "2");
        assert_eq!(ok(map_size(&[hash_map(&[]).unwrap()])), "0");
        assert_eq!(ok(map_keys(std::slice::from_ref(&m))), "(:a :b)");
        assert_eq!(ok(map_values(std::slice::from_ref(&m))), "(1 2)");
        assert_eq!(
            ok(map_to_alist(std::slice::from_ref(&m))),
            "((:a . 1) (:b . 2))"
        );
        for (f, name) in [
            (map_has as fn(&[Val]) -> PrimResult, "map-has?"),
            (map_keys, "map-keys"),
            (map_values, "map-values"),
            (map_size, "map-size"),
            (map_to_alist, "map->alist"),
        ] {
            assert_eq!(
                err(f(&[syms("a b"), kw("a")])),
                format!(r#"#<error "{name}: expected a map" (a b)>"#)
            );
        }
    }

    #[test]
    fn alist_conversion() {
        let alist = Val::list([
            Val::cons(Val::sym("b"), Val::Int(2)),
            Val::cons(Val::sym("a"), Val::Int(1)),
            Val::cons(Val::sym("b"), Val::Int(3)),
        ]);
        let m = alist_to_map(&[alist]).unwrap();
        assert_eq!(write_string(&m), "{a 1 b 3}");
        assert_eq!(ok(map_to_alist(&[m])), "((a . 1) (b . 3))");
        assert_eq!(ok(alist_to_map(&[Val::Null])), "{}");
        assert_eq!(
            err(alist_to_map(&[Val::list([
                Val::cons(Val::Int(1), Val::Int(2)),
                Val::Int(3)
            ])])),
            r#"#<error "alist->map: expected a pair" 3>"#
        );
        assert_eq!(
            err(alist_to_map(&[Val::cons(
                Val::cons(Val::Int(1), Val::Int(2)),
                Val::Int(3)
            )])),
            r#"#<error "alist->map: expected a proper list" ((1 . 2) . 3)>"#
        );
        assert_eq!(
            err(alist_to_map(&[Val::list([Val::cons(
                a_procedure(),
                Val::Int(2)
            )])])),
            r#"#<error "alist->map: keys must be plain data" #<procedure hash-map>>"#
        );
    }

    #[test]
    fn merge_prefers_later_maps() {
        assert_eq!(ok(map_merge(&[])), "{}");
        assert_eq!(ok(map_merge(&[ab()])), "{:a 1 :b 2}");
        let other = hash_map(&[kw("b"), Val::Int(20), kw("c"), Val::Int(30)]).unwrap();
        assert_eq!(ok(map_merge(&[ab(), other.clone()])), "{:a 1 :b 20 :c 30}");
        assert_eq!(ok(map_merge(&[other.clone(), ab()])), "{:a 1 :b 2 :c 30}");
        let last = hash_map(&[kw("a"), Val::Int(100)]).unwrap();
        assert_eq!(
            ok(map_merge(&[ab(), other.clone(), last])),
            "{:a 100 :b 20 :c 30}"
        );
        assert_eq!(
            err(map_merge(&[ab(), Val::Int(1)])),
            r#"#<error "map-merge: expected a map" 1>"#
        );
    }

    #[test]
    fn a_large_map_iterates_in_order() {
        let mut kvs = Vec::new();
        for i in (0..10_000).rev() {
            kvs.push(Val::Int(i));
            kvs.push(Val::Int(-i));
        }
        let m = hash_map(&kvs).unwrap();
        let keys = map_keys(std::slice::from_ref(&m)).unwrap();
        assert!(crate::values::equality::equal(&keys, &ints(0..10_000)));
        assert_eq!(ok(map_get(&[m, Val::Int(9_999)])), "-9999");
    }
}
