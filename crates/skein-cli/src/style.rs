//! Colour for people, plain text for pipes: when the CLI colours and how.

use std::io::IsTerminal;

/// Colour output on `stream` only when it is a terminal and the user has not
/// asked for plain text (`NO_COLOR`, see no-color.org, or a dumb terminal).
pub fn colour_for(stream: &impl IsTerminal) -> bool {
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    stream.is_terminal() && !no_colour && !dumb
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[1;32m";

/// A rendered error report (`file:line:col: error: message` then the source
/// excerpt) with its headline emphasised.
pub fn report(text: &str, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let (headline, rest) = text.split_once('\n').unwrap_or((text, ""));
    let painted = match headline.find("error:") {
        Some(at) => {
            let (place, message) = (&headline[..at], &headline[at + "error:".len()..]);
            format!("{BOLD}{place}{RESET}{RED}error:{RESET}{BOLD}{message}{RESET}")
        }
        None => headline.to_string(),
    };
    if text.contains('\n') {
        format!("{painted}\n{rest}")
    } else {
        painted
    }
}

/// The REPL prompt as shown on a colour terminal.
pub fn prompt(text: &str) -> String {
    format!("{GREEN}{text}{RESET}")
}
