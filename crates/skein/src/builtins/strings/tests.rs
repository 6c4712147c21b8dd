//! Unit tests of `strings.rs`.

use super::*;

fn s(text: &str) -> Val {
    Val::str(text)
}

fn ch(c: char) -> Val {
    Val::char(c)
}

fn sym(name: &str) -> Val {
    Val::sym(name)
}

fn kw(name: &str) -> Val {
    Val::Keyword(Symbol::intern(name))
}

fn chars(text: &str) -> Val {
    Val::list(text.chars().map(Val::char).collect::<Vec<_>>())
}

fn text(r: PrimResult) -> String {
    match r {
        Ok(Val::Str(s)) => s.to_string(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn truth(r: PrimResult) -> bool {
    match r {
        Ok(Val::Bool(b)) => b.get(),
        other => panic!("expected a boolean, got {other:?}"),
    }
}

fn err<T: std::fmt::Debug>(r: Result<T, Val>) -> (String, Vec<Val>) {
    match r {
        Err(Val::Error(e)) => (e.message.clone(), e.irritants.clone()),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn err_message<T: std::fmt::Debug>(r: Result<T, Val>) -> String {
    err(r).0
}

#[test]
fn predicates() {
    assert!(truth(string_p(&[s("")])));
    assert!(!truth(string_p(&[ch('a')])));
    assert!(!truth(string_p(&[sym("a")])));
    assert!(truth(symbol_p(&[sym("a")])));
    assert!(!truth(symbol_p(&[s("a")])));
    assert!(!truth(symbol_p(&[kw("a")])));
    assert!(truth(keyword_p(&[kw("a")])));
    assert!(!truth(keyword_p(&[sym("a")])));
    assert!(truth(string_null_p(&[s("")])));
    assert!(!truth(string_null_p(&[s(" ")])));
    assert_eq!(
        err_message(string_null_p(&[Val::Null])),
        "string-null?: expected a string"
    );
}

#[test]
fn make_string_and_string() {
    assert_eq!(text(make_string(&[Val::Int(3), ch('é')])), "ééé");
    assert_eq!(text(make_string(&[Val::Int(2)])), "  ");
    assert_eq!(text(make_string(&[Val::Int(0), ch('x')])), "");
    assert_eq!(text(string(&[ch('日'), ch('本'), ch('語')])), "日本語");
    assert_eq!(text(string(&[])), "");
    assert_eq!(
        err_message(string(&[ch('a'), s("b")])),
        "string: expected a char"
    );
}

#[test]
fn make_string_refuses_bad_lengths() {
    assert_eq!(
        err_message(make_string(&[Val::Int(-1)])),
        "make-string: length must not be negative"
    );
    assert_eq!(
        err_message(make_string(&[Val::Int(i64::MAX)])),
        "make-string: length exceeds the limit of 100000000"
    );
    let huge = Val::Big(std::rc::Rc::new(crate::values::heap::Counted::new(
        num_bigint::BigInt::from(i64::MAX) * num_bigint::BigInt::from(10),
    )));
    assert!(make_string(std::slice::from_ref(&huge)).is_err());
    let negative_huge = Val::Big(std::rc::Rc::new(crate::values::heap::Counted::new(
        -(num_bigint::BigInt::from(i64::MAX) * num_bigint::BigInt::from(10)),
    )));
    assert_eq!(
        err_message(make_string(&[negative_huge])),
        "make-string: length must not be negative"
    );
    assert_eq!(
        err_message(make_string(&[Val::real(3.0)])),
        "make-string: expected an exact integer"
    );
    assert_eq!(
        err_message(make_string(&[Val::Int(2), s("x")])),
        "make-string: expected a char"
    );
}

#[test]
fn length_counts_chars() {
    assert_eq!(string_length(&[s("hello")]).unwrap(), Val::Int(5));
    assert_eq!(string_length(&[s("héllo")]).unwrap(), Val::Int(5));
    assert_eq!(string_length(&[s("日本語")]).unwrap(), Val::Int(3));
    assert_eq!(string_length(&[s("")]).unwrap(), Val::Int(0));
    assert!(string_length(&[chars("ab")]).is_err());
}

#[test]
fn string_ref_by_char_index() {
    assert_eq!(string_ref(&[s("hello"), Val::Int(1)]).unwrap(), ch('e'));
    assert_eq!(string_ref(&[s("héllo"), Val::Int(1)]).unwrap(), ch('é'));
    assert_eq!(string_ref(&[s("héllo"), Val::Int(4)]).unwrap(), ch('o'));
    assert_eq!(string_ref(&[s("日本語"), Val::Int(2)]).unwrap(), ch('語'));
    // ASCII prefix, non-ASCII char at the index.
    assert_eq!(string_ref(&[s("ab日"), Val::Int(2)]).unwrap(), ch('日'));
}

#[test]
fn string_ref_errors_name_the_index() {
    let (msg, irritants) = err(string_ref(&[s("héllo"), Val::Int(5)]));
    assert_eq!(msg, "string-ref: index 5 out of range for length 5");
    assert_eq!(irritants, vec![Val::Int(5)]);
    assert_eq!(
        err_message(string_ref(&[s("日本語"), Val::Int(-1)])),
        "string-ref: index -1 out of range for length 3"
    );
    assert_eq!(
        err_message(string_ref(&[s(""), Val::Int(0)])),
        "string-ref: index 0 out of range for length 0"
    );
    let big = Val::Big(std::rc::Rc::new(crate::values::heap::Counted::new(
        num_bigint::BigInt::from(i64::MAX) * num_bigint::BigInt::from(3),
    )));
    assert!(string_ref(&[s("abc"), big]).is_err());
    assert_eq!(
        err_message(string_ref(&[s("abc"), Val::real(1.0)])),
        "string-ref: expected an exact integer"
    );
    assert_eq!(
        err_message(string_ref(&[sym("abc"), Val::Int(0)])),
        "string-ref: expected a string"
    );
}

#[test]
fn substrings() {
    assert_eq!(
        text(substring(&[s("hello"), Val::Int(1), Val::Int(3)])),
        "el"
    );
    assert_eq!(
        text(substring(&[s("héllo"), Val::Int(1), Val::Int(3)])),
        "él"
    );
    assert_eq!(text(substring(&[s("日本語"), Val::Int(1)])), "本語");
    assert_eq!(
        text(substring(&[s("日本語"), Val::Int(3), Val::Int(3)])),
        ""
    );
    assert_eq!(
        text(substring(&[s("日本語"), Val::Int(0), Val::Int(3)])),
        "日本語"
    );
    assert_eq!(
        text(substring(&[s("ab日本"), Val::Int(2), Val::Int(3)])),
        "日"
    );
}

#[test]
fn substring_range_errors() {
    assert_eq!(
        err_message(substring(&[s("héllo"), Val::Int(2), Val::Int(6)])),
        "substring: index 6 out of range for length 5"
    );
    assert_eq!(
        err_message(substring(&[s("héllo"), Val::Int(6)])),
        "substring: index 6 out of range for length 5"
    );
    let (msg, irritants) = err(substring(&[s("日本語"), Val::Int(2), Val::Int(1)]));
    assert_eq!(msg, "substring: start 2 is greater than end 1");
    assert_eq!(irritants, vec![Val::Int(2), Val::Int(1)]);
    assert_eq!(
        err_message(substring(&[s("abc"), Val::Int(-1), Val::Int(2)])),
        "substring: index -1 out of range for length 3"
    );
    assert_eq!(
        err_message(substring(&[s("abc"), Val::Int(0), s("2")])),
        "substring: expected an exact integer"
    );
}

#[test]
fn append() {
    assert_eq!(text(string_append(&[])), "");
    assert_eq!(
        text(string_append(&[s("hé"), s(""), s("llo"), s("日本")])),
        "héllo日本"
    );
    assert_eq!(
        err_message(string_append(&[s("a"), ch('b')])),
        "string-append: expected a string"
    );
}

#[test]
fn lists_and_vectors() {
    assert_eq!(string_to_list(&[s("héllo")]).unwrap(), chars("héllo"));
    assert_eq!(
        string_to_list(&[s("日本語"), Val::Int(1)]).unwrap(),
        chars("本語")
    );
    assert_eq!(
        string_to_list(&[s("日本語"), Val::Int(1), Val::Int(2)]).unwrap(),
        chars("本")
    );
    assert_eq!(string_to_list(&[s("")]).unwrap(), Val::Null);
    assert!(string_to_list(&[s("abc"), Val::Int(4)]).is_err());
    assert_eq!(text(list_to_string(&[chars("日本語")])), "日本語");
    assert_eq!(text(list_to_string(&[Val::Null])), "");
    assert_eq!(
        err_message(list_to_string(&[Val::list(vec![ch('a'), Val::Int(1)])])),
        "list->string: expected a char"
    );
    let improper = Val::cons(ch('a'), ch('b'));
    assert_eq!(
        err_message(list_to_string(&[improper])),
        "list->string: expected a proper list"
    );

    let v = string_to_vector(&[s("héllo"), Val::Int(1), Val::Int(3)]).unwrap();
    assert_eq!(v, Val::vector(vec![ch('é'), ch('l')]));
    let v = Val::vector("日本語".chars().map(Val::char).collect());
    assert_eq!(text(vector_to_string(std::slice::from_ref(&v))), "日本語");
    assert_eq!(text(vector_to_string(&[v.clone(), Val::Int(2)])), "語");
    assert_eq!(
        err_message(vector_to_string(&[v.clone(), Val::Int(2), Val::Int(4)])),
        "vector->string: index 4 out of range for length 3"
    );
    assert_eq!(
        err_message(vector_to_string(&[v, Val::Int(2), Val::Int(1)])),
        "vector->string: start 2 is greater than end 1"
    );
    assert_eq!(
        err_message(vector_to_string(&[Val::vector(vec![Val::Int(1)])])),
        "vector->string: expected a char"
    );
    assert_eq!(
        err_message(vector_to_string(&[chars("a")])),
        "vector->string: expected a vector"
    );
}

#[test]
fn copy_is_fresh() {
    let original = s("héllo");
    let copy = string_copy(std::slice::from_ref(&original)).unwrap();
    assert_eq!(copy, original);
    assert!(!crate::values::equality::eqv(&copy, &original));
    assert_eq!(
        text(string_copy(&[s("héllo"), Val::Int(1), Val::Int(2)])),
        "é"
    );
    assert_eq!(text(string_copy(&[s("héllo"), Val::Int(5)])), "");
    assert!(string_copy(&[s("héllo"), Val::Int(3), Val::Int(2)]).is_err());
}

#[test]
fn comparisons() {
    assert!(truth(string_eq(&[s("abc")])));
    assert!(truth(string_eq(&[s("日本"), s("日本"), s("日本")])));
    assert!(!truth(string_eq(&[s("abc"), s("abc"), s("abd")])));
    assert!(truth(string_lt(&[s("ab"), s("abc"), s("b")])));
    assert!(!truth(string_lt(&[s("abc"), s("abc")])));
    // Code point order: 'é' (U+E9) sorts after 'z'.
    assert!(truth(string_lt(&[s("hzllo"), s("héllo")])));
    assert!(truth(string_gt(&[s("日"), s("é"), s("")])));
    assert!(truth(string_le(&[s("a"), s("a"), s("b")])));
    assert!(truth(string_ge(&[s("b"), s("a"), s("a")])));
    assert!(!truth(string_ge(&[s("a"), s("b")])));
    assert_eq!(
        err_message(string_lt(&[s("b"), s("a"), sym("c")])),
        "string<?: expected a string"
    );
}

#[test]
fn case_insensitive_comparisons() {
    assert!(truth(string_ci_eq(&[s("HÉLLO"), s("héllo"), s("Héllo")])));
    assert!(truth(string_ci_eq(&[s("Straße"), s("STRASSE")])));
    assert!(truth(string_ci_eq(&[s("ΣΑΣ"), s("σας")])));
    assert!(!truth(string_ci_eq(&[s("abc"), s("abd")])));
    assert!(truth(string_ci_lt(&[s("ABC"), s("abd")])));
    assert!(truth(string_ci_gt(&[s("b"), s("A")])));
    assert!(truth(string_ci_le(&[s("a"), s("A"), s("b")])));
    assert!(truth(string_ci_ge(&[s("B"), s("b"), s("a")])));
    assert!(string_ci_eq(&[s("a"), ch('a')]).is_err());
}

#[test]
fn case_mapping() {
    assert_eq!(text(string_upcase(&[s("héllo")])), "HÉLLO");
    assert_eq!(text(string_upcase(&[s("straße")])), "STRASSE");
    assert_eq!(text(string_upcase(&[s("日本語")])), "日本語");
    assert_eq!(text(string_downcase(&[s("HÉLLO")])), "héllo");
    assert_eq!(text(string_downcase(&[s("ΣΑΣ")])), "σας");
    assert_eq!(text(string_foldcase(&[s("Straße ΣΑΣ")])), "strasse σασ");
    assert!(string_upcase(&[ch('a')]).is_err());
    assert!(string_downcase(&[Val::Null]).is_err());
    assert!(string_foldcase(&[sym("A")]).is_err());
}

#[test]
fn symbols_and_keywords() {
    assert_eq!(string_to_symbol(&[s("héllo")]).unwrap(), sym("héllo"));
    assert_eq!(text(symbol_to_string(&[sym("日本語")])), "日本語");
    assert_eq!(
        err_message(symbol_to_string(&[s("a")])),
        "symbol->string: expected a symbol"
    );
    assert!(string_to_symbol(&[sym("a")]).is_err());
    assert!(truth(symbol_eq(&[sym("a")])));
    assert!(truth(symbol_eq(&[sym("a"), sym("a"), sym("a")])));
    assert!(!truth(symbol_eq(&[sym("a"), sym("b")])));
    assert_eq!(
        err_message(symbol_eq(&[sym("a"), sym("b"), s("c")])),
        "symbol=?: expected a symbol"
    );
    assert!(symbol_eq(&[sym("a"), kw("a")]).is_err());

    let k = string_to_keyword(&[s("name")]).unwrap();
    assert_eq!(k, kw("name"));
    assert!(!crate::values::equality::equal(&k, &sym("name")));
    assert_eq!(text(keyword_to_string(&[kw("name")])), "name");
    assert_eq!(
        err_message(keyword_to_string(&[sym("name")])),
        "keyword->string: expected a keyword"
    );
    assert!(string_to_keyword(&[kw("name")]).is_err());
}

#[test]
fn index_and_contains_count_chars() {
    assert_eq!(string_index(&[s("héllo"), ch('l')]).unwrap(), Val::Int(2));
    assert_eq!(string_index(&[s("日本語"), ch('語')]).unwrap(), Val::Int(2));
    assert_eq!(
        string_index(&[s("abc"), ch('z')]).unwrap(),
        Val::bool(false)
    );
    assert!(string_index(&[s("abc"), s("a")]).is_err());
    assert_eq!(
        string_contains(&[s("héllo"), s("llo")]).unwrap(),
        Val::Int(2)
    );
    assert_eq!(
        string_contains(&[s("日本語"), s("本語")]).unwrap(),
        Val::Int(1)
    );
    assert_eq!(string_contains(&[s("abc"), s("")]).unwrap(), Val::Int(0));
    assert_eq!(
        string_contains(&[s("abc"), s("cd")]).unwrap(),
        Val::bool(false)
    );
    assert_eq!(
        err_message(string_contains(&[s("abc"), ch('a')])),
        "string-contains: expected a string"
    );
}

#[test]
fn join_and_split() {
    let words = Val::list(vec![s("héllo"), s("日本"), s("")]);
    assert_eq!(
        text(string_join(std::slice::from_ref(&words))),
        "héllo 日本 "
    );
    assert_eq!(text(string_join(&[words, s(", ")])), "héllo, 日本, ");
    assert_eq!(text(string_join(&[Val::Null, s(",")])), "");
    assert_eq!(
        err_message(string_join(&[Val::list(vec![s("a"), sym("b")])])),
        "string-join: expected a string"
    );
    assert_eq!(
        err_message(string_join(&[s("a")])),
        "string-join: expected a proper list"
    );
    assert!(string_join(&[Val::Null, ch(',')]).is_err());

    assert_eq!(
        string_split(&[s("a,,b"), ch(',')]).unwrap(),
        Val::list(vec![s("a"), s(""), s("b")])
    );
    assert_eq!(
        string_split(&[s("日本、語"), ch('、')]).unwrap(),
        Val::list(vec![s("日本"), s("語")])
    );
    assert_eq!(
        string_split(&[s(""), ch(',')]).unwrap(),
        Val::list(vec![s("")])
    );
    assert_eq!(
        string_split(&[s("abc"), ch(',')]).unwrap(),
        Val::list(vec![s("abc")])
    );
    assert!(string_split(&[s("a,b"), s(",")]).is_err());
}

#[test]
fn trim_prefix_suffix() {
    assert_eq!(text(string_trim(&[s("  héllo \n\t")])), "héllo");
    assert_eq!(text(string_trim(&[s("\u{3000}日本語\u{3000}")])), "日本語");
    assert_eq!(text(string_trim(&[s("   ")])), "");
    assert!(string_trim(&[ch(' ')]).is_err());
    assert!(truth(string_prefix_p(&[s("hé"), s("héllo")])));
    assert!(truth(string_prefix_p(&[s(""), s("héllo")])));
    assert!(!truth(string_prefix_p(&[s("héllo"), s("hé")])));
    assert!(truth(string_suffix_p(&[s("語"), s("日本語")])));
    assert!(!truth(string_suffix_p(&[s("日"), s("日本語")])));
    assert_eq!(
        err_message(string_suffix_p(&[s("a"), sym("a")])),
        "string-suffix?: expected a string"
    );
}

/// Byte offset of each char index of `text`, and the length at the end.
fn offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect()
}

#[test]
fn cursor_offsets_in_any_order() {
    for text in ["", "abc", "héllo", "日本語", &"aé日\u{1F600}".repeat(100)] {
        let rc = std::rc::Rc::new(crate::values::text::Text::new(text.to_owned()));
        let expected = offsets(text);
        let n = expected.len() - 1;
        let mut cursor = Cursor::new(&rc);
        assert_eq!(cursor.char_len, n);
        // A fixed pseudo-random walk: forwards, backwards, near both ends.
        let mut i = 0usize;
        for step in 0..1000usize {
            i = (i * 7 + step * 13 + 5) % (n + 1);
            assert_eq!(cursor.byte_offset(text, i), Some(expected[i]), "{i}");
        }
        for i in (0..=n).rev() {
            assert_eq!(cursor.byte_offset(text, i), Some(expected[i]));
        }
        assert_eq!(cursor.byte_offset(text, n + 1), None);
        assert_eq!(cursor.byte_offset(text, usize::MAX), None);
    }
}

#[test]
fn range_checks() {
    let args = [Val::Null, Val::Int(1), Val::Int(3)];
    assert_eq!(range_args("f", &args, 1, 3).unwrap(), (1, 3));
    assert_eq!(range_args("f", &args[..1], 1, 3).unwrap(), (0, 3));
    assert_eq!(range_args("f", &args[..2], 1, 3).unwrap(), (1, 3));
    assert!(range_args("f", &args, 1, 2).is_err());
    assert_eq!(
        err_message(range_args("f", &[Val::Null, Val::Int(4)], 1, 3)),
        "f: index 4 out of range for length 3"
    );
}

#[test]
fn text_primitives_have_distinct_names_and_sane_arities() {
    use super::super::{bytevectors, chars};
    let all: Vec<&Prim> = [chars::PRIMS, PRIMS, bytevectors::PRIMS]
        .into_iter()
        .flatten()
        .collect();
    let mut names: Vec<&str> = all.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len());
    assert!(all
        .iter()
        .all(|p| p.max_args.is_none_or(|max| max >= p.min_args)));
}
