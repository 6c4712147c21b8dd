//! `skein repl` at a real terminal: a pseudo-terminal drives the binary as a
//! person would (typing, Tab, Ctrl-C, Ctrl-D), and the transcripts are the
//! screen that person would see, rendered by a terminal emulator.
#![cfg(unix)]

use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::session::PtySession;

/// Generous: CI is a slow two-core machine. No test asserts on timing; this
/// only bounds how long a broken REPL can hang a test.
const TIMEOUT_MS: u64 = 120_000;

/// The terminal the REPL runs in, and everything it printed so far.
struct Terminal {
    pty: PtySession,
    printed: Vec<u8>,
}

/// A fresh scratch directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("repl_pty")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows")
}

impl Terminal {
    /// `skein repl ARGS` in `dir`, with history kept in `dir`.
    fn start(dir: &Path, args: &[&str], colour: bool) -> Terminal {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skein"));
        cmd.arg("repl")
            .args(args)
            .current_dir(dir)
            .env("SKEIN_HISTORY", dir.join("history"))
            .env("TERM", "xterm");
        if colour {
            cmd.env_remove("NO_COLOR");
        } else {
            cmd.env("NO_COLOR", "1");
        }
        let pty = rexpect::session::spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn skein repl");
        let mut term = Terminal {
            pty,
            printed: Vec::new(),
        };
        term.prompt();
        term
    }

    /// Wait for a fresh prompt. The line editor redraws the line being edited
    /// (prompt included) as keys arrive, so the prompt text alone could be a
    /// redraw; a fresh prompt follows the editor turning on bracketed paste,
    /// which it does each time it starts reading an entry.
    fn prompt(&mut self) {
        self.expect("\x1b[?2004h");
        self.expect("skein> ");
    }

    /// Wait until the REPL prints `needle`.
    fn expect(&mut self, needle: &str) {
        match self.pty.exp_string(needle) {
            Ok(before) => {
                self.record(&before);
                self.record(needle);
            }
            Err(e) => panic!(
                "waiting for {needle:?}: {e}\nthe screen so far:\n{}",
                self.screen()
            ),
        }
    }

    /// The pty reader hands over each byte as a `char`; keep the bytes.
    fn record(&mut self, text: &str) {
        self.printed.extend(text.chars().map(|c| c as u8));
    }

    fn send(&mut self, keys: &str) {
        self.pty.send(keys).expect("type into the terminal");
        self.pty.flush().expect("flush the terminal");
    }

    /// Type `line` and press Enter, then wait for the next prompt.
    fn enter(&mut self, line: &str) {
        self.send(line);
        self.send("\r");
        self.prompt();
    }

    fn ctrl(&mut self, key: char) {
        self.pty.send_control(key).expect("send a control key");
    }

    /// What a person would see: the output rendered by a terminal emulator.
    fn screen(&self) -> String {
        let size = |n| NonZeroU16::new(n).expect("a non-zero size");
        let mut parser = vt100::Parser::new(size(500), size(80), 0);
        parser.process(&self.printed);
        let screen = parser.screen().contents();
        let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
        lines.join("\n").trim_end().to_string()
    }

    /// Press Ctrl-D and wait for the REPL to exit; its exit code.
    fn leave(mut self) -> (String, Option<i32>) {
        self.ctrl('d');
        match self.pty.exp_eof() {
            Ok(rest) => self.record(&rest),
            Err(e) => panic!("the REPL did not exit on Ctrl-D: {e}\n{}", self.screen()),
        }
        let status = self
            .pty
            .process_mut()
            .wait()
            .expect("the REPL's exit status");
        let code = match status {
            rexpect::process::WaitStatus::Exited(_, code) => Some(code),
            _ => None,
        };
        (self.screen(), code)
    }
}

#[test]
fn multi_line_entry_then_an_error_then_more_input() {
    let dir = scratch_dir("multi_line");
    let mut t = Terminal::start(&dir, &[], false);
    // Enter inside an open bracket goes on to the next line.
    t.send("(define (double x)\r");
    t.send("  (* 2 x))\r");
    t.prompt();
    t.enter("(double 21)");
    t.enter("(display \"a string\nover two lines\")");
    t.enter("(double (car '()))");
    t.enter("(double 2)");
    let (screen, code) = t.leave();
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(screen);
}

#[test]
fn tab_completes_bound_names_and_commands() {
    let dir = scratch_dir("completion");
    let mut t = Terminal::start(&dir, &[], false);
    t.enter("(define (order-total items) (apply + items))");
    // A unique prefix completes in place, including names defined just now.
    t.send("(order-to\t");
    t.expect("order-total");
    t.enter(" '(1 2 3))");
    // An ambiguous prefix lists the candidates on a second Tab.
    t.send("(string-ci\t\t");
    t.expect("string-ci>=?");
    t.ctrl('c');
    t.prompt();
    t.send(",fl\t");
    t.expect("flows");
    t.enter("");
    let (screen, _) = t.leave();
    insta::assert_snapshot!(screen);
}

#[test]
fn a_flow_started_and_resumed_from_the_prompt() {
    let dir = scratch_dir("flow");
    let file = flows_dir().join("order-lifecycle.flow");
    let mut t = Terminal::start(&dir, &[file.to_str().expect("a UTF-8 path")], false);
    t.enter("(flow/start order-lifecycle \"o-1\")");
    t.enter(",flows");
    t.enter(",resume 1 {:sku \"tea\" :qty 2}");
    t.send(",resume 1 {:amount 1800\r");
    // The datum was still open: it goes on until the map is closed.
    t.send("  :currency \"EUR\"}\r");
    t.prompt();
    t.enter(",log 1");
    t.enter(",flows");
    t.enter(",resume 1 'shipped");
    t.enter(",flows");
    let (screen, _) = t.leave();
    insta::assert_snapshot!(screen);
}

#[test]
fn ctrl_c_interrupts_a_runaway_evaluation_and_the_repl_goes_on() {
    let dir = scratch_dir("interrupt");
    let mut t = Terminal::start(&dir, &[], false);
    t.send("(define n 0)\r");
    t.prompt();
    // The flushed output shows the loop has started before Ctrl-C is
    // pressed; it is computed, so the echo of the entry cannot match it.
    t.send(
        "(begin (display (string-append \"spin\" \"ning\")) (flush-output-port)\r\
         (let loop () (set! n (+ n 1)) (loop)))\r",
    );
    t.expect("spinning");
    t.ctrl('c');
    t.expect("interrupted");
    t.prompt();
    t.enter("(> n 0)");
    let (screen, code) = t.leave();
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(screen);
}

#[test]
fn ctrl_c_cancels_the_entry_being_typed() {
    let dir = scratch_dir("cancel");
    let mut t = Terminal::start(&dir, &[], false);
    t.send("(display \"never shown\"");
    t.ctrl('c');
    t.prompt();
    t.enter("(+ 1 2)");
    let (screen, _) = t.leave();
    assert!(!screen.contains("never shown\n"), "{screen}");
    assert!(screen.ends_with("skein> (+ 1 2)\n3\nskein>"), "{screen}");
}

#[test]
fn ctrl_d_exits_and_the_history_is_kept() {
    let dir = scratch_dir("history");
    let mut t = Terminal::start(&dir, &[], false);
    t.enter("(define greeting \"hello\")");
    t.send("(list 1\r2)\r");
    t.prompt();
    let (_, code) = t.leave();
    assert_eq!(code, Some(0));
    let history = std::fs::read_to_string(dir.join("history")).expect("the history file");
    assert!(history.contains("(define greeting \"hello\")"), "{history}");

    // The next session can recall the previous entry with the Up arrow.
    let mut t = Terminal::start(&dir, &[], false);
    t.send("\x1b[A\r");
    t.expect("(1 2)");
    t.prompt();
    t.leave();
}

#[test]
fn prompt_and_errors_are_coloured_at_a_terminal() {
    let dir = scratch_dir("colour");
    let mut t = Terminal::start(&dir, &[], true);
    t.enter("(car 1)");
    let printed = String::from_utf8_lossy(&t.printed).into_owned();
    assert!(
        printed.contains("\x1b[1;32mskein> "),
        "a green prompt: {printed:?}"
    );
    assert!(
        printed.contains("\x1b[1;31merror:"),
        "a red error: {printed:?}"
    );
    t.leave();
}
