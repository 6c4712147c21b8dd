//! The reader: source text to syntax objects with spans.
//!
//! Tokens are recognised with nom; nesting is tracked on an explicit stack,
//! so a million open parentheses is a clean error, never a stack overflow.

use std::borrow::Cow;
use std::rc::Rc;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char as ch, multispace1, not_line_ending};
use nom::combinator::{recognize, value};
use nom::{IResult, Parser};

use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// How a prefix was written, for messages.
fn prefix_text(name: &str) -> &'static str {
    match name {
        "quote" => "'",
        "quasiquote" => "`",
        "unquote" => ",",
        _ => ",@",
    }
}

/// Deepest nesting of lists, vectors and quotes the reader accepts.
pub const MAX_NESTING: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub span: Span,
    /// The text ended inside a datum (an open list, string, block comment,
    /// or a quote awaiting its datum): more text could complete it.
    pub incomplete: bool,
}

/// Whether `text` reads without running out inside a datum; text with any
/// other read error counts as complete, so that reading it reports the error.
pub fn is_complete(text: &str) -> bool {
    !matches!(read_all(text, 0), Err(e) if e.incomplete)
}

/// Read every datum in `text`, which is file `file` of the engine's source map.
pub fn read_all(text: &str, file: u32) -> Result<Vec<Syntax>, ReadError> {
    // A byte order mark, as some editors save it, is not part of the program.
    let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut reader = Reader {
        text,
        pos,
        file,
        stack: Vec::new(),
        out: Vec::new(),
        just_one: false,
        fold_case: false,
    };
    reader.run()?;
    Ok(reader.out)
}

/// Read the first datum of `text`: the datum (or `None` at the end of the
/// text) and the byte offset just after it. For `read` on string ports.
pub fn read_one(text: &str, file: u32) -> Result<(Option<Syntax>, usize), ReadError> {
    read_one_from(text, file, 0)
}

/// [`read_one`] from byte offset `start` of `text` (a character boundary),
/// with spans into the whole text: for reading a file form by form.
pub fn read_one_from(
    text: &str,
    file: u32,
    start: usize,
) -> Result<(Option<Syntax>, usize), ReadError> {
    let mut reader = Reader {
        text,
        pos: start,
        file,
        stack: Vec::new(),
        out: Vec::new(),
        just_one: true,
        fold_case: false,
    };
    reader.run()?;
    Ok((reader.out.pop(), reader.pos))
}

enum Open {
    List {
        start: usize,
        close: char,
        items: Vec<Syntax>,
        tail: Option<Syntax>,
        dot_at: Option<usize>,
    },
    Vector {
        start: usize,
        items: Vec<Syntax>,
    },
    Bytes {
        start: usize,
        items: Vec<Syntax>,
    },
    Map {
        start: usize,
        items: Vec<Syntax>,
    },
    Prefix {
        start: usize,
        name: &'static str,
    },
    DatumComment,
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    file: u32,
    stack: Vec<Open>,
    out: Vec<Syntax>,
    /// Stop after the first complete top-level datum.
    just_one: bool,
    /// After `#!fold-case` (until `#!no-fold-case`): identifiers and
    /// character names are read case-folded.
    fold_case: bool,
}

#[inline]
fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';' | '\'' | '`' | ','
        )
}

/// Whether `tok` could be a number: every numeral starts with a digit, a
/// sign, a point or a `#` prefix. Asked first, it spares the number parser
/// every identifier (the prelude's reading cost 6% more instructions once
/// the parser's helpers stopped being inlined into the reader).
fn may_be_number(tok: &str) -> bool {
    matches!(
        tok.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'#')
    )
}

/// A decimal integer literal refused only for its size (see `within_literal_bits`).
fn too_long_integer(tok: &str) -> bool {
    let digits = tok.strip_prefix(['+', '-']).unwrap_or(tok);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !crate::values::number::within_literal_bits(digits.len(), 10)
}

/// Whitespace and comments other than `#;` (which needs the datum reader).
fn atmosphere(input: &str) -> IResult<&str, ()> {
    value(
        (),
        nom::multi::many0(alt((
            value((), multispace1),
            value((), (ch(';'), not_line_ending)),
            block_comment,
        ))),
    )
    .parse(input)
}

/// `#| ... |#`, nesting.
fn block_comment(input: &str) -> IResult<&str, ()> {
    let (mut rest, _) = tag("#|").parse(input)?;
    let mut depth = 1usize;
    while depth > 0 {
        let open = rest.find("#|");
        let close = rest.find("|#");
        match (open, close) {
            (Some(o), Some(c)) if o < c => {
                depth += 1;
                rest = &rest[o + 2..];
            }
            (_, Some(c)) => {
                depth -= 1;
                rest = &rest[c + 2..];
            }
            (_, None) => {
                return Err(nom::Err::Failure(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::Tag,
                )))
            }
        }
    }
    Ok((rest, ()))
}

fn token(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| !is_delimiter(c)).parse(input)
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&self, message: impl Into<String>, start: usize, end: usize) -> ReadError {
        ReadError {
            message: message.into(),
            span: self.span(start, end),
            incomplete: false,
        }
    }

    /// An error because the text ended inside a datum.
    fn unfinished(&self, message: impl Into<String>, start: usize, end: usize) -> ReadError {
        ReadError {
            incomplete: true,
            ..self.error(message, start, end)
        }
    }

    fn advance_to(&mut self, rest: &str) {
        self.pos = self.text.len() - rest.len();
    }

    fn run(&mut self) -> Result<(), ReadError> {
        loop {
            match atmosphere(self.rest()) {
                Ok((rest, ())) => self.advance_to(rest),
                Err(e) => {
                    // Point at the `#|` left open, not at the whitespace
                    // and comments that came before it.
                    let at = match e {
                        nom::Err::Failure(e) | nom::Err::Error(e) => {
                            self.text.len() - e.input.len()
                        }
                        nom::Err::Incomplete(_) => self.pos,
                    };
                    return Err(self.unfinished(
                        "unterminated block comment: expected `|#` to close this `#|`",
                        at,
                        at + 2,
                    ));
                }
            }
            if self.just_one && !self.out.is_empty() {
                return Ok(());
            }
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                return self.finish();
            };
            let start = self.pos;
            match c {
                '(' | '[' => {
                    self.open(Open::List {
                        start,
                        close: if c == '(' { ')' } else { ']' },
                        items: Vec::new(),
                        tail: None,
                        dot_at: None,
                    })?;
                    self.pos += 1;
                }
                '{' => {
                    self.open(Open::Map {
                        start,
                        items: Vec::new(),
                    })?;
                    self.pos += 1;
                }
                ')' | ']' | '}' => {
                    self.pos += 1;
                    self.close(c, start)?;
                }
                '\'' => self.prefix(start, 1, "quote")?,
                '`' => self.prefix(start, 1, "quasiquote")?,
                ',' if rest.starts_with(",@") => self.prefix(start, 2, "unquote-splicing")?,
                ',' => self.prefix(start, 1, "unquote")?,
                '"' => {
                    let (s, len) = self.string(start)?;
                    self.pos += len;
                    self.datum(Syntax::atom(Val::str(s), self.span(start, self.pos)))?;
                }
                '#' => self.hash(start)?,
                '|' => {
                    let (name, len) = self.bar_symbol(start)?;
                    self.pos += len;
                    let id = Ident::user(Symbol::intern(&name));
                    self.datum(Syntax::new(SynKind::Id(id), self.span(start, self.pos)))?;
                }
                _ => {
                    let (after, tok) = token(rest).map_err(|_| {
                        self.error(
                            format!("unexpected character `{c}`"),
                            start,
                            start + c.len_utf8(),
                        )
                    })?;
                    self.advance_to(after);
                    if tok == "." {
                        self.dot(start)?;
                    } else {
                        let syn = self.atom(tok, start)?;
                        self.datum(syn)?;
                    }
                }
            }
        }
    }

    fn open(&mut self, open: Open) -> Result<(), ReadError> {
        if self.stack.len() >= MAX_NESTING {
            return Err(self.error(
                format!("nesting deeper than {MAX_NESTING} levels"),
                self.pos,
                self.pos + 1,
            ));
        }
        self.stack.push(open);
        Ok(())
    }

    fn prefix(&mut self, start: usize, len: usize, name: &'static str) -> Result<(), ReadError> {
        self.open(Open::Prefix { start, name })?;
        self.pos += len;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReadError> {
        let Some(open) = self.stack.last() else {
            return Ok(());
        };
        let end = self.text.len();
        Err(match open {
            Open::List { start, close, .. } => self.unfinished(
                format!("unexpected end of input: expected `{close}` to close this list"),
                *start,
                start + 1,
            ),
            Open::Vector { start, .. } | Open::Bytes { start, .. } => self.unfinished(
                "unexpected end of input: expected `)` to close this vector",
                *start,
                start + 1,
            ),
            Open::Map { start, .. } => self.unfinished(
                "unexpected end of input: expected `}` to close this map",
                *start,
                start + 1,
            ),
            Open::Prefix { start, name } => self.unfinished(
                format!(
                    "unexpected end of input: expected a datum after `{}`",
                    prefix_text(name)
                ),
                *start,
                start + 1,
            ),
            Open::DatumComment => self.unfinished(
                "unexpected end of input: expected a datum after `#;`",
                end,
                end,
            ),
        })
    }

    fn close(&mut self, c: char, at: usize) -> Result<(), ReadError> {
        let syntax = match self.stack.pop() {
            Some(Open::List {
                start,
                close,
                items,
                tail,
                dot_at,
            }) if close == c => {
                if let (Some(dot), None) = (dot_at, &tail) {
                    return Err(self.error("expected a datum after `.`", dot, dot + 1));
                }
                Syntax::new(
                    SynKind::List(items.into(), tail.map(Rc::new)),
                    self.span(start, self.pos),
                )
            }
            Some(Open::Vector { start, items }) if c == ')' => {
                Syntax::new(SynKind::Vector(items.into()), self.span(start, self.pos))
            }
            Some(Open::Bytes { start, items }) if c == ')' => {
                let mut bytes = Vec::with_capacity(items.len());
                for item in &items {
                    match &item.kind {
                        SynKind::Atom(Val::Int(n)) if (0..=255).contains(n) => bytes.push(*n as u8),
                        _ => {
                            return Err(ReadError {
                                message: "bytevector elements must be integers from 0 to 255"
                                    .into(),
                                span: item.span,
                                incomplete: false,
                            })
                        }
                    }
                }
                Syntax::new(
                    SynKind::Bytes(Rc::new(crate::values::heap::Counted::new(bytes))),
                    self.span(start, self.pos),
                )
            }
            Some(Open::Map { start, items }) if c == '}' => {
                if items.len() % 2 != 0 {
                    return Err(self.error(
                        "a map literal needs an even number of forms: key value ...",
                        start,
                        self.pos,
                    ));
                }
                Syntax::new(SynKind::Map(items.into()), self.span(start, self.pos))
            }
            Some(other) => {
                let expected = match &other {
                    Open::List { close, .. } => format!("`{close}`"),
                    Open::Vector { .. } | Open::Bytes { .. } => "`)`".to_string(),
                    Open::Map { .. } => "`}`".to_string(),
                    Open::Prefix { name, .. } => {
                        format!("a datum after `{}`", prefix_text(name))
                    }
                    Open::DatumComment => "a datum after `#;`".to_string(),
                };
                return Err(self.error(
                    format!("unexpected `{c}`: expected {expected}"),
                    at,
                    at + 1,
                ));
            }
            None => {
                return Err(self.error(format!("unexpected `{c}`: nothing to close"), at, at + 1))
            }
        };
        self.datum(syntax)
    }

    fn dot(&mut self, start: usize) -> Result<(), ReadError> {
        let message = match self.stack.last_mut() {
            Some(Open::List {
                items,
                dot_at: dot_at @ None,
                ..
            }) if !items.is_empty() => {
                *dot_at = Some(start);
                return Ok(());
            }
            Some(Open::List { dot_at: None, .. }) => {
                "unexpected `.`: expected a datum before it, as in `(a . b)`"
            }
            Some(Open::List { tail: Some(_), .. }) => {
                "unexpected second `.`: expected `)` after the datum that follows `.`"
            }
            Some(Open::List { .. }) => "unexpected `.`: expected a datum after `.`",
            _ => "unexpected `.` outside a list: expected a datum",
        };
        Err(self.error(message, start, start + 1))
    }

    /// A complete datum: wrap it in pending prefixes, then add it to its container.
    fn datum(&mut self, mut syntax: Syntax) -> Result<(), ReadError> {
        loop {
            match self.stack.last_mut() {
                None => {
                    self.out.push(syntax);
                    return Ok(());
                }
                Some(Open::Prefix { start, name }) => {
                    let span = Span::new(self.file, *start, syntax.span.end as usize);
                    let head = Syntax::ident(name, span);
                    syntax = Syntax::list(vec![head, syntax], span);
                    self.stack.pop();
                }
                Some(Open::DatumComment) => {
                    self.stack.pop();
                    return Ok(());
                }
                Some(Open::List {
                    items,
                    tail,
                    dot_at,
                    ..
                }) => {
                    if dot_at.is_some() {
                        if tail.is_some() {
                            return Err(ReadError {
                                message: "only one datum may follow `.` in a list".into(),
                                span: syntax.span,
                                incomplete: false,
                            });
                        }
                        *tail = Some(syntax);
                    } else {
                        items.push(syntax);
                    }
                    return Ok(());
                }
                Some(Open::Vector { items, .. })
                | Some(Open::Bytes { items, .. })
                | Some(Open::Map { items, .. }) => {
                    items.push(syntax);
                    return Ok(());
                }
            }
        }
    }

    fn hash(&mut self, start: usize) -> Result<(), ReadError> {
        let rest = self.rest();
        if rest.starts_with("#(") {
            self.open(Open::Vector {
                start,
                items: Vec::new(),
            })?;
            self.pos += 2;
        } else if rest.starts_with("#u8(") {
            self.open(Open::Bytes {
                start,
                items: Vec::new(),
            })?;
            self.pos += 4;
        } else if rest.starts_with("#;") {
            self.open(Open::DatumComment)?;
            self.pos += 2;
        } else if rest.starts_with("#\\") {
            let (c, len) = self.character(start)?;
            self.pos += len;
            self.datum(Syntax::atom(Val::char(c), self.span(start, self.pos)))?;
        } else {
            let (after, tok) =
                token(rest).map_err(|_| self.error("unexpected `#`", start, start + 1))?;
            self.advance_to(after);
            // The directives are read as comments are: they are no datum.
            match tok {
                "#!fold-case" => self.fold_case = true,
                "#!no-fold-case" => self.fold_case = false,
                // How `write` prints the unspecified value inside data.
                "#!unspecified" => {
                    let span = self.span(start, self.pos);
                    self.datum(Syntax::atom(Val::Unspecified, span))?;
                }
                _ if tok.starts_with("#!") => {
                    return Err(self.error(
                        format!(
                            "unknown `{tok}`: expected `#!unspecified`, or the directive \
                             `#!fold-case` or `#!no-fold-case`"
                        ),
                        start,
                        start + tok.len(),
                    ))
                }
                _ => {
                    let syn = self.atom(tok, start)?;
                    self.datum(syn)?;
                }
            }
        }
        Ok(())
    }

    /// A name as written, or folded after `#!fold-case`.
    fn folded<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.fold_case {
            Cow::Owned(crate::values::case::fold_string(text))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// An identifier's or keyword's name.
    fn name(&self, text: &str) -> Symbol {
        Symbol::intern(&self.folded(text))
    }

    fn atom(&self, tok: &str, start: usize) -> Result<Syntax, ReadError> {
        let span = self.span(start, start + tok.len());
        let val = match tok {
            "#t" | "#true" => Val::bool(true),
            "#f" | "#false" => Val::bool(false),
            _ => {
                if let Some(n) = may_be_number(tok)
                    .then(|| crate::values::number::parse_number(tok, 10))
                    .flatten()
                {
                    n
                } else if too_long_integer(tok) {
                    return Err(self.error(
                        format!(
                            "integer literal of {} digits: more than {} bits, the most a literal may have",
                            tok.len(),
                            crate::values::number::MAX_POWER_BITS
                        ),
                        start,
                        start + tok.len(),
                    ));
                } else if tok.starts_with('#') {
                    return Err(self.error(
                        format!(
                            "unknown syntax `{tok}`: expected `#t`, `#f`, `#\\`, `#(`, `#u8(`, \
                             `#|`, `#;` or a number"
                        ),
                        start,
                        start + tok.len(),
                    ));
                } else if let Some(name) = tok
                    .strip_prefix(':')
                    .filter(|n| !n.starts_with(':') && !n.is_empty())
                {
                    Val::Keyword(self.name(name))
                } else {
                    return Ok(Syntax::new(SynKind::Id(Ident::user(self.name(tok))), span));
                }
            }
        };
        Ok(Syntax::atom(val, span))
    }

    /// A string literal starting at `start`; returns its value and length in bytes.
    fn string(&self, start: usize) -> Result<(String, usize), ReadError> {
        self.escaped(start, '"')
    }

    /// The text between the `close` character at `start` and the next
    /// unescaped `close`, with R7RS escapes (strings and `|symbols|` share
    /// them); returns it and the length of the whole literal in bytes.
    fn escaped(&self, start: usize, close: char) -> Result<(String, usize), ReadError> {
        let body = &self.text[start + 1..];
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == close => return Ok((out, i + 2)),
                '\\' => {
                    let Some((j, e)) = chars.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        '0' => out.push('\0'),
                        '\\' => out.push('\\'),
                        '"' => out.push('"'),
                        '|' => out.push('|'),
                        'x' | 'X' => {
                            // `\` is at body offset j - 1, so at text offset start + j.
                            let backslash = start + j;
                            let hex_start = j + 1;
                            let digits = body[hex_start..]
                                .find(|c: char| !c.is_ascii_hexdigit())
                                .unwrap_or(body.len() - hex_start);
                            let hex = &body[hex_start..hex_start + digits];
                            if hex.is_empty() || !body[hex_start + digits..].starts_with(';') {
                                return Err(self.error(
                                    "bad `\\x` escape: expected hex digits and `;`, as in `\\x41;`",
                                    backslash,
                                    start + 1 + hex_start + digits,
                                ));
                            }
                            let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            let Some(c) = c else {
                                return Err(self.error(
                                    format!("bad `\\x{hex};` escape: not a Unicode scalar value"),
                                    backslash,
                                    start + 2 + hex_start + digits,
                                ));
                            };
                            out.push(c);
                            // Skip the digits and the `;`.
                            while chars.peek().is_some_and(|&(k, _)| k <= hex_start + digits) {
                                chars.next();
                            }
                        }
                        c if c == '\n' || c == ' ' || c == '\t' || c == '\r' => {
                            // Line continuation: \ <spaces> newline <spaces>.
                            let mut seen_newline = c == '\n';
                            while let Some(&(_, w)) = chars.peek() {
                                if w == '\n' && !seen_newline {
                                    seen_newline = true;
                                } else if w != ' ' && w != '\t' && w != '\r' {
                                    break;
                                }
                                chars.next();
                            }
                        }
                        other => {
                            return Err(self.error(
                                format!(
                                    "unknown {} escape `\\{other}`",
                                    if close == '"' { "string" } else { "symbol" }
                                ),
                                start + j,
                                start + 2 + j,
                            ))
                        }
                    }
                }
                c => out.push(c),
            }
        }
        let message = if close == '"' {
            "unterminated string: expected `\"`"
        } else {
            "unterminated `|symbol|`: expected `|`"
        };
        Err(self.unfinished(message, start, start + 1))
    }

    /// `|symbol with spaces|`, with the escapes of strings (`|a\x41;|` is `aA`).
    fn bar_symbol(&self, start: usize) -> Result<(String, usize), ReadError> {
        self.escaped(start, '|')
    }

    /// `#\a`, `#\space`, `#\x41`.
    fn character(&self, start: usize) -> Result<(char, usize), ReadError> {
        let body = &self.text[start + 2..];
        let Some(first) = body.chars().next() else {
            return Err(self.error("expected a character after `#\\`", start, start + 2));
        };
        let rest: IResult<&str, &str> =
            recognize(take_while(|c: char| !is_delimiter(c))).parse(&body[first.len_utf8()..]);
        let tail = rest.map(|(_, t)| t).unwrap_or("");
        let name_len = first.len_utf8() + tail.len();
        let folded = self.folded(&body[..name_len]);
        let name: &str = &folded;
        let c = if tail.is_empty() {
            Some(first)
        } else {
            match name {
                "space" => Some(' '),
                "newline" | "linefeed" | "nl" => Some('\n'),
                "tab" => Some('\t'),
                "return" => Some('\r'),
                "null" | "nul" => Some('\0'),
                "alarm" => Some('\x07'),
                "backspace" => Some('\x08'),
                "delete" | "rubout" => Some('\x7f'),
                "escape" | "altmode" => Some('\x1b'),
                _ => match name
                    .strip_prefix(['x', 'X'])
                    .filter(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))
                {
                    Some(hex) => match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => Some(c),
                        None => {
                            return Err(self.error(
                                format!(
                                    "bad character `#\\{name}`: expected the hex code of a \
                                     Unicode scalar value"
                                ),
                                start,
                                start + 2 + name_len,
                            ))
                        }
                    },
                    None => None,
                },
            }
        };
        match c {
            Some(c) => Ok((c, 2 + name_len)),
            None => Err(self.error(
                format!(
                    "unknown character name `#\\{name}`: expected one character, a name \
                     such as `space` or `newline`, or `x` and hex digits"
                ),
                start,
                start + 2 + name_len,
            )),
        }
    }
}
