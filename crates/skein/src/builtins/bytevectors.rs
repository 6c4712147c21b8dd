//! Bytevector primitives (R7RS 6.9), without the in-place `bytevector-u8-set!` and `bytevector-copy!`.

use super::pure;
use std::rc::Rc;

use super::strings::{index_arg, int, length_arg, out_of_range, range_args, str_range, string_arg};
use crate::values::heap::{self, Counted};
use crate::values::prim::{Prim, PrimResult};
use crate::values::value::{error, type_error, Val};

fn bytes_arg<'a>(who: &str, v: &'a Val) -> Result<&'a [u8], Val> {
    match v {
        Val::Bytes(b) => Ok(b.as_slice()),
        _ => Err(type_error(who, "a bytevector", v)),
    }
}

fn byte_arg(who: &str, v: &Val) -> Result<u8, Val> {
    match v {
        Val::Int(n) => u8::try_from(*n).map_err(|_| type_error(who, "a byte (0 to 255)", v)),
        _ => Err(type_error(who, "a byte (0 to 255)", v)),
    }
}

fn bytes(b: Vec<u8>) -> Val {
    Val::Bytes(Rc::new(Counted::new(b)))
}

fn bytevector_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Bytes(_))))
}

/// `(make-bytevector k [byte])`: `byte` defaults to 0.
fn make_bytevector(args: &[Val]) -> PrimResult {
    let k = length_arg("make-bytevector", &args[0])?;
    let fill = match args.get(1) {
        Some(b) => byte_arg("make-bytevector", b)?,
        None => 0,
    };
    heap::reserve(k)?;
    Ok(bytes(vec![fill; k]))
}

fn bytevector(args: &[Val]) -> PrimResult {
    args.iter()
        .map(|b| byte_arg("bytevector", b))
        .collect::<Result<Vec<u8>, Val>>()
        .map(bytes)
}

fn bytevector_u8_ref(args: &[Val]) -> PrimResult {
    let bv = bytes_arg("bytevector-u8-ref", &args[0])?;
    let k = index_arg("bytevector-u8-ref", &args[1])?;
    bv.get(k)
        .map(|&b| Val::Int(i64::from(b)))
        .ok_or_else(|| out_of_range("bytevector-u8-ref", &args[1], bv.len()))
}

fn bytevector_length(args: &[Val]) -> PrimResult {
    Ok(int(bytes_arg("bytevector-length", &args[0])?.len()))
}

fn bytevector_copy(args: &[Val]) -> PrimResult {
    let bv = bytes_arg("bytevector-copy", &args[0])?;
    let (start, end) = range_args("bytevector-copy", args, 1, bv.len())?;
    Ok(bytes(bv[start..end].to_vec()))
}

fn bytevector_append(args: &[Val]) -> PrimResult {
    let parts = args
        .iter()
        .map(|a| bytes_arg("bytevector-append", a))
        .collect::<Result<Vec<&[u8]>, Val>>()?;
    heap::reserve(parts.iter().fold(0usize, |n, p| n.saturating_add(p.len())))?;
    Ok(bytes(parts.concat()))
}

/// `(utf8->string bv [start end])`: `start` and `end` are byte offsets.
fn utf8_to_string(args: &[Val]) -> PrimResult {
    let bv = bytes_arg("utf8->string", &args[0])?;
    let (start, end) = range_args("utf8->string", args, 1, bv.len())?;
    match std::str::from_utf8(&bv[start..end]) {
        Ok(s) => Ok(Val::str(s)),
        Err(e) => Err(error(
            format!(
                "utf8->string: invalid UTF-8 at byte {}",
                start + e.valid_up_to()
            ),
            vec![args[0].clone()],
        )),
    }
}

/// `(string->utf8 s [start end])`: `start` and `end` are char indices.
fn string_to_utf8(args: &[Val]) -> PrimResult {
    let s = string_arg("string->utf8", &args[0])?;
    let part = str_range("string->utf8", s, args, 1)?;
    Ok(bytes(part.as_bytes().to_vec()))
}

pub static PRIMS: &[Prim] = &[
    pure("bytevector?", 1, Some(1), bytevector_p),
    pure("make-bytevector", 1, Some(2), make_bytevector),
    pure("bytevector", 0, None, bytevector),
    pure("bytevector-u8-ref", 2, Some(2), bytevector_u8_ref),
    pure("bytevector-length", 1, Some(1), bytevector_length),
    pure("bytevector-copy", 1, Some(3), bytevector_copy),
    pure("bytevector-append", 0, None, bytevector_append),
    pure("utf8->string", 1, Some(3), utf8_to_string),
    pure("string->utf8", 1, Some(3), string_to_utf8),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn bv(b: &[u8]) -> Val {
        bytes(b.to_vec())
    }

    fn err_message(r: PrimResult) -> String {
        match r {
            Err(Val::Error(e)) => e.message.clone(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn content(r: PrimResult) -> Vec<u8> {
        match r {
            Ok(Val::Bytes(b)) => b.to_vec(),
            other => panic!("expected a bytevector, got {other:?}"),
        }
    }

    #[test]
    fn predicate_and_construction() {
        assert_eq!(bytevector_p(&[bv(&[])]).unwrap(), Val::bool(true));
        assert_eq!(bytevector_p(&[Val::str("")]).unwrap(), Val::bool(false));
        assert_eq!(
            bytevector_p(&[Val::vector(vec![])]).unwrap(),
            Val::bool(false)
        );
        assert_eq!(content(make_bytevector(&[Val::Int(3)])), vec![0, 0, 0]);
        assert_eq!(
            content(make_bytevector(&[Val::Int(2), Val::Int(255)])),
            vec![255, 255]
        );
        assert_eq!(
            content(make_bytevector(&[Val::Int(0), Val::Int(7)])),
            Vec::<u8>::new()
        );
        assert_eq!(
            content(bytevector(&[Val::Int(1), Val::Int(0), Val::Int(255)])),
            vec![1, 0, 255]
        );
        assert_eq!(content(bytevector(&[])), Vec::<u8>::new());
    }

    #[test]
    fn construction_errors() {
        assert_eq!(
            err_message(make_bytevector(&[Val::Int(-1)])),
            "make-bytevector: length must not be negative"
        );
        assert_eq!(
            err_message(make_bytevector(&[Val::Int(1 << 40)])),
            "make-bytevector: length exceeds the limit of 100000000"
        );
        assert_eq!(
            err_message(make_bytevector(&[Val::Int(2), Val::Int(256)])),
            "make-bytevector: expected a byte (0 to 255)"
        );
        assert_eq!(
            err_message(bytevector(&[Val::Int(1), Val::Int(-1)])),
            "bytevector: expected a byte (0 to 255)"
        );
        assert!(bytevector(&[Val::real(1.0)]).is_err());
        assert!(bytevector(&[Val::char('a')]).is_err());
    }

    #[test]
    fn ref_and_length() {
        let b = bv(&[10, 20, 30]);
        assert_eq!(
            bytevector_u8_ref(&[b.clone(), Val::Int(0)]).unwrap(),
            Val::Int(10)
        );
        assert_eq!(
            bytevector_u8_ref(&[b.clone(), Val::Int(2)]).unwrap(),
            Val::Int(30)
        );
        assert_eq!(
            err_message(bytevector_u8_ref(&[b.clone(), Val::Int(3)])),
            "bytevector-u8-ref: index 3 out of range for length 3"
        );
        assert_eq!(
            err_message(bytevector_u8_ref(&[b.clone(), Val::Int(-1)])),
            "bytevector-u8-ref: index -1 out of range for length 3"
        );
        assert_eq!(
            err_message(bytevector_u8_ref(&[b.clone(), Val::real(0.0)])),
            "bytevector-u8-ref: expected an exact integer"
        );
        assert_eq!(
            err_message(bytevector_u8_ref(&[Val::str("abc"), Val::Int(0)])),
            "bytevector-u8-ref: expected a bytevector"
        );
        assert_eq!(bytevector_length(&[b]).unwrap(), Val::Int(3));
        assert_eq!(bytevector_length(&[bv(&[])]).unwrap(), Val::Int(0));
        assert!(bytevector_length(&[Val::Null]).is_err());
    }

    #[test]
    fn copy_and_append() {
        let b = bv(&[1, 2, 3, 4]);
        let whole = bytevector_copy(std::slice::from_ref(&b)).unwrap();
        assert_eq!(whole, b);
        assert!(!crate::values::equality::eqv(&whole, &b));
        assert_eq!(
            content(bytevector_copy(&[b.clone(), Val::Int(2)])),
            vec![3, 4]
        );
        assert_eq!(
            content(bytevector_copy(&[b.clone(), Val::Int(1), Val::Int(3)])),
            vec![2, 3]
        );
        assert_eq!(
            content(bytevector_copy(&[b.clone(), Val::Int(4)])),
            Vec::<u8>::new()
        );
        assert_eq!(
            err_message(bytevector_copy(&[b.clone(), Val::Int(1), Val::Int(5)])),
            "bytevector-copy: index 5 out of range for length 4"
        );
        assert_eq!(
            err_message(bytevector_copy(&[b.clone(), Val::Int(3), Val::Int(2)])),
            "bytevector-copy: start 3 is greater than end 2"
        );
        assert_eq!(
            err_message(bytevector_copy(&[b.clone(), Val::Int(5)])),
            "bytevector-copy: index 5 out of range for length 4"
        );

        assert_eq!(content(bytevector_append(&[])), Vec::<u8>::new());
        assert_eq!(
            content(bytevector_append(&[bv(&[1]), bv(&[]), bv(&[2, 3])])),
            vec![1, 2, 3]
        );
        assert_eq!(
            err_message(bytevector_append(&[bv(&[1]), Val::str("a")])),
            "bytevector-append: expected a bytevector"
        );
    }

    #[test]
    fn utf8_round_trips() {
        for text in ["", "hello", "héllo", "日本語"] {
            let encoded = string_to_utf8(&[Val::str(text)]).unwrap();
            assert_eq!(content(Ok(encoded.clone())), text.as_bytes());
            assert_eq!(utf8_to_string(&[encoded]).unwrap(), Val::str(text));
        }
    }

    #[test]
    fn utf8_ranges() {
        // string->utf8 counts chars; utf8->string counts bytes.
        let s = Val::str("héllo");
        assert_eq!(
            content(string_to_utf8(&[s.clone(), Val::Int(1), Val::Int(2)])),
            "é".as_bytes()
        );
        assert_eq!(
            content(string_to_utf8(&[Val::str("日本語"), Val::Int(2)])),
            "語".as_bytes()
        );
        assert_eq!(
            err_message(string_to_utf8(&[s.clone(), Val::Int(0), Val::Int(6)])),
            "string->utf8: index 6 out of range for length 5"
        );
        assert_eq!(
            err_message(string_to_utf8(&[s, Val::Int(3), Val::Int(1)])),
            "string->utf8: start 3 is greater than end 1"
        );
        let encoded = bv("日本語".as_bytes());
        assert_eq!(
            utf8_to_string(&[encoded.clone(), Val::Int(3), Val::Int(6)]).unwrap(),
            Val::str("本")
        );
        assert_eq!(
            err_message(utf8_to_string(&[encoded.clone(), Val::Int(1)])),
            "utf8->string: invalid UTF-8 at byte 1"
        );
        assert_eq!(
            err_message(utf8_to_string(&[encoded, Val::Int(0), Val::Int(10)])),
            "utf8->string: index 10 out of range for length 9"
        );
        assert!(string_to_utf8(&[bv(b"abc")]).is_err());
        assert!(utf8_to_string(&[Val::str("abc")]).is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        for bad in [
            &[0xFFu8][..],
            &[b'a', 0xC3],
            &[0xED, 0xA0, 0x80],
            &[0xC0, 0x80],
        ] {
            assert!(
                err_message(utf8_to_string(&[bv(bad)])).starts_with("utf8->string: invalid UTF-8")
            );
        }
        assert_eq!(
            err_message(utf8_to_string(&[bv(&[b'o', b'k', 0x80])])),
            "utf8->string: invalid UTF-8 at byte 2"
        );
    }
}
