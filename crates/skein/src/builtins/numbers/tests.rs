//! Unit tests of `numbers.rs` and `math.rs`, the numeric primitives.

use super::*;
use crate::values::prim::PrimKind;

fn numeric_prims() -> impl Iterator<Item = &'static Prim> {
    PRIMS.iter().chain(crate::builtins::math::PRIMS)
}

fn call(name: &str, args: &[Val]) -> PrimResult {
    let prim = numeric_prims()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no primitive {name}"));
    assert!(args.len() >= prim.min_args, "{name}: too few arguments");
    assert!(
        prim.max_args.is_none_or(|max| args.len() <= max),
        "{name}: too many arguments"
    );
    match prim.kind {
        PrimKind::Pure(f) => f(args),
        _ => panic!("{name} is not pure"),
    }
}

/// Arguments written as number literals, `#t`, or `"text"`.
fn parse_args(args: &str) -> Vec<Val> {
    args.split_whitespace()
        .map(|a| match a {
            "#t" => Val::bool(true),
            _ if a.starts_with('"') => Val::str(a.trim_matches('"')),
            _ => number::parse_number(a, 10).unwrap_or_else(|| panic!("bad literal {a}")),
        })
        .collect()
}

fn show(v: &Val) -> String {
    match v {
        Val::Values(vs) => vs.iter().map(show).collect::<Vec<_>>().join(" "),
        Val::Bool(b) => if b.get() { "#t" } else { "#f" }.to_string(),
        Val::Str(s) => format!("{s:?}"),
        v => number::format_number(v, 10),
    }
}

/// The printed result of `(name args...)`.
fn ok(name: &str, args: &str) -> String {
    match call(name, &parse_args(args)) {
        Ok(v) => show(&v),
        Err(e) => panic!("({name} {args}) failed: {}", message(&e)),
    }
}

/// The error message of `(name args...)`, which must fail.
fn err(name: &str, args: &str) -> String {
    match call(name, &parse_args(args)) {
        Ok(v) => panic!("({name} {args}) gave {}", show(&v)),
        Err(e) => message(&e),
    }
}

fn message(e: &Val) -> String {
    match e {
        Val::Error(e) => e.message.clone(),
        other => panic!("not an error object: {}", show(other)),
    }
}

#[test]
fn type_predicates() {
    assert_eq!(ok("number?", "1/2"), "#t");
    assert_eq!(ok("number?", "#t"), "#f");
    assert_eq!(ok("real?", "+nan.0"), "#t");
    assert_eq!(ok("rational?", "1.5"), "#t");
    assert_eq!(ok("rational?", "+inf.0"), "#f");
    assert_eq!(ok("integer?", "3.0"), "#t");
    assert_eq!(ok("integer?", "3/2"), "#f");
    assert_eq!(ok("integer?", "+inf.0"), "#f");
    assert_eq!(ok("integer?", "#t"), "#f");
    assert_eq!(ok("exact?", "1/2"), "#t");
    assert_eq!(ok("exact?", "0.5"), "#f");
    assert_eq!(ok("inexact?", "0.5"), "#t");
    assert_eq!(err("exact?", "#t"), "exact?: expected a number");
    assert_eq!(ok("exact-integer?", "5"), "#t");
    assert_eq!(ok("exact-integer?", "5.0"), "#f");
    assert_eq!(ok("exact-rational?", "1/3"), "#t");
    assert_eq!(ok("exact-rational?", "0.5"), "#f");
    assert_eq!(ok("nan?", "+nan.0"), "#t");
    assert_eq!(ok("nan?", "1/2"), "#f");
    assert_eq!(ok("infinite?", "-inf.0"), "#t");
    assert_eq!(ok("finite?", "+inf.0"), "#f");
    assert_eq!(ok("finite?", "100000000000000000000000"), "#t");
}

#[test]
fn sign_and_parity_predicates() {
    assert_eq!(ok("zero?", "0"), "#t");
    assert_eq!(ok("zero?", "-0.0"), "#t");
    assert_eq!(ok("zero?", "1/2"), "#f");
    assert_eq!(ok("positive?", "1/2"), "#t");
    assert_eq!(ok("positive?", "0"), "#f");
    assert_eq!(ok("positive?", "+nan.0"), "#f");
    assert_eq!(ok("negative?", "-100000000000000000000"), "#t");
    assert_eq!(ok("negative?", "-0.0"), "#f");
    assert_eq!(ok("odd?", "3"), "#t");
    assert_eq!(ok("odd?", "-3"), "#t");
    assert_eq!(ok("even?", "100000000000000000000"), "#t");
    assert_eq!(ok("even?", "4.0"), "#t");
    assert_eq!(err("odd?", "1.5"), "odd?: expected an integer");
    assert_eq!(err("even?", "1/2"), "even?: expected an integer");
}

#[test]
fn comparisons_chain_and_handle_nan() {
    assert_eq!(ok("=", "1 1.0 2/2"), "#t");
    assert_eq!(ok("=", "7"), "#t");
    assert_eq!(ok("<", "1 2 3"), "#t");
    assert_eq!(ok("<", "1 3 2"), "#f");
    assert_eq!(ok("<=", "1 1 2"), "#t");
    assert_eq!(ok(">", "3 2.5 1/2"), "#t");
    assert_eq!(ok(">=", "3 3 4"), "#f");
    assert_eq!(ok("=", "+nan.0 +nan.0"), "#f");
    assert_eq!(ok("<", "1 +nan.0"), "#f");
    assert_eq!(ok(">=", "+nan.0 1"), "#f");
    assert_eq!(ok("=", "1/3 0.3333333333333333"), "#f");
    assert_eq!(ok("<", "9007199254740992.0 9007199254740993"), "#t");
    // Every argument is checked, even after the answer is known.
    assert_eq!(err("<", "2 1 #t"), "<: expected a number");
}

#[test]
fn max_and_min_are_contagious() {
    assert_eq!(ok("max", "1 3 2"), "3");
    assert_eq!(ok("max", "3 2.0"), "3.0");
    assert_eq!(ok("min", "1/2 1/3"), "1/3");
    assert_eq!(ok("min", "1 2.0"), "1.0");
    assert_eq!(ok("max", "1 +nan.0"), "+nan.0");
    assert_eq!(ok("max", "-inf.0"), "-inf.0");
    assert_eq!(err("min", "1 #t"), "min: expected a number");
}

#[test]
fn arithmetic() {
    assert_eq!(ok("+", ""), "0");
    assert_eq!(ok("*", ""), "1");
    assert_eq!(ok("+", "1 2 3"), "6");
    assert_eq!(ok("+", "-0.0"), "-0.0");
    assert_eq!(ok("+", "1/2 1/3"), "5/6");
    assert_eq!(ok("+", "1/2 0.5"), "1.0");
    assert_eq!(ok("-", "5"), "-5");
    assert_eq!(ok("-", "10 1 2"), "7");
    assert_eq!(ok("-", "1/2"), "-1/2");
    assert_eq!(ok("*", "2 3 4"), "24");
    assert_eq!(ok("*", "4294967296 4294967296"), "18446744073709551616");
    assert_eq!(ok("/", "2"), "1/2");
    assert_eq!(ok("/", "0.5"), "2.0");
    assert_eq!(ok("/", "12 2 3"), "2");
    assert_eq!(ok("/", "1 3"), "1/3");
    assert_eq!(ok("/", "1.0 0"), "+inf.0");
    assert_eq!(ok("/", "0 0.0"), "+nan.0");
    assert_eq!(err("/", "1 0"), "/: division by zero");
    assert_eq!(err("/", "0"), "/: division by zero");
    assert_eq!(err("+", "1 #t"), "+: expected a number");
    assert_eq!(err("+", "#t"), "+: expected a number");
    assert_eq!(err("-", "\"x\""), "-: expected a number");
    assert_eq!(ok("square", "-3"), "9");
    assert_eq!(ok("square", "1/2"), "1/4");
    assert_eq!(ok("square", "3037000500"), "9223372037000250000");
}

#[test]
fn fixnum_overflow_promotes() {
    assert_eq!(ok("+", "9223372036854775807 1"), "9223372036854775808");
    assert_eq!(ok("-", "-9223372036854775808 1"), "-9223372036854775809");
    assert_eq!(ok("*", "-9223372036854775808 -1"), "9223372036854775808");
    assert_eq!(ok("-", "-9223372036854775808"), "9223372036854775808");
    assert_eq!(ok("abs", "-9223372036854775808"), "9223372036854775808");
    assert_eq!(
        ok("quotient", "-9223372036854775808 -1"),
        "9223372036854775808"
    );
    assert_eq!(ok("remainder", "-9223372036854775808 -1"), "0");
    assert_eq!(
        ok("floor/", "-9223372036854775808 -1"),
        "9223372036854775808 0"
    );
    assert_eq!(ok("-", "9223372036854775808 1"), "9223372036854775807");
}

#[test]
fn abs_keeps_exactness() {
    assert_eq!(ok("abs", "-7"), "7");
    assert_eq!(ok("abs", "-7/2"), "7/2");
    assert_eq!(ok("abs", "-0.0"), "0.0");
    assert_eq!(ok("abs", "-100000000000000000000"), "100000000000000000000");
}

#[test]
fn floor_and_truncate_division_signs() {
    for (args, floor, truncate) in [
        ("5 2", "2 1", "2 1"),
        ("-5 2", "-3 1", "-2 -1"),
        ("5 -2", "-3 -1", "-2 1"),
        ("-5 -2", "2 -1", "2 -1"),
        (
            "100000000000000000001 -10",
            "-10000000000000000001 -9",
            "-10000000000000000000 1",
        ),
    ] {
        assert_eq!(ok("floor/", args), floor, "floor/ {args}");
        assert_eq!(ok("truncate/", args), truncate, "truncate/ {args}");
        let (fq, fr) = floor.split_once(' ').unwrap();
        let (tq, tr) = truncate.split_once(' ').unwrap();
        assert_eq!(ok("floor-quotient", args), fq);
        assert_eq!(ok("floor-remainder", args), fr);
        assert_eq!(ok("modulo", args), fr);
        assert_eq!(ok("truncate-quotient", args), tq);
        assert_eq!(ok("truncate-remainder", args), tr);
        assert_eq!(ok("quotient", args), tq);
        assert_eq!(ok("remainder", args), tr);
    }
}

#[test]
fn integer_division_accepts_integral_floats() {
    assert_eq!(ok("quotient", "7. 2"), "3.0");
    assert_eq!(ok("modulo", "-7 2."), "1.0");
    assert_eq!(ok("truncate/", "7. 2"), "3.0 1.0");
    assert_eq!(err("quotient", "7.5 2"), "quotient: expected an integer");
    assert_eq!(err("modulo", "1/2 2"), "modulo: expected an integer");
    assert_eq!(err("quotient", "1 0"), "quotient: division by zero");
    assert_eq!(err("floor/", "1 0."), "floor/: division by zero");
}

#[test]
fn gcd_and_lcm() {
    assert_eq!(ok("gcd", ""), "0");
    assert_eq!(ok("lcm", ""), "1");
    assert_eq!(ok("gcd", "32 -36"), "4");
    assert_eq!(ok("gcd", "0 5"), "5");
    assert_eq!(ok("gcd", "-9223372036854775808"), "9223372036854775808");
    assert_eq!(ok("lcm", "32 -36"), "288");
    assert_eq!(ok("lcm", "32.0 -36"), "288.0");
    assert_eq!(ok("lcm", "0 5"), "0");
    assert_eq!(err("gcd", "1/2"), "gcd: expected an integer");
}

#[test]
fn numerator_and_denominator() {
    assert_eq!(ok("numerator", "6/4"), "3");
    assert_eq!(ok("denominator", "6/4"), "2");
    assert_eq!(ok("denominator", "5"), "1");
    assert_eq!(ok("numerator", "-3/7"), "-3");
    assert_eq!(ok("denominator", "0.5"), "2.0");
    assert_eq!(ok("numerator", "0.75"), "3.0");
    assert!(err("numerator", "+inf.0").starts_with("numerator:"));
}

#[test]
fn rounding() {
    assert_eq!(ok("floor", "-4.3"), "-5.0");
    assert_eq!(ok("ceiling", "-4.3"), "-4.0");
    assert_eq!(ok("truncate", "-4.3"), "-4.0");
    assert_eq!(ok("round", "-4.3"), "-4.0");
    assert_eq!(ok("floor", "3.5"), "3.0");
    assert_eq!(ok("round", "3.5"), "4.0");
    assert_eq!(ok("round", "2.5"), "2.0");
    assert_eq!(ok("round", "-2.5"), "-2.0");
    assert_eq!(ok("round", "7/2"), "4");
    assert_eq!(ok("round", "5/2"), "2");
    assert_eq!(ok("round", "-7/2"), "-4");
    assert_eq!(ok("round", "-5/2"), "-2");
    assert_eq!(ok("round", "7/3"), "2");
    assert_eq!(ok("floor", "-7/2"), "-4");
    assert_eq!(ok("ceiling", "-7/2"), "-3");
    assert_eq!(ok("truncate", "-7/2"), "-3");
    assert_eq!(ok("round", "7"), "7");
    assert_eq!(ok("floor", "+inf.0"), "+inf.0");
    assert_eq!(err("round", "#t"), "round: expected a real number");
}

#[test]
fn rationalize_finds_simplest() {
    assert_eq!(ok("rationalize", "3/10 1/10"), "1/3");
    assert_eq!(ok("rationalize", ".3 1/10"), format!("{:?}", 1.0f64 / 3.0));
    assert_eq!(ok("rationalize", "-3/10 1/10"), "-1/3");
    assert_eq!(ok("rationalize", "1/4 1/4"), "0");
    assert_eq!(ok("rationalize", "5/2 1/2"), "2");
    assert_eq!(ok("rationalize", "22/7 0"), "22/7");
    assert_eq!(ok("rationalize", "+inf.0 3"), "+inf.0");
    assert_eq!(ok("rationalize", "3 +inf.0"), "0.0");
    assert_eq!(ok("rationalize", "+inf.0 +inf.0"), "+nan.0");
}

#[test]
fn transcendental() {
    assert_eq!(ok("exp", "0"), "1.0");
    assert_eq!(ok("log", "1"), "0.0");
    assert_eq!(ok("log", "0"), "-inf.0");
    assert_eq!(ok("log", "100 10"), "2.0");
    assert_eq!(ok("log", "8 2"), "3.0");
    assert_eq!(ok("sin", "0"), "0.0");
    assert_eq!(ok("cos", "0"), "1.0");
    assert_eq!(
        ok("atan", "1 1"),
        format!("{:?}", std::f64::consts::FRAC_PI_4)
    );
    assert_eq!(
        ok("asin", "1"),
        format!("{:?}", std::f64::consts::FRAC_PI_2)
    );
    assert_eq!(err("log", "-1"), "log: complex numbers are not supported");
    assert_eq!(err("asin", "2"), "asin: complex numbers are not supported");
    assert_eq!(err("exp", "#t"), "exp: expected a number");
    // The logarithm of an exact number beyond the float range is still finite.
    let huge = call("expt", &parse_args("10 400")).unwrap();
    match call("log", &[huge]).unwrap() {
        Val::Real(f) => assert!((f.get() - 400.0 * std::f64::consts::LN_10).abs() < 1e-9),
        other => panic!("{}", show(&other)),
    }
}

#[test]
fn sqrt_is_exact_for_perfect_squares() {
    assert_eq!(ok("sqrt", "16"), "4");
    assert_eq!(ok("sqrt", "0"), "0");
    assert_eq!(ok("sqrt", "1/4"), "1/2");
    assert_eq!(ok("sqrt", "2"), format!("{:?}", 2f64.sqrt()));
    assert_eq!(ok("sqrt", "16.0"), "4.0");
    assert_eq!(ok("sqrt", "-0.0"), "-0.0");
    assert_eq!(ok("sqrt", "+inf.0"), "+inf.0");
    assert_eq!(
        ok("sqrt", "1267650600228229401496703205376"),
        "1125899906842624"
    );
    assert_eq!(ok("sqrt", "9223372030926249001"), "3037000499");
    assert_eq!(ok("sqrt", "1/2"), format!("{:?}", 0.5f64.sqrt()));
    assert_eq!(err("sqrt", "-4"), "sqrt: complex numbers are not supported");
    assert_eq!(
        err("sqrt", "-1/4"),
        "sqrt: complex numbers are not supported"
    );
    assert_eq!(
        err("sqrt", "-2.0"),
        "sqrt: complex numbers are not supported"
    );
}

#[test]
fn exact_integer_sqrt_returns_root_and_rest() {
    assert_eq!(ok("exact-integer-sqrt", "4"), "2 0");
    assert_eq!(ok("exact-integer-sqrt", "5"), "2 1");
    assert_eq!(ok("exact-integer-sqrt", "0"), "0 0");
    assert_eq!(
        ok("exact-integer-sqrt", "1267650600228229401496703205377"),
        "1125899906842624 1"
    );
    let want = "exact-integer-sqrt: expected a non-negative exact integer";
    assert_eq!(err("exact-integer-sqrt", "-1"), want);
    assert_eq!(err("exact-integer-sqrt", "4.0"), want);
}

#[test]
fn expt_stays_exact_when_it_can() {
    assert_eq!(ok("expt", "2 10"), "1024");
    assert_eq!(ok("expt", "2 100"), "1267650600228229401496703205376");
    assert_eq!(ok("expt", "-2 3"), "-8");
    assert_eq!(ok("expt", "2 -2"), "1/4");
    assert_eq!(ok("expt", "-2/3 3"), "-8/27");
    assert_eq!(ok("expt", "2/3 -2"), "9/4");
    assert_eq!(ok("expt", "-2/3 -3"), "-27/8");
    assert_eq!(ok("expt", "0 0"), "1");
    assert_eq!(ok("expt", "0 5"), "0");
    assert_eq!(ok("expt", "0.0 0"), "1.0");
    assert_eq!(ok("expt", "1 100000000000000000000000"), "1");
    assert_eq!(ok("expt", "-1 100000000000000000001"), "-1");
    assert_eq!(ok("expt", "2.0 3"), "8.0");
    assert_eq!(ok("expt", "4 0.5"), "2.0");
    assert_eq!(ok("expt", "4 1/2"), "2.0");
    assert_eq!(ok("expt", "0.0 -1"), "+inf.0");
    assert_eq!(err("expt", "0 -1"), "expt: division by zero");
    assert_eq!(
        err("expt", "-8 1/3"),
        "expt: complex numbers are not supported"
    );
    assert!(err("expt", "2 10000000").starts_with("expt: result would exceed"));
    assert!(err("expt", "3 100000000000000000000").starts_with("expt: result would exceed"));
    assert!(err("expt", "1/3 -10000000").starts_with("expt: result would exceed"));
    // Just under the cap still works.
    assert!(matches!(
        call("expt", &parse_args("2 999999")),
        Ok(Val::Big(_))
    ));
}

#[test]
fn exactness_conversion() {
    assert_eq!(ok("exact", "0.1"), "3602879701896397/36028797018963968");
    assert_eq!(ok("exact", "2.0"), "2");
    assert_eq!(ok("exact", "-0.5"), "-1/2");
    assert_eq!(ok("exact", "1e20"), "100000000000000000000");
    assert_eq!(ok("exact", "1/3"), "1/3");
    assert_eq!(ok("inexact->exact", "0.25"), "1/4");
    assert!(err("exact", "+nan.0").starts_with("exact:"));
    assert!(err("exact", "-inf.0").starts_with("exact:"));
    assert_eq!(ok("inexact", "1/3"), format!("{:?}", 1.0f64 / 3.0));
    assert_eq!(
        ok("inexact", "1267650600228229401496703205376"),
        "1.2676506002282294e30"
    );
    assert_eq!(ok("exact->inexact", "7"), "7.0");
    assert_eq!(err("inexact", "#t"), "inexact: expected a number");
}

#[test]
fn number_to_string_in_each_radix() {
    assert_eq!(ok("number->string", "255"), "\"255\"");
    assert_eq!(ok("number->string", "255 16"), "\"ff\"");
    assert_eq!(ok("number->string", "-255 2"), "\"-11111111\"");
    assert_eq!(ok("number->string", "8 8"), "\"10\"");
    assert_eq!(ok("number->string", "-1/3 2"), "\"-1/11\"");
    assert_eq!(
        ok("number->string", "1267650600228229401496703205376 16"),
        "\"10000000000000000000000000\""
    );
    assert_eq!(ok("number->string", "1.5"), "\"1.5\"");
    assert_eq!(ok("number->string", "1e21 10"), "\"1e21\"");
    assert!(err("number->string", "1.5 2").starts_with("number->string:"));
    assert!(err("number->string", "10 3").starts_with("number->string:"));
    assert_eq!(
        err("number->string", "#t"),
        "number->string: expected a number"
    );
}

#[test]
fn string_to_number_reads_or_answers_false() {
    assert_eq!(ok("string->number", "\"100\""), "100");
    assert_eq!(ok("string->number", "\"100\" 16"), "256");
    assert_eq!(ok("string->number", "\"#x100\" 2"), "256");
    assert_eq!(ok("string->number", "\"1e2\""), "100.0");
    assert_eq!(ok("string->number", "\"#e1.5\""), "3/2");
    assert_eq!(ok("string->number", "\"abc\""), "#f");
    assert_eq!(ok("string->number", "\"12\" 2"), "#f");
    assert_eq!(ok("string->number", "\"\""), "#f");
    assert!(err("string->number", "\"1\" 7").starts_with("string->number:"));
    assert_eq!(
        err("string->number", "5"),
        "string->number: expected a string"
    );
}

#[test]
fn every_primitive_is_listed_once() {
    let mut names: Vec<_> = numeric_prims().map(|p| p.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before);
    for required in [
        "number?",
        "exact-integer-sqrt",
        "truncate/",
        "floor/",
        "rationalize",
        "exact->inexact",
        "inexact->exact",
        "string->number",
    ] {
        assert!(names.contains(&required), "{required}");
    }
}

/// The library must never panic: sweep every primitive over awkward operands.
#[test]
fn no_primitive_panics_on_awkward_operands() {
    let operands = parse_args(
        "0 -0.0 1 -1 2 9223372036854775807 -9223372036854775808 \
         100000000000000000000000 -100000000000000000000000 1/3 -7/2 \
         0.5 -2.5 1e308 5e-324 +inf.0 -inf.0 +nan.0 #t \"x\"",
    );
    for prim in PRIMS {
        let PrimKind::Pure(f) = prim.kind else {
            continue;
        };
        let max = prim.max_args.unwrap_or(3).min(3);
        for n in prim.min_args..=max {
            let mut idx = vec![0; n];
            loop {
                let args: Vec<Val> = idx.iter().map(|&i| operands[i].clone()).collect();
                // Errors are fine; results must be well-formed numbers or booleans.
                if let Ok(v) = f(&args) {
                    let printed = show(&v);
                    assert!(!printed.is_empty(), "{} gave an empty result", prim.name);
                }
                let Some(pos) = idx.iter().rposition(|&i| i + 1 < operands.len()) else {
                    break;
                };
                idx[pos] += 1;
                for later in &mut idx[pos + 1..] {
                    *later = 0;
                }
            }
        }
    }
}

#[test]
fn reader_never_panics_on_short_junk() {
    let alphabet = [
        "#", "e", "x", "i", "1", "/", ".", "+", "-", "0", "n", "a", "f", "é",
    ];
    let mut texts = vec![String::new()];
    for _ in 0..4 {
        let mut next = Vec::new();
        for t in &texts {
            for c in alphabet {
                next.push(format!("{t}{c}"));
            }
        }
        for t in &next {
            // Whatever reads as a number must print back to the same number.
            if let Some(v) = number::parse_number(t, 10) {
                let again = number::parse_number(&number::format_number(&v, 10), 10);
                assert!(
                    again.is_some_and(|w| number::total_cmp(&v, &w) == Ordering::Equal
                        || matches!(v, Val::Real(f) if f.get().is_nan())),
                    "{t}"
                );
            }
        }
        texts = next;
    }
}
