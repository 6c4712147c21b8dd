//! Character primitives (R7RS 6.6): classification, comparison, case mapping, code points.

use super::pure;
use std::cmp::Ordering;

use crate::values::case::{downcase, foldcase, upcase};
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val};

pub(super) fn char_arg(who: &str, v: &Val) -> Result<char, Val> {
    match v {
        Val::Char(c) => Ok(c.get()),
        _ => Err(type_error(who, "a char", v)),
    }
}

/// Code point of the zero of each run of ten decimal digits (general category
/// Nd) in Unicode 17, the version std's char tables follow. Unicode encodes
/// every decimal digit in such a run, 0 to 9, so the table gives digit values.
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11DE0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE,
    0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit (`#\9`, Arabic-Indic `#\x663`, ...), `None` otherwise.
pub(super) fn digit_value(c: char) -> Option<u32> {
    let cp = c as u32;
    // The last zero at or below `cp`; `cp` is a digit if it lies within its run.
    let i = DIGIT_ZEROS.partition_point(|&z| z <= cp).checked_sub(1)?;
    let offset = cp - DIGIT_ZEROS[i];
    (offset < 10).then_some(offset)
}

/// `(char? obj)`
fn char_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Char(_))))
}

/// Every argument is a char, and each adjacent pair, after `key`, stands in an
/// order `ok` accepts. All arguments are type-checked, even after a false result.
fn chain(who: &str, args: &[Val], key: fn(char) -> char, ok: fn(Ordering) -> bool) -> PrimResult {
    let chars = args
        .iter()
        .map(|a| char_arg(who, a).map(key))
        .collect::<Result<Vec<char>, Val>>()?;
    Ok(Val::bool(chars.windows(2).all(|w| ok(w[0].cmp(&w[1])))))
}

macro_rules! char_compare {
    ($($fn:ident $name:literal $key:expr, [$ord:pat];)*) => {
        $(
            fn $fn(args: &[Val]) -> PrimResult {
                chain($name, args, $key, |o| matches!(o, $ord))
            }
        )*
    };
}

char_compare! {
    char_eq "char=?" |c| c, [Ordering::Equal];
    char_lt "char<?" |c| c, [Ordering::Less];
    char_gt "char>?" |c| c, [Ordering::Greater];
    char_le "char<=?" |c| c, [Ordering::Less | Ordering::Equal];
    char_ge "char>=?" |c| c, [Ordering::Greater | Ordering::Equal];
    char_ci_eq "char-ci=?" foldcase, [Ordering::Equal];
    char_ci_lt "char-ci<?" foldcase, [Ordering::Less];
    char_ci_gt "char-ci>?" foldcase, [Ordering::Greater];
    char_ci_le "char-ci<=?" foldcase, [Ordering::Less | Ordering::Equal];
    char_ci_ge "char-ci>=?" foldcase, [Ordering::Greater | Ordering::Equal];
}

macro_rules! char_test {
    ($($fn:ident $name:literal $test:expr;)*) => {
        $(
            fn $fn(args: &[Val]) -> PrimResult {
                let test: fn(char) -> bool = $test;
                Ok(Val::bool(test(char_arg($name, &args[0])?)))
            }
        )*
    };
}

char_test! {
    char_alphabetic_p "char-alphabetic?" char::is_alphabetic;
    // R7RS: numeric means a decimal digit (Nd), exactly the chars digit-value knows;
    // std's is_numeric would also accept `½` and Roman numerals.
    char_numeric_p "char-numeric?" |c| digit_value(c).is_some();
    char_whitespace_p "char-whitespace?" char::is_whitespace;
    char_upper_case_p "char-upper-case?" char::is_uppercase;
    char_lower_case_p "char-lower-case?" char::is_lowercase;
}

/// `(digit-value char)`: the digit's value, or #f for a non-digit.
fn digit_value_prim(args: &[Val]) -> PrimResult {
    let c = char_arg("digit-value", &args[0])?;
    Ok(digit_value(c).map_or(Val::bool(false), |d| Val::Int(i64::from(d))))
}

fn char_to_integer(args: &[Val]) -> PrimResult {
    let c = char_arg("char->integer", &args[0])?;
    Ok(Val::Int(i64::from(u32::from(c))))
}

/// `(integer->char n)`: surrogates and values past `#x10FFFF` are not chars.
fn integer_to_char(args: &[Val]) -> PrimResult {
    let scalar = match &args[0] {
        Val::Int(n) => u32::try_from(*n).ok().and_then(char::from_u32),
        Val::Big(_) => None,
        other => return Err(type_error("integer->char", "an exact integer", other)),
    };
    scalar.map(Val::char).ok_or_else(|| {
        error(
            "integer->char: not a unicode scalar value",
            vec![args[0].clone()],
        )
    })
}

fn char_upcase(args: &[Val]) -> PrimResult {
    Ok(Val::char(upcase(char_arg("char-upcase", &args[0])?)))
}

fn char_downcase(args: &[Val]) -> PrimResult {
    Ok(Val::char(downcase(char_arg("char-downcase", &args[0])?)))
}

fn char_foldcase(args: &[Val]) -> PrimResult {
    Ok(Val::char(foldcase(char_arg("char-foldcase", &args[0])?)))
}

pub static PRIMS: &[Prim] = &[
    pure("char?", 1, Some(1), char_p),
    pure("char=?", 1, None, char_eq),
    pure("char<?", 1, None, char_lt),
    pure("char>?", 1, None, char_gt),
    pure("char<=?", 1, None, char_le),
    pure("char>=?", 1, None, char_ge),
    pure("char-ci=?", 1, None, char_ci_eq),
    pure("char-ci<?", 1, None, char_ci_lt),
    pure("char-ci>?", 1, None, char_ci_gt),
    pure("char-ci<=?", 1, None, char_ci_le),
    pure("char-ci>=?", 1, None, char_ci_ge),
    pure("char-alphabetic?", 1, Some(1), char_alphabetic_p),
    pure("char-numeric?", 1, Some(1), char_numeric_p),
    pure("char-whitespace?", 1, Some(1), char_whitespace_p),
    pure("char-upper-case?", 1, Some(1), char_upper_case_p),
    pure("char-lower-case?", 1, Some(1), char_lower_case_p),
    pure("digit-value", 1, Some(1), digit_value_prim),
    pure("char->integer", 1, Some(1), char_to_integer),
    pure("integer->char", 1, Some(1), integer_to_char),
    pure("char-upcase", 1, Some(1), char_upcase),
    pure("char-downcase", 1, Some(1), char_downcase),
    pure("char-foldcase", 1, Some(1), char_foldcase),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::case::push_full_foldcase;

    fn ch(c: char) -> Val {
        Val::char(c)
    }

    fn truth(r: PrimResult) -> bool {
        match r {
            Ok(Val::Bool(b)) => b.get(),
            other => panic!("expected a boolean, got {other:?}"),
        }
    }

    fn as_char(r: PrimResult) -> char {
        match r {
            Ok(Val::Char(c)) => c.get(),
            other => panic!("expected a char, got {other:?}"),
        }
    }

    fn err_message(r: PrimResult) -> String {
        match r {
            Err(Val::Error(e)) => e.message.clone(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn char_predicate() {
        assert!(truth(char_p(&[ch('a')])));
        assert!(!truth(char_p(&[Val::str("a")])));
        assert!(!truth(char_p(&[Val::Int(97)])));
    }

    #[test]
    fn comparisons_chain_over_all_arguments() {
        assert!(truth(char_eq(&[ch('a')])));
        assert!(truth(char_eq(&[ch('a'), ch('a'), ch('a')])));
        assert!(!truth(char_eq(&[ch('a'), ch('a'), ch('b')])));
        assert!(truth(char_lt(&[ch('a'), ch('b'), ch('c')])));
        assert!(!truth(char_lt(&[ch('a'), ch('c'), ch('b')])));
        assert!(!truth(char_lt(&[ch('a'), ch('a')])));
        assert!(truth(char_le(&[ch('a'), ch('a'), ch('b')])));
        assert!(truth(char_gt(&[ch('日'), ch('é'), ch('a')])));
        assert!(truth(char_ge(&[ch('b'), ch('b'), ch('a')])));
        assert!(!truth(char_ge(&[ch('a'), ch('b')])));
    }

    #[test]
    fn comparisons_reject_non_chars_even_after_a_false_result() {
        let msg = err_message(char_lt(&[ch('b'), ch('a'), Val::str("c")]));
        assert_eq!(msg, "char<?: expected a char");
        assert!(char_eq(&[Val::Int(1)]).is_err());
        assert!(char_ci_eq(&[
            ch('a'),
            Val::Sym(crate::values::symbol::Symbol::intern("a"))
        ])
        .is_err());
    }

    #[test]
    fn case_insensitive_comparisons() {
        assert!(truth(char_ci_eq(&[ch('a'), ch('A'), ch('a')])));
        assert!(truth(char_ci_eq(&[ch('É'), ch('é')])));
        assert!(truth(char_ci_eq(&[ch('Σ'), ch('ς'), ch('σ')])));
        assert!(truth(char_ci_lt(&[ch('a'), ch('B'), ch('c')])));
        assert!(!truth(char_lt(&[ch('a'), ch('B')])));
        assert!(truth(char_ci_gt(&[ch('Z'), ch('y')])));
        assert!(truth(char_ci_le(&[ch('a'), ch('A')])));
        assert!(truth(char_ci_ge(&[ch('A'), ch('a')])));
    }

    #[test]
    fn classification() {
        assert!(truth(char_alphabetic_p(&[ch('a')])));
        assert!(truth(char_alphabetic_p(&[ch('日')])));
        assert!(!truth(char_alphabetic_p(&[ch('1')])));
        assert!(truth(char_numeric_p(&[ch('7')])));
        assert!(truth(char_numeric_p(&[ch('\u{663}')])));
        assert!(!truth(char_numeric_p(&[ch('½')])));
        assert!(!truth(char_numeric_p(&[ch('x')])));
        assert!(truth(char_whitespace_p(&[ch(' ')])));
        assert!(truth(char_whitespace_p(&[ch('\n')])));
        assert!(truth(char_whitespace_p(&[ch('\u{3000}')])));
        assert!(!truth(char_whitespace_p(&[ch('_')])));
        assert!(truth(char_upper_case_p(&[ch('É')])));
        assert!(!truth(char_upper_case_p(&[ch('é')])));
        assert!(truth(char_lower_case_p(&[ch('é')])));
        assert!(!truth(char_lower_case_p(&[ch('日')])));
        assert!(!truth(char_upper_case_p(&[ch('日')])));
        assert_eq!(
            err_message(char_alphabetic_p(&[Val::str("a")])),
            "char-alphabetic?: expected a char"
        );
    }

    #[test]
    fn digit_values() {
        assert_eq!(digit_value_prim(&[ch('0')]).unwrap(), Val::Int(0));
        assert_eq!(digit_value_prim(&[ch('9')]).unwrap(), Val::Int(9));
        assert_eq!(digit_value_prim(&[ch('\u{664}')]).unwrap(), Val::Int(4));
        assert_eq!(digit_value_prim(&[ch('\u{FF15}')]).unwrap(), Val::Int(5));
        assert_eq!(digit_value_prim(&[ch('\u{1D7D9}')]).unwrap(), Val::Int(1));
        assert_eq!(digit_value_prim(&[ch('a')]).unwrap(), Val::bool(false));
        assert_eq!(digit_value_prim(&[ch('/')]).unwrap(), Val::bool(false));
        assert_eq!(digit_value_prim(&[ch('\0')]).unwrap(), Val::bool(false));
        assert_eq!(digit_value_prim(&[ch('½')]).unwrap(), Val::bool(false));
        assert!(digit_value_prim(&[Val::Int(1)]).is_err());
    }

    #[test]
    fn digit_table_is_consistent_with_std() {
        // Each run is ten chars std also calls numeric, and runs do not overlap.
        for &zero in DIGIT_ZEROS {
            for k in 0..10 {
                let c = char::from_u32(zero + k).unwrap();
                assert!(c.is_numeric(), "{:x}", zero + k);
                assert_eq!(digit_value(c), Some(k));
            }
        }
        assert!(DIGIT_ZEROS.windows(2).all(|w| w[1] - w[0] >= 10));
    }

    #[test]
    fn code_points() {
        assert_eq!(char_to_integer(&[ch('A')]).unwrap(), Val::Int(65));
        assert_eq!(char_to_integer(&[ch('日')]).unwrap(), Val::Int(0x65E5));
        assert_eq!(as_char(integer_to_char(&[Val::Int(955)])), 'λ');
        assert_eq!(
            as_char(integer_to_char(&[Val::Int(0x10FFFF)])),
            '\u{10FFFF}'
        );
        assert!(char_to_integer(&[Val::str("A")]).is_err());
    }

    #[test]
    fn integer_to_char_rejects_non_scalar_values() {
        for bad in [-1, 0xD800, 0xDFFF, 0x110000, i64::MAX, i64::MIN] {
            assert_eq!(
                err_message(integer_to_char(&[Val::Int(bad)])),
                "integer->char: not a unicode scalar value"
            );
        }
        let big = Val::Big(std::rc::Rc::new(crate::values::heap::Counted::new(
            num_bigint::BigInt::from(u64::MAX) * num_bigint::BigInt::from(4),
        )));
        assert!(integer_to_char(&[big]).is_err());
        assert_eq!(
            err_message(integer_to_char(&[Val::real(65.0)])),
            "integer->char: expected an exact integer"
        );
    }

    #[test]
    fn case_mapping() {
        assert_eq!(as_char(char_upcase(&[ch('a')])), 'A');
        assert_eq!(as_char(char_upcase(&[ch('é')])), 'É');
        assert_eq!(as_char(char_upcase(&[ch('1')])), '1');
        // Upper case of ß is two chars: a char stays itself.
        assert_eq!(as_char(char_upcase(&[ch('ß')])), 'ß');
        assert_eq!(as_char(char_downcase(&[ch('Λ')])), 'λ');
        assert_eq!(as_char(char_downcase(&[ch('\u{130}')])), 'i');
        assert_eq!(as_char(char_downcase(&[ch('日')])), '日');
        assert_eq!(as_char(char_foldcase(&[ch('A')])), 'a');
        assert_eq!(as_char(char_foldcase(&[ch('ς')])), 'σ');
        assert_eq!(as_char(char_foldcase(&[ch('\u{17F}')])), 's');
        assert_eq!(as_char(char_foldcase(&[ch('\u{212A}')])), 'k');
        assert_eq!(as_char(char_foldcase(&[ch('ß')])), 'ß');
        assert_eq!(as_char(char_foldcase(&[ch('\u{1E9E}')])), 'ß');
        assert_eq!(as_char(char_foldcase(&[ch('\u{131}')])), '\u{131}');
        assert_eq!(as_char(char_foldcase(&[ch('\u{AB70}')])), '\u{13A0}');
        assert_eq!(as_char(char_foldcase(&[ch('\u{13A0}')])), '\u{13A0}');
        assert!(char_foldcase(&[Val::Null]).is_err());
    }

    #[test]
    fn full_folding() {
        let fold = |s: &str| {
            let mut out = String::new();
            s.chars().for_each(|c| push_full_foldcase(c, &mut out));
            out
        };
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("ΣΑΣ"), "σασ");
        assert_eq!(fold("\u{1E9E}"), "ss");
        assert_eq!(fold("日本語"), "日本語");
    }
}
