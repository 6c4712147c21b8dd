//! `skein run` as a user meets it: program output on stdout and nothing else, the
//! error report on stderr, and the exit code; plus every example flow in `flows/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn skein(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(args)
        .output()
        .expect("run the skein binary")
}

/// Write `text` to a fresh file named `name` under this test's scratch directory.
fn scratch_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_run")
        .join(test);
    let path = dir.join(name);
    let parent = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(parent).expect("create the scratch directory");
    std::fs::write(&path, text).expect("write the scratch file");
    path
}

fn run(path: &Path) -> Output {
    skein(&["run", path.to_str().expect("a UTF-8 path")])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn run_prints_exactly_what_the_program_writes() {
    let path = scratch_file(
        "prints",
        "hello.flow",
        "(display \"hello\")\n(newline)\n(write '(1 \"two\" #\\3))\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "hello\n(1 \"two\" #\\3)");
    assert_eq!(stderr(&out), "");
}

#[test]
fn run_of_a_silent_program_prints_nothing() {
    let path = scratch_file("silent", "silent.flow", "(define x 1)\n(+ x 1)\n");
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
}

#[test]
fn uncaught_error_reports_on_stderr_and_exits_1() {
    let path = scratch_file(
        "uncaught",
        "charge.flow",
        "(display \"before\")\n(newline)\n(define (charge order)\n  (car order))\n(charge 42)\n(display \"after\")\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(1));
    // Output written before the error is kept, and nothing is added to it.
    assert_eq!(stdout(&out), "before\n");
    let err = stderr(&out);
    let headline = format!("{}:4:3: error: car: expected a pair 42", path.display());
    assert!(
        err.starts_with(&headline),
        "stderr should start with {headline:?}:\n{err}"
    );
    assert!(
        err.contains("(car order)"),
        "the source line is shown:\n{err}"
    );
    assert!(err.contains('^'), "a caret marks the expression:\n{err}");
}

#[test]
fn reader_error_reports_on_stderr_and_exits_1() {
    let path = scratch_file(
        "reader",
        "broken.flow",
        "(display 1)\n(display (list 1 2)\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "nothing runs when the file does not read");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("{}:2:1: error: ", path.display())),
        "{err}"
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/missing.flow");
    let out = run(&path);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("missing.flow"), "names the file: {err}");
    assert!(
        err.to_lowercase().contains("no such file"),
        "says why it could not be read: {err}"
    );
}

#[test]
fn exit_sets_the_exit_code() {
    let path = scratch_file(
        "exit",
        "exit.flow",
        "(display \"bye\")\n(exit 3)\n(display \"not reached\")\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "bye");
    assert_eq!(stderr(&out), "");
}

#[test]
fn exit_without_a_code_succeeds() {
    let path = scratch_file("exit0", "exit.flow", "(exit)\n");
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

#[test]
fn version_prints_the_version() {
    let out = skein(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("skein {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = skein(&["frobnicate"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!stderr(&out).is_empty());
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate sits two levels below the repository root")
        .to_path_buf()
}

#[test]
fn every_example_flow_runs() {
    let dir = repo_root().join("flows");
    let mut flows: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "flow"))
        .collect();
    flows.sort();
    assert!(!flows.is_empty(), "no .flow files in {}", dir.display());
    let mut failures = Vec::new();
    for flow in &flows {
        let out = run(flow);
        let name = flow.file_name().unwrap().to_string_lossy();
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{name}: exit {:?}\n{}",
                out.status.code(),
                stderr(&out)
            ));
        } else if name.starts_with("run-") && out.stdout.is_empty() {
            // run-*.flow scripts drive a flow and report; the others define flows.
            failures.push(format!("{name}: printed nothing"));
        } else if !out.stderr.is_empty() {
            failures.push(format!("{name}: wrote to stderr:\n{}", stderr(&out)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_million_open_parens_is_a_clean_error() {
    let path = scratch_file("deep", "deep.flow", &"(".repeat(1_000_000));
    let out = run(&path);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "{}:1:10001: error: nesting deeper than",
            path.display()
        )),
        "{}",
        &err[..err.len().min(300)]
    );
}

// ---- what `skein run` grants (docs/security.md) ----

#[test]
fn run_grants_the_clock_the_environment_and_load_beside_the_script() {
    scratch_file("grants", "lib/helper.scm", "(define (helper) 'helped)\n");
    let path = scratch_file(
        "grants",
        "main.flow",
        "(load \"lib/helper.scm\")\n(write (helper))\n\
         (write (real? (current-second)))\n\
         (write (string? (get-environment-variable \"PATH\")))\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "helped#t#t");
}

#[test]
fn run_refuses_load_outside_the_scripts_directory_without_showing_the_file() {
    scratch_file("escape", "secret.txt", "TOP-SECRET-CONTENTS\n");
    let path = scratch_file("escape", "scripts/main.flow", "(load \"../secret.txt\")\n");
    let out = run(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("outside the directory"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("TOP-SECRET"), "{}", stderr(&out));
    let path = scratch_file(
        "escape",
        "scripts/environ.flow",
        "(load \"/proc/self/environ\")\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("PATH="), "{}", stderr(&out));
}

#[test]
fn exit_inside_a_flow_is_refused_and_does_not_end_run() {
    let path = scratch_file(
        "exit_in_flow",
        "exit.flow",
        "(defflow quit (lambda () (exit 9)))\n\
         (write (car (flow/start quit)))\n(display \" still running\")\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "flow-failed still running");
}

#[test]
fn exit_runs_pending_dynamic_wind_after_thunks_before_the_process_ends() {
    let path = scratch_file(
        "exit_unwinds",
        "exit.flow",
        "(dynamic-wind (lambda () (display \"before \"))\n\
                       (lambda () (exit 5))\n\
                       (lambda () (display \"after\")))\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(stdout(&out), "before after");
}

#[test]
fn the_error_port_writes_to_stderr() {
    let path = scratch_file(
        "error_port",
        "err.flow",
        "(display \"out\")\n(display \"err\" (current-error-port))\n",
    );
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "out");
    assert_eq!(stderr(&out), "err");
}

#[test]
fn run_takes_its_limits_from_the_command_line() {
    let hog = scratch_file(
        "limits",
        "hog.scm",
        "(display \"start\")\n(length (make-list 100000000))\n",
    );
    let hog = hog.to_str().expect("a UTF-8 path");
    let out = skein(&["run", "--max-heap", "64M", hog]);
    assert!(!out.status.success());
    assert_eq!(stdout(&out), "start");
    assert!(stderr(&out).contains("max_heap_bytes"), "{}", stderr(&out));

    let counter = scratch_file(
        "limits",
        "count.scm",
        "(let loop ((i 0)) (if (< i 1000) (loop (+ i 1)) (display i)))\n",
    );
    let counter = counter.to_str().expect("a UTF-8 path");
    let out = skein(&["run", "--max-steps", "100", counter]);
    assert!(stderr(&out).contains("max_steps"), "{}", stderr(&out));
    let out = skein(&["run", "--max-steps", "2000", counter]);
    assert_eq!(stdout(&out), "1000");

    let out = skein(&["run", "--max-heap", "lots", counter]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is not a size"), "{}", stderr(&out));
}
