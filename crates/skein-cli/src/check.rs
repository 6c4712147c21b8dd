//! `skein check FILE...`: report what would go wrong in each program, without running it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::style;

/// `skein check --help`.
pub const LONG_ABOUT: &str = "\
Read and compile each FILE without running it, and report on stderr, as
`file:line:col: error: ...` with the source line:

  - syntax errors, from the reader and from special forms and macros;
  - unbound variables: globals neither built in nor defined anywhere in the
    program (a definition may come after its use);
  - calls with the wrong number of arguments to built-in procedures and to
    procedures the program defines once, with `(define (f a b) ...)`.

Each FILE is checked as a program of its own, with the files it loads by a
literal `(load \"path\")`. Macros defined by earlier forms apply to later ones.
A program that loads a computed path may define names the check cannot see,
so its unbound-variable reports are left out.

A read error (an unclosed list, a stray bracket, a bad literal) is reported
and reading goes on: after a stray closing bracket, just past it; otherwise
at the next line that starts with `(`, the usual start of a top-level form.
When the text ends inside an open list or string, the rest of the file is
not checked, and the report says so.

Procedures that a host program registers (Engine::register_fn) exist only
when it runs the program: name each with --host NAME, or --host NAME/N when
it takes exactly N arguments, and calls to it are not reported as unbound.

Exit status: 0 when nothing is reported, 1 when something is, 2 for a wrong
command line.";

/// Check each file as a program of its own (as `skein run FILE` would run it,
/// with the files it loads); print every problem on stderr.
pub fn run(files: &[PathBuf], host: &[skein::HostFunction]) -> ExitCode {
    let colour = style::colour_for(&std::io::stderr());
    // A file loaded by two of the programs checked is reported once.
    let mut seen = HashSet::new();
    let mut failed_files = 0;
    for file in files {
        let problems: Vec<_> = skein::check_file_with_host(file, host)
            .into_iter()
            .filter(|d| seen.insert(d.report.clone()))
            .collect();
        if !problems.is_empty() {
            failed_files += 1;
        }
        for problem in &problems {
            eprint!("{}", style::report(&problem.report, colour));
        }
    }
    if seen.is_empty() {
        return ExitCode::SUCCESS;
    }
    let problems = plural(seen.len(), "problem");
    let programs = plural(failed_files, "file");
    eprintln!("skein check: {problems} in {programs}");
    ExitCode::FAILURE
}

/// `--host NAME` or `--host NAME/N`: a procedure the host registers.
pub fn parse_host(text: &str) -> Result<skein::HostFunction, String> {
    let (name, arity) = match text.rsplit_once('/') {
        // A name may hold `/` (`flow/start`): only digits after it are a count.
        Some((name, n))
            if !name.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let n = n
                .parse()
                .map_err(|_| format!("`{n}` is too large an argument count"))?;
            (name, Some(n))
        }
        _ => (text, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!(
            "`{text}` is not a procedure name: write NAME or NAME/N"
        ));
    }
    Ok(skein::HostFunction {
        name: name.to_string(),
        arity,
    })
}

/// `1 flow`, `2 flows`: a count and its noun, for messages.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
