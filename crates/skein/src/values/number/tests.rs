//! Unit tests of `number.rs`.

use super::*;

fn p(s: &str) -> Val {
    parse_number(s, 10).unwrap_or_else(|| panic!("{s} should parse"))
}

fn show(v: &Val) -> String {
    format_number(v, 10)
}

fn big(s: &str) -> Val {
    normalize_big(BigInt::parse_bytes(s.as_bytes(), 10).unwrap())
}

#[test]
fn parses_integers_of_any_size() {
    assert!(matches!(p("42"), Val::Int(42)));
    assert!(matches!(p("-17"), Val::Int(-17)));
    assert!(matches!(p("+5"), Val::Int(5)));
    assert!(matches!(p("9223372036854775807"), Val::Int(i64::MAX)));
    assert!(matches!(p("-9223372036854775808"), Val::Int(i64::MIN)));
    assert!(matches!(p("9223372036854775808"), Val::Big(_)));
    let two_100 = "1267650600228229401496703205376";
    assert_eq!(show(&p(two_100)), two_100);
    assert_eq!(show(&p(&format!("-{two_100}"))), format!("-{two_100}"));
}

#[test]
fn parses_decimals() {
    for (text, want) in [
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e10", 1e10),
        ("1.5E-3", 1.5e-3),
        ("-0.0", -0.0),
        ("+.25", 0.25),
        ("1.e2", 100.0),
        ("1e400", f64::INFINITY),
    ] {
        match p(text) {
            Val::Real(f) => {
                let f = f.get();
                assert_eq!(f, want, "{text}");
                assert_eq!(f.is_sign_negative(), want.is_sign_negative(), "{text}");
            }
            other => panic!("{text} gave {other:?}"),
        }
    }
}

#[test]
fn parses_rationals_normalised() {
    assert_eq!(show(&p("1/3")), "1/3");
    assert_eq!(show(&p("-6/4")), "-3/2");
    assert!(matches!(p("4/2"), Val::Int(2)));
    assert!(matches!(p("0/5"), Val::Int(0)));
}

#[test]
fn parses_prefixes_in_either_order() {
    assert!(matches!(p("#x10"), Val::Int(16)));
    assert!(matches!(p("#XfF"), Val::Int(255)));
    assert!(matches!(p("#x-ff"), Val::Int(-255)));
    assert!(matches!(p("#o17"), Val::Int(15)));
    assert!(matches!(p("#b-101"), Val::Int(-5)));
    assert!(matches!(p("#d99"), Val::Int(99)));
    assert!(matches!(p("#e#x10"), Val::Int(16)));
    assert!(matches!(p("#x#e10"), Val::Int(16)));
    assert!(matches!(p("#i#x10"), Val::Real(f) if f.get() == 16.0));
    assert_eq!(show(&p("#x1/A")), "1/10");
    assert!(parse_number("#b1e1", 10).is_none());
    assert!(matches!(p("#x1e1"), Val::Int(0x1e1)));
}

#[test]
fn exactness_prefixes_convert() {
    assert_eq!(show(&p("#e1.5")), "3/2");
    assert_eq!(show(&p("#e-.25")), "-1/4");
    assert_eq!(show(&p("#e1.5e-3")), "3/2000");
    assert_eq!(show(&p("#e1e3")), "1000");
    assert_eq!(show(&p("#e1.2e1")), "12");
    assert_eq!(show(&p("#e0e99999999999999")), "0");
    assert!(matches!(p("#i1/3"), Val::Real(f) if f.get() == 1.0 / 3.0));
    assert!(matches!(p("#i5"), Val::Real(f) if f.get() == 5.0));
    assert!(parse_number("#e1e999999999", 10).is_none());
    assert!(parse_number("#e+inf.0", 10).is_none());
}

#[test]
fn parses_infinities_and_nan() {
    assert!(matches!(p("+inf.0"), Val::Real(f) if f.get() == f64::INFINITY));
    assert!(matches!(p("-inf.0"), Val::Real(f) if f.get() == f64::NEG_INFINITY));
    assert!(matches!(p("+nan.0"), Val::Real(f) if f.get().is_nan()));
    assert!(matches!(p("-nan.0"), Val::Real(f) if f.get().is_nan()));
    assert!(matches!(p("+INF.0"), Val::Real(f) if f.get() == f64::INFINITY));
    assert!(matches!(p("#i-inf.0"), Val::Real(f) if f.get() == f64::NEG_INFINITY));
}

#[test]
fn rejects_non_numbers() {
    for text in [
        "",
        "+",
        "-",
        "...",
        ".",
        "+.",
        "1+",
        "abc",
        "1/0",
        "1/-2",
        "-/2",
        "1e",
        "e1",
        "1e+",
        "--1",
        "+-1",
        "#x",
        "#",
        "#e#e1",
        "#x#o1",
        "1.5/2",
        "1/2.0",
        "#x1.0",
        "inf.0",
        "nan.0",
        "inf",
        "nan",
        "infinity",
        "+infinity",
        "1_000",
        "0x10",
        "1..2",
        "1e1.5",
        "#b2",
        "#o8",
        "#q1",
        " 1",
        "1 ",
        "١",
        "#xé",
    ] {
        assert!(parse_number(text, 10).is_none(), "{text:?} parsed");
    }
}

#[test]
fn default_radix_applies_without_prefix() {
    assert!(matches!(parse_number("ff", 16), Some(Val::Int(255))));
    assert!(matches!(parse_number("101", 2), Some(Val::Int(5))));
    assert!(matches!(parse_number("#d10", 2), Some(Val::Int(10))));
    assert!(parse_number("1.5", 16).is_none());
    assert!(parse_number("12", 2).is_none());
    assert!(parse_number("1", 7).is_none());
}

#[test]
fn formats_floats_readably() {
    for (f, want) in [
        (1.0, "1.0"),
        (0.5, "0.5"),
        (-0.0, "-0.0"),
        (100.0, "100.0"),
        (1e21, "1e21"),
        (1.5e-7, "1.5e-7"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (f64::INFINITY, "+inf.0"),
        (f64::NEG_INFINITY, "-inf.0"),
        (f64::NAN, "+nan.0"),
        (-f64::NAN, "+nan.0"),
    ] {
        assert_eq!(format_f64(f), want);
    }
}

#[test]
fn floats_round_trip() {
    for f in [
        0.1,
        1.0 / 3.0,
        -2.5e-300,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e16,
        123456789012345680.0,
        -0.0,
    ] {
        let text = format_f64(f);
        match parse_number(&text, 10) {
            Some(Val::Real(g)) => assert_eq!(g.get().to_bits(), f.to_bits(), "{text}"),
            other => panic!("{text} read back as {other:?}"),
        }
    }
}

#[test]
fn exact_numbers_round_trip_in_every_radix() {
    for text in [
        "0",
        "-1",
        "1267650600228229401496703205376",
        "-7/9",
        "9223372036854775808",
    ] {
        let v = p(text);
        for radix in [2, 8, 10, 16] {
            let written = format_number(&v, radix);
            let back = parse_number(&written, radix).unwrap();
            assert_eq!(total_cmp(&v, &back), Ordering::Equal, "{text} in {radix}");
        }
    }
    assert_eq!(format_number(&Val::Int(255), 16), "ff");
    assert_eq!(format_number(&Val::Int(-5), 2), "-101");
    assert_eq!(format_number(&Val::Int(i64::MIN), 16), "-8000000000000000");
    assert_eq!(format_number(&p("-3/4"), 2), "-11/100");
}

#[test]
fn overflow_promotes_to_bignums() {
    let max = Val::Int(i64::MAX);
    let min = Val::Int(i64::MIN);
    assert_eq!(
        show(&add(&max, &Val::Int(1)).unwrap()),
        "9223372036854775808"
    );
    assert_eq!(
        show(&sub(&min, &Val::Int(1)).unwrap()),
        "-9223372036854775809"
    );
    assert_eq!(
        show(&mul(&min, &Val::Int(-1)).unwrap()),
        "9223372036854775808"
    );
    assert_eq!(show(&neg(&min)), "9223372036854775808");
    assert_eq!(
        show(&div(&min, &Val::Int(-1)).unwrap()),
        "9223372036854775808"
    );
    // And demotes back when the result fits.
    let back = sub(&add(&max, &Val::Int(1)).unwrap(), &Val::Int(1)).unwrap();
    assert!(matches!(back, Val::Int(i64::MAX)));
    assert!(matches!(neg(&neg(&min)), Val::Int(i64::MIN)));
}

#[test]
fn exactness_is_contagious() {
    assert!(matches!(add(&Val::Int(1), &Val::real(0.5)).unwrap(), Val::Real(f) if f.get() == 1.5));
    assert!(matches!(mul(&p("1/2"), &Val::real(4.0)).unwrap(), Val::Real(f) if f.get() == 2.0));
    assert_eq!(show(&add(&p("1/3"), &p("2/3")).unwrap()), "1");
    assert_eq!(show(&add(&p("1/3"), &Val::Int(1)).unwrap()), "4/3");
    assert_eq!(show(&div(&Val::Int(6), &Val::Int(4)).unwrap()), "3/2");
    assert!(matches!(
        div(&Val::Int(6), &Val::Int(3)).unwrap(),
        Val::Int(2)
    ));
    assert!(matches!(
        sub(&big("100000000000000000000"), &big("99999999999999999999")).unwrap(),
        Val::Int(1)
    ));
}

#[test]
fn division_by_zero() {
    assert!(div(&Val::Int(1), &Val::Int(0)).is_err());
    assert!(div(&p("1/2"), &Val::Int(0)).is_err());
    assert!(
        matches!(div(&Val::Int(1), &Val::real(0.0)).unwrap(), Val::Real(f) if f.get() == f64::INFINITY)
    );
    assert!(
        matches!(div(&Val::Int(-1), &Val::real(0.0)).unwrap(), Val::Real(f) if f.get() == f64::NEG_INFINITY)
    );
    assert!(
        matches!(div(&Val::real(0.0), &Val::Int(0)).unwrap(), Val::Real(f) if f.get().is_nan())
    );
}

#[test]
fn type_errors_name_the_operator() {
    let err = add(&Val::Int(1), &Val::bool(true)).unwrap_err();
    match err {
        Val::Error(e) => {
            assert_eq!(e.message, "+: expected a number");
            assert!(matches!(
                e.irritants[..],
                [Val::Bool(crate::values::value::BoolBits::TRUE)]
            ));
        }
        other => panic!("{other:?}"),
    }
    assert!(num_cmp(&Val::Int(1), &Val::str("x")).is_err());
}

#[test]
fn huge_products_are_refused() {
    let mut v = big("340282366920938463463374607431768211456");
    let mut refused = false;
    for _ in 0..40 {
        match mul(&v, &v) {
            Ok(next) => v = next,
            Err(_) => {
                refused = true;
                break;
            }
        }
    }
    assert!(refused);
}

#[test]
fn comparisons_are_exact_and_nan_is_unordered() {
    let c = |a: &Val, b: &Val| num_cmp(a, b).unwrap();
    assert_eq!(c(&Val::Int(1), &Val::real(1.0)), Some(Ordering::Equal));
    assert_eq!(c(&p("1/3"), &Val::real(1.0 / 3.0)), Some(Ordering::Greater));
    // 2^53 + 1 is not a float: it must not compare equal to 2^53 as a float.
    let n = Val::Int((1 << 53) + 1);
    assert_eq!(
        c(&n, &Val::real(9007199254740992.0)),
        Some(Ordering::Greater)
    );
    assert_eq!(
        c(&Val::Int(i64::MAX), &Val::real(i64::MAX as f64)),
        Some(Ordering::Less)
    );
    let huge = p("#e1e400");
    assert_eq!(c(&huge, &Val::real(f64::INFINITY)), Some(Ordering::Less));
    assert_eq!(c(&huge, &Val::real(f64::MAX)), Some(Ordering::Greater));
    assert_eq!(c(&Val::Int(1), &Val::real(f64::NAN)), None);
    assert_eq!(c(&Val::real(f64::NAN), &Val::real(f64::NAN)), None);
    assert_eq!(c(&Val::real(-0.0), &Val::Int(0)), Some(Ordering::Equal));
}

#[test]
fn total_order_for_map_keys() {
    let order = [
        Val::real(f64::NEG_INFINITY),
        big("-100000000000000000000"),
        Val::Int(-1),
        Val::real(-1.0),
        p("-1/2"),
        Val::Int(0),
        Val::real(-0.0),
        Val::real(0.0),
        // The float nearest 1/3 is slightly below it.
        Val::real(1.0 / 3.0),
        p("1/3"),
        Val::Int(1),
        Val::real(1.0),
        big("100000000000000000000"),
        Val::real(f64::INFINITY),
        Val::real(f64::NAN),
    ];
    for (i, a) in order.iter().enumerate() {
        for (j, b) in order.iter().enumerate() {
            assert_eq!(total_cmp(a, b), i.cmp(&j), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn exact_of_floats() {
    assert_eq!(
        show(&exact_of_f64(0.1).unwrap()),
        "3602879701896397/36028797018963968"
    );
    assert!(matches!(exact_of_f64(-3.0), Some(Val::Int(-3))));
    assert_eq!(show(&exact_of_f64(1e20).unwrap()), "100000000000000000000");
    assert!(exact_of_f64(f64::NAN).is_none());
    assert!(exact_of_f64(f64::INFINITY).is_none());
}

#[test]
fn gcd_handles_extreme_fixnums() {
    assert_eq!(
        show(&gcd(&Val::Int(i64::MIN), &Val::Int(0))),
        "9223372036854775808"
    );
    assert!(matches!(gcd(&Val::Int(-12), &Val::Int(18)), Val::Int(6)));
}

#[test]
fn logarithms_of_huge_numbers() {
    let v = mul(
        &big("1000000000000000000000000000000"),
        &big("1000000000000000000000000000000"),
    )
    .unwrap();
    let mut huge = v;
    for _ in 0..4 {
        huge = mul(&huge, &huge).unwrap();
    }
    // 10^960 is beyond the float range, yet its logarithm is not.
    let want = 960.0 * std::f64::consts::LN_10;
    assert!((ln_positive(&huge) - want).abs() < 1e-9 * want);
}
