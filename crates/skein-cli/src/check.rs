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

Exit status: 0 when nothing is reported, 1 when something is, 2 for a wrong
command line.";

/// Check each file as a program of its own (as `skein run FILE` would run it,
/// with the files it loads); print every problem on stderr.
pub fn run(files: &[PathBuf]) -> ExitCode {
    let colour = style::colour_for(&std::io::stderr());
    // A file loaded by two of the programs checked is reported once.
    let mut seen = HashSet::new();
    let mut failed_files = 0;
    for file in files {
        let problems: Vec<_> = skein::check_file(file)
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

/// `1 flow`, `2 flows`: a count and its noun, for messages.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
