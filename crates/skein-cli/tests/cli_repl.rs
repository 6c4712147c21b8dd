//! `skein repl` with standard input from a pipe, as a script drives it: no
//! prompts, values on stdout, errors on stderr, every command, and the session
//! going on after each mistake.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh scratch directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_repl")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// Run `skein repl ARGS` in `dir` with `input` on standard input.
fn repl(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skein"))
        .arg("repl")
        .args(args)
        .current_dir(dir)
        .env("SKEIN_HISTORY", dir.join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start skein repl");
    child
        .stdin
        .take()
        .expect("the REPL's stdin")
        .write_all(input.as_bytes())
        .expect("write the session");
    child.wait_with_output().expect("wait for skein repl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows")
}

#[test]
fn values_are_written_and_definitions_print_nothing() {
    let dir = scratch_dir("values");
    let out = repl(
        &dir,
        &[],
        "(define (greet who)\n  (string-append \"hello, \" who))\n(greet \"ada\")\n\
         'sym\n#\\a\n(list 1.5 :kw {:b 2 :a 1})\n(if #f #f)\n(display \"no newline\")\n42\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "\"hello, ada\"\nsym\n#\\a\n(1.5 :kw {:a 1 :b 2})\nno newline\n42\n"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn an_error_is_reported_and_the_session_goes_on() {
    let dir = scratch_dir("errors");
    let out = repl(
        &dir,
        &[],
        "(car '())\n(+ 1\n   2)\n(list undefined-thing)\n)\n(* 6 7)\n",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a script whose entries failed exits 1"
    );
    // An error never ends the session: the entries after it ran.
    assert_eq!(text(&out.stdout), "3\n42\n");
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn a_flow_is_driven_with_commands() {
    let dir = scratch_dir("flow");
    let file = flows_dir().join("order-lifecycle.flow");
    let out = repl(
        &dir,
        &[file.to_str().expect("a UTF-8 path")],
        "(flow/start order-lifecycle \"o-7\")\n\
         ,flows\n\
         ,resume 1 {:sku \"tea\"\n         :qty 2}\n\
         ,log 1\n\
         ,export store.json\n\
         (flow-store-reset!)\n\
         ,flows\n\
         ,import store.json\n\
         ,flows\n\
         ,resume 1 {:amount 1800}\n",
    );
    assert_eq!(text(&out.stderr), "");
    insta::assert_snapshot!(text(&out.stdout));
    let saved = std::fs::read_to_string(dir.join("store.json")).expect("the exported store");
    assert!(saved.contains("\"format\": \"skein-store\""), "{saved}");
}

#[test]
fn command_mistakes_are_reported_and_change_nothing() {
    let dir = scratch_dir("command_mistakes");
    std::fs::write(
        dir.join("bad.json"),
        "{\"format\": \"skein-store\", \"version\": 99}",
    )
    .expect("write a bad store document");
    let out = repl(
        &dir,
        &[],
        "(defflow ask (lambda () (request 'question 1)))\n\
         (flow/start ask)\n\
         ,bogus\n\
         ,resume\n\
         ,resume 1\n\
         ,resume 7 yes\n\
         ,resume x yes\n\
         ,resume 1 (unclosed))\n\
         ,resume 1 #<procedure>\n\
         ,log 9\n\
         ,flows now\n\
         ,load missing.flow\n\
         ,import bad.json\n\
         ,import missing.json\n\
         ,flows\n",
    );
    assert_eq!(out.status.code(), Some(1), "refused commands are failures");
    assert_eq!(
        text(&out.stdout),
        "(flow-suspended 1 question 1)\n\
         id  flow  status     waiting\n\
         1   ask   suspended  question\n",
        "the flow still waits after every refused command"
    );
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn load_time_help_and_quit() {
    let dir = scratch_dir("load_time_help_quit");
    std::fs::write(dir.join("lib.flow"), "(define (square x) (* x x))\n")
        .expect("write a file to load");
    let out = repl(
        &dir,
        &[],
        ",load lib.flow\n,time (square 12)\n,help\n,quit\n(display \"after quit\")\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    // The time varies: keep its shape, not its digits.
    let (value, rest) = stdout.split_once('\n').expect("the value, then the time");
    assert_eq!(value, "144");
    let (time, help) = rest.split_once('\n').expect("the time, then the help");
    assert!(
        time.starts_with("; time: ") && (time.ends_with(" ms") || time.ends_with(" s")),
        "{time}"
    );
    assert!(!stdout.contains("after quit"), "nothing runs after ,quit");
    insta::assert_snapshot!(help);
}

#[test]
fn exit_ends_the_session_with_its_code() {
    let dir = scratch_dir("exit");
    let out = repl(&dir, &[], "(display 1)\n(exit 3)\n(display 2)\n");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "1\n");
}

#[test]
fn an_error_in_the_file_given_is_reported_and_the_session_starts() {
    let dir = scratch_dir("bad_file");
    std::fs::write(dir.join("broken.flow"), "(define x 1)\n(car x)\n").expect("write the file");
    let out = repl(&dir, &["broken.flow"], "(+ x 1)\n");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the file's error is the script's"
    );
    assert_eq!(text(&out.stdout), "2\n");
    assert!(
        text(&out.stderr).starts_with("broken.flow:2:1: error: car: expected a pair 1\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn piped_entries_stay_out_of_the_history_and_carry_no_colour() {
    let dir = scratch_dir("no_history");
    let out = repl(&dir, &[], "(car 1)\n");
    assert!(!dir.join("history").exists(), "a script is not history");
    assert!(!out.stderr.contains(&0x1b), "no escape codes in a pipe");
    assert!(!out.stdout.contains(&0x1b), "no escape codes in a pipe");
}

#[test]
fn the_repl_grants_load_under_the_current_directory_and_the_environment() {
    let dir = scratch_dir("grants");
    std::fs::create_dir_all(dir.join("work")).expect("create a directory");
    std::fs::write(dir.join("work/lib.scm"), "(define from-lib 5)\n").expect("write");
    std::fs::write(dir.join("secret.txt"), "TOP-SECRET\n").expect("write");
    let out = repl(
        &dir.join("work"),
        &[],
        "(load \"lib.scm\")\nfrom-lib\n(string? (get-environment-variable \"PATH\"))\n(load \"../secret.txt\")\n",
    );
    assert_eq!(out.status.code(), Some(1), "the refused load failed");
    assert_eq!(text(&out.stdout), "5\n#t\n");
    let err = text(&out.stderr);
    assert!(err.contains("outside the directory"), "{err}");
    assert!(!err.contains("TOP-SECRET"), "{err}");
}

#[test]
fn a_script_exits_0_when_every_entry_succeeded_and_1_when_one_failed() {
    let dir = scratch_dir("exit_status");
    let ok = repl(&dir, &[], "(define x 1)\n(+ x 1)\n,flows\n");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    // One failure among successes, even the first entry, is enough.
    let failed = repl(&dir, &[], "(car '())\n(define x 1)\n(+ x 1)\n");
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(text(&failed.stdout), "2\n", "the session went on");
    // An explicit exit says what the script means, whatever came before.
    let exited = repl(&dir, &[], "(car '())\n(exit 0)\n");
    assert_eq!(exited.status.code(), Some(0));
}

#[test]
fn a_quoted_datum_after_a_command_means_the_datum_itself() {
    let dir = scratch_dir("quoted_datum");
    let out = repl(
        &dir,
        &[],
        "(defflow charge (lambda () (if (eq? (request 'charge 10) 'ok) 'charged 'declined)))\n\
         (flow/start charge)\n\
         ,resume 1 'ok\n\
         ,start charge\n\
         ,resume 2 (quote ok)\n\
         ,start charge\n\
         ,resume 3 ''ok\n\
         ,log 3\n\
         ,start charge\n\
         ,resume 4 `ok\n",
    );
    assert_eq!(
        text(&out.stdout),
        "(flow-suspended 1 charge 10)\n\
         (flow-done 1 charged)\n\
         (flow-suspended 2 charge 10)\n\
         (flow-done 2 charged)\n\
         (flow-suspended 3 charge 10)\n\
         (flow-done 3 declined)\n\
         pos  request  answer\n\
         0    charge   'ok\n\
         (flow-suspended 4 charge 10)\n",
        "'ok and (quote ok) are ok; only ''ok is the list (quote ok)"
    );
    assert_eq!(
        text(&out.stderr),
        "error: a datum is not evaluated, so a backquote template cannot be filled in: write the data itself, as in ok\n"
    );
}

#[test]
fn flows_are_started_shown_and_cancelled_with_commands() {
    let dir = scratch_dir("start_show_cancel");
    let out = repl(
        &dir,
        &[],
        "(defflow ship (lambda (order carrier) (request (list 'deliver order 1) carrier)))\n\
         ,start ship \"o-1\" 'dhl\n\
         ,resume 1 {:tracking \"Z1\"}\n\
         ,show 1\n\
         ,start ship \"o-2\" ups\n\
         ,show 2\n\
         ,cancel 2\n\
         ,show 2\n",
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn start_show_and_cancel_mistakes_are_reported_and_change_nothing() {
    let dir = scratch_dir("start_show_cancel_mistakes");
    let out = repl(
        &dir,
        &[],
        "(defflow ship (lambda (order carrier) (request 'deliver order)))\n\
         (define (backoff n) (* n 2))\n\
         ,start\n\
         ,start ship \"o-1\"\n\
         ,start backoff 1\n\
         ,start nothing\n\
         ,start ship 1 2)\n\
         ,show 1\n\
         ,cancel 1\n\
         ,start ship \"o-1\" dhl\n\
         ,cancel 1\n\
         ,cancel 1\n\
         ,show x\n\
         ,flows\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "(flow-suspended 1 deliver \"o-1\")\n\
         (flow-cancelled 1)\n\
         id  flow  status     waiting\n\
         1   ship  cancelled  -\n",
        "no refused start used an id"
    );
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn the_unspecified_value_inside_data_prints_readably_and_reads_back() {
    let dir = scratch_dir("unspecified");
    let out = repl(
        &dir,
        &[],
        "(if #f #f)\n\
         (define m (hash-map :notified (if #f #f) :ok #t))\n\
         m\n\
         (list (if #f #f) 1)\n\
         (let ((p (open-output-string))) (write m p) (equal? (read (open-input-string (get-output-string p))) m))\n",
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        text(&out.stdout),
        "{:notified #!unspecified :ok #t}\n(#!unspecified 1)\n#t\n",
        "a bare unspecified value prints nothing; inside data it has a readable name"
    );
}

#[test]
fn a_request_is_failed_with_a_command_and_the_flow_handles_it() {
    let dir = scratch_dir("fail");
    let out = repl(
        &dir,
        &[],
        "(defflow pay (lambda () (guard (e ((request-error? e) (list 'declined (error-object-message e)))) (request 'charge 10))))\n\
         ,start pay\n\
         ,fail 1 card declined\n\
         ,log 1\n",
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
    let refused = repl(
        &dir,
        &[],
        "(defflow w (lambda () (request 'x)))\n,start w\n,fail 1\n,fail 9 why\n",
    );
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(err.contains("usage: ,fail ID MESSAGE"), "{err}");
    assert!(err.contains("no flow with id 9"), "{err}");
}
