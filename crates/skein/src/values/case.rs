//! Unicode case mapping and folding, shared by the reader (`#!fold-case`)
//! and the char and string primitives.

/// The only element of a case mapping, or `None` when it expands to several
/// characters (`ß` upper-cases to `SS`): a char maps to a single char.
fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// Cherokee is the one script whose case folding goes to upper case.
fn is_cherokee(c: char) -> bool {
    matches!(c, '\u{13A0}'..='\u{13F5}' | '\u{13F8}'..='\u{13FD}' | '\u{AB70}'..='\u{ABBF}')
}

pub fn upcase(c: char) -> char {
    single(c.to_uppercase()).unwrap_or(c)
}

pub fn downcase(c: char) -> char {
    match c {
        // Its full lower case is `i` + combining dot; the simple mapping is `i`.
        '\u{130}' => 'i',
        _ => single(c.to_lowercase()).unwrap_or(c),
    }
}

/// Simple case folding. std has no folding table, but lower-casing the upper
/// case agrees with Unicode's CaseFolding.txt (checked over every code point)
/// except for dotless i, which folds to itself, and Cherokee.
pub fn foldcase(c: char) -> char {
    if c == '\u{131}' {
        return c;
    }
    if is_cherokee(c) {
        return upcase(c);
    }
    match single(c.to_uppercase()) {
        Some(u) => single(u.to_lowercase()).unwrap_or(c),
        None => single(c.to_lowercase()).unwrap_or(c),
    }
}

/// Full case folding of `c` (`ß` folds to `ss`), appended to `out`;
/// what `string-foldcase` and the `string-ci` comparisons use.
pub fn push_full_foldcase(c: char, out: &mut String) {
    match c {
        '\u{131}' => out.push(c),
        '\u{1E9E}' => out.push_str("ss"),
        _ if is_cherokee(c) => out.extend(c.to_uppercase()),
        _ => {
            for u in c.to_uppercase() {
                out.extend(u.to_lowercase());
            }
        }
    }
}

/// `string-foldcase`; also what `#!fold-case` does to identifiers.
pub fn fold_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    s.chars().for_each(|c| push_full_foldcase(c, &mut out));
    out
}
