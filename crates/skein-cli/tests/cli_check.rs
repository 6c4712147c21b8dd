//! `skein check FILE...` as a user meets it: each kind of report on stderr,
//! nothing on stdout, the exit code, and the repository's own programs clean.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn skein(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the skein binary")
}

/// A fresh scratch directory holding `files` (name, text).
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_check")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a scratch file");
    }
    dir
}

/// Check `files` in `dir`: exit code and stderr; stdout must stay empty.
fn check(dir: &Path, files: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["check"];
    args.extend_from_slice(files);
    let out = skein(&args, dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "stdout stays empty"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_clean_program_exits_0_and_prints_nothing() {
    let dir = scratch(
        "clean",
        &[(
            "order.flow",
            "(define (main) (reserve \"o-1\"))\n(define (reserve id) (list 'reserved id))\n",
        )],
    );
    assert_eq!(check(&dir, &["order.flow"]), (Some(0), String::new()));
}

#[test]
fn a_syntax_error_is_reported_and_exits_1() {
    let dir = scratch("syntax", &[("bad.flow", "(define (f x)\n  (if))\n")]);
    let (code, stderr) = check(&dir, &["bad.flow"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_read_error_is_reported_and_exits_1() {
    let dir = scratch("read", &[("open.flow", "(define (f x)\n  (+ x \"1))\n")]);
    let (code, stderr) = check(&dir, &["open.flow"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unbound_variables_are_reported_and_exit_1() {
    let dir = scratch(
        "unbound",
        &[(
            "notify.flow",
            "(define (notify user)\n  (send-emial user \"welcome\"))\n(define (send-email user text) text)\n",
        )],
    );
    let (code, stderr) = check(&dir, &["notify.flow"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr);
}

#[test]
fn wrong_argument_counts_are_reported_and_exit_1() {
    let dir = scratch(
        "arity",
        &[(
            "quote.flow",
            "(define (quote-price weight zone) (* weight zone))\n\
             (display (quote-price 3))\n\
             (display (string-upcase \"a\" \"b\"))\n",
        )],
    );
    let (code, stderr) = check(&dir, &["quote.flow"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr);
}

#[test]
fn several_files_are_each_checked_and_summed_up() {
    let dir = scratch(
        "several",
        &[
            ("good.flow", "(define x 1)\n"),
            ("bad.flow", "(car)\n(cdr)\n"),
        ],
    );
    let (code, stderr) = check(&dir, &["good.flow", "bad.flow"]);
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("bad.flow:1:1: error: car: expected 1 argument, got 0\n"));
    assert!(stderr.contains("bad.flow:2:1: error: cdr: expected 1 argument, got 0\n"));
    assert!(
        stderr.ends_with("skein check: 2 problems in 1 file\n"),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_is_reported_and_exits_1() {
    let dir = scratch("missing", &[]);
    let (code, stderr) = check(&dir, &["nowhere.flow"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: cannot read nowhere.flow: "),
        "{stderr}"
    );
}

#[test]
fn no_file_is_a_usage_error() {
    let out = skein(&["check"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: skein check <FILE>..."));
}

#[test]
fn reports_are_plain_when_stderr_is_not_a_terminal() {
    let dir = scratch("plain", &[("bad.flow", "(car)\n")]);
    let out = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(["check", "bad.flow"])
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run the skein binary");
    assert!(!out.stderr.contains(&0x1b), "no escape codes in a pipe");
}

/// The programs in the repository's `dir` whose names end in `ext`.
fn programs(dir: &str, ext: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .expect("list the directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_flow_and_the_stdlib_check_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = programs("flows", ".flow");
    files.extend(programs("stdlib", ".scm"));
    let names: Vec<&str> = files
        .iter()
        .map(|p| p.to_str().expect("a UTF-8 path"))
        .collect();
    assert!(
        names.len() >= 8,
        "the example flows and the prelude: {names:?}"
    );
    let mut args = vec!["check"];
    args.extend(&names);
    let out = skein(&args, &root);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
}

#[test]
fn help_says_what_is_checked_and_what_the_exit_status_means() {
    let out = skein(&["check", "--help"], Path::new("."));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_conformance_programs_check_clean() {
    // Correct programs that exercise every corner of the language (macro
    // hygiene, records, continuations, errors raised on purpose): a report
    // here would be a false alarm.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = programs("tests/conformance", ".scm");
    assert!(files.len() >= 50, "the conformance fixtures were found");
    let mut args = vec!["check"];
    args.extend(files.iter().map(|p| p.to_str().expect("a UTF-8 path")));
    let out = skein(&args, &root);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
}

#[test]
fn the_check_goes_on_after_syntax_and_read_errors_it_can_recover_from() {
    let dir = scratch(
        "recover",
        &[(
            "many.flow",
            "(define (f x)\n  (if))\n\
             (define (g x) (+ x 1)))\n\
             (car)\n\
             (define (h) #<bad> 1)\n\
             (cdr)\n\
             (define s \"unterminated)\n\
             (car)\n",
        )],
    );
    let (code, stderr) = check(&dir, &["many.flow"]);
    assert_eq!(code, Some(1));
    let headlines: Vec<&str> = stderr.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(
        headlines,
        [
            "many.flow:2:3: error: if: expected (if test then [else])",
            "many.flow:3:23: error: unexpected `)`: nothing to close",
            "many.flow:4:1: error: car: expected 1 argument, got 0",
            "many.flow:5:13: error: unknown syntax `#<bad>`: expected `#t`, `#f`, `#\\`, `#(`, `#u8(`, `#|`, `#;` or a number",
            "many.flow:6:1: error: cdr: expected 1 argument, got 0",
            "many.flow:7:11: error: unterminated string: expected `\"`; the check read no further in many.flow",
        ],
        "{stderr}"
    );
    assert!(
        stderr.ends_with("skein check: 6 problems in 1 file\n"),
        "{stderr}"
    );
}

#[test]
fn a_stray_bracket_loses_no_form_so_unbound_names_are_still_reported() {
    let dir = scratch(
        "stray",
        &[("stray.flow", "(define (g x) (+ x 1)))\n(display (g y))\n")],
    );
    let (code, stderr) = check(&dir, &["stray.flow"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("stray.flow:1:23: error: unexpected `)`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stray.flow:2:13: error: unbound variable: y"),
        "{stderr}"
    );
}

#[test]
fn host_functions_named_with_host_are_bound_and_their_arity_is_checked() {
    let dir = scratch(
        "host",
        &[(
            "quote.flow",
            "(define (total sku n) (* n (price sku)))\n\
             (display (price \"tea\" 2))\n\
             (notify-slack \"#orders\" (total \"tea\" 2))\n",
        )],
    );
    let (code, stderr) = check(&dir, &["quote.flow"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("error: unbound variable: price"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: unbound variable: notify-slack"),
        "{stderr}"
    );

    let (code, stderr) = check(
        &dir,
        &["quote.flow", "--host", "price/1", "--host", "notify-slack"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr.lines().next(),
        Some("quote.flow:2:10: error: price: expected 1 argument, got 2"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("skein check: 1 problem in 1 file\n"),
        "{stderr}"
    );

    let (code, stderr) = check(
        &dir,
        &["quote.flow", "--host", "price", "--host", "notify-slack"],
    );
    assert_eq!((code, stderr.as_str()), (Some(0), ""));

    let out = skein(&["check", "quote.flow", "--host", "two words"], &dir);
    assert_eq!(out.status.code(), Some(2));
}
