//! What the line editor asks of skein: is the entry complete, what may this
//! word become, how does the prompt look.

use std::borrow::Cow;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::commands::{self, Command};
use crate::style;

pub struct ReplHelper {
    /// Bound names, refreshed after every entry (definitions add to them).
    pub names: Vec<String>,
    pub colour: bool,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(colour: bool) -> ReplHelper {
        ReplHelper {
            names: Vec::new(),
            colour,
            files: FilenameCompleter::new(),
        }
    }
}

/// Whether the entry needs more lines: an expression (or the argument of a
/// command that takes one) that ends inside an open bracket or string.
pub fn needs_more(input: &str) -> bool {
    match commands::split(input) {
        Some((name, rest)) => {
            matches!(Command::named(name), Some(c) if c.takes_datum()) && !skein::is_complete(rest)
        }
        None => !skein::is_complete(input),
    }
}

/// Characters that end a symbol, so a completion starts after them.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || "()[]{}\"';`,".contains(c)
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        if let Some((name, rest)) = commands::split(before) {
            if rest.is_empty() && !before.ends_with(char::is_whitespace) {
                // Still typing the command's name.
                let candidates = Command::ALL
                    .iter()
                    .map(|c| c.name())
                    .filter(|n| n.starts_with(name))
                    .map(|n| pair(n.to_string()))
                    .collect();
                return Ok((pos - name.len(), candidates));
            }
            match Command::named(name) {
                Some(c) if c.takes_file() => return self.files.complete(line, pos, ctx),
                Some(c) if c.takes_datum() => {}
                _ => return Ok((pos, Vec::new())),
            }
        }
        let start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| is_delimiter(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        if word.is_empty() {
            // Every bound name is not a useful answer to a Tab on nothing.
            return Ok((pos, Vec::new()));
        }
        let candidates = self
            .names
            .iter()
            .filter(|n| n.starts_with(word))
            .map(|n| pair(n.clone()))
            .collect();
        Ok((start, candidates))
    }
}

fn pair(text: String) -> Pair {
    Pair {
        display: text.clone(),
        replacement: text,
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        // A read error other than running out is accepted: evaluating the
        // entry reports it with its place, which is more use than a refusal.
        Ok(if needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if self.colour {
            Cow::Owned(style::prompt(prompt))
        } else {
            Cow::Borrowed(prompt)
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_brackets_and_strings_need_more_input() {
        assert!(needs_more("(define (f x)"));
        assert!(needs_more("(display \"two\nlines"));
        assert!(needs_more(",time (let loop ((i 0))"));
        assert!(needs_more(",resume 1 {:amount"));
    }

    #[test]
    fn complete_entries_and_errors_are_accepted() {
        assert!(!needs_more("(+ 1 2)"));
        assert!(!needs_more("(car))"), "an error is reported, not waited on");
        assert!(
            !needs_more(",load my (file.flow"),
            "file names are not read"
        );
        assert!(!needs_more(",flows"));
        assert!(!needs_more(""));
    }
}
