//! `skein repl [FILE]`: read an entry, evaluate it, print the value, again.

mod commands;
mod helper;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::Editor;
use skein::{Engine, Error, Value};

use crate::style;
use helper::ReplHelper;

/// `skein repl --help`.
pub const LONG_ABOUT: &str = "\
Evaluate expressions interactively. An entry goes on over several lines while
a bracket or a string is open; its value is printed as `write` prints it.
Tab completes bound names and commands; Ctrl-C cancels the entry being typed or
stops a running evaluation; Ctrl-D leaves. Errors are reported and the session
goes on. With FILE, its forms are evaluated before the first prompt.
A datum after a command is data, not code: `'ok` is taken as `ok`.

Commands start with a comma:
  ,load FILE         evaluate every form of FILE
  ,flows             list the flows: id, flow, status, the request it waits on
  ,start NAME ARG... start the flow NAME with the ARGs (data, not evaluated)
  ,resume ID DATUM   answer flow ID's pending request with DATUM (not evaluated)
  ,cancel ID         cancel suspended flow ID
  ,show ID           show flow ID: arguments, status, log by position
  ,log ID            show flow ID's replay log
  ,export FILE       write the flow store to FILE as a skein-store JSON document
  ,import FILE       replace the flow store with the JSON document in FILE
  ,time EXPR         evaluate EXPR and say how long it took
  ,help              list the commands
  ,quit              leave

History is kept in $SKEIN_HISTORY if set (empty: no history), else in
$XDG_DATA_HOME/skein/history or ~/.local/share/skein/history. When standard
input is not a terminal, entries are read from it without prompts or history,
so a session can be scripted: `skein repl < session.scm`; it exits 1 if any
entry failed (unless `(exit n)` says otherwise).";

const PROMPT: &str = "skein> ";

/// What the loop does after an entry.
pub enum Next {
    Prompt,
    Exit(i32),
}

/// The engine and how to talk to the person at the other end.
pub struct Session {
    engine: Engine,
    /// Standard input is a terminal (not a script).
    interactive: bool,
    colour_err: bool,
    /// Whether the program's output ended a line (so a value starts on its own).
    at_line_start: Arc<AtomicBool>,
    /// Set while code runs: Ctrl-C then interrupts it instead of the input.
    evaluating: Arc<AtomicBool>,
    /// Some entry failed: a script's session then exits 1.
    failed: bool,
}

impl Session {
    fn new(interactive: bool) -> Session {
        let mut engine = Engine::new();
        // docs/security.md: the REPL grants what `skein run` does, with
        // `load` under the current directory.
        engine.set_capabilities(skein::Capabilities::all_under("."));
        let at_line_start = Arc::new(AtomicBool::new(true));
        engine.set_output(Box::new(TrackedStdout(at_line_start.clone())));
        Session {
            engine,
            interactive,
            colour_err: style::colour_for(&std::io::stderr()),
            at_line_start,
            evaluating: Arc::new(AtomicBool::new(false)),
            failed: false,
        }
    }

    /// Run code in the engine, interruptible by Ctrl-C.
    fn running<T>(&mut self, f: impl FnOnce(&mut Engine) -> T) -> T {
        self.evaluating.store(true, Ordering::SeqCst);
        let result = f(&mut self.engine);
        self.evaluating.store(false, Ordering::SeqCst);
        result
    }

    /// Evaluate an entry and print its value.
    fn eval(&mut self, source: &str) -> Next {
        match self.running(|engine| engine.eval_source("<repl>", source)) {
            Ok(value) => {
                self.show_value(&value);
                Next::Prompt
            }
            Err(e) => self.report(&e),
        }
    }

    fn fresh_line(&mut self) {
        if !self.at_line_start.swap(true, Ordering::SeqCst) {
            println!();
        }
    }

    fn show_value(&mut self, value: &Value) {
        self.fresh_line();
        if *value != Value::Unspecified {
            println!("{}", value.to_write_string());
        }
    }

    fn say(&mut self, text: &str) {
        self.fresh_line();
        println!("{text}");
    }

    /// Report an error; `(exit)` ends the session.
    fn report(&mut self, error: &Error) -> Next {
        if let Error::Exit(code) = error {
            return Next::Exit(*code);
        }
        self.failed = true;
        if matches!(error, Error::Interrupted) && self.interactive {
            // The terminal echoed `^C` where the cursor was: end that line.
            println!();
            self.at_line_start.store(true, Ordering::SeqCst);
        }
        self.fresh_line();
        let _ = std::io::stdout().flush();
        eprint!("{}", style::report(&error.report(), self.colour_err));
        Next::Prompt
    }

    fn fail(&mut self, message: String) {
        self.report(&Error::Host(message));
    }

    fn load(&mut self, path: &Path) -> Next {
        match self.running(|engine| engine.load_file(path)) {
            Ok(_) => Next::Prompt,
            Err(e) => self.report(&e),
        }
    }
}

/// Standard output that remembers whether the last byte written ended a line.
struct TrackedStdout(Arc<AtomicBool>);

impl Write for TrackedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = std::io::stdout().write(buf)?;
        if let Some(last) = buf[..n].last() {
            self.0.store(*last == b'\n', Ordering::SeqCst);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// Where history lives: `$SKEIN_HISTORY` (empty for none), else the user's
/// data directory as the XDG base directory spec names it.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SKEIN_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))?;
    Some(data.join("skein").join("history"))
}

/// Ctrl-C while code runs interrupts it. At a terminal the line editor reads
/// Ctrl-C itself while an entry is typed, so a signal comes only once the
/// entry is accepted: it is for the evaluation that is starting (the flag is
/// cleared at each prompt). From a pipe, Ctrl-C between entries ends the session.
fn catch_interrupts(session: &Session, interactive: bool) {
    let interrupt = session.engine.interrupt_handle();
    let evaluating = session.evaluating.clone();
    let installed = ctrlc::set_handler(move || {
        if interactive || evaluating.load(Ordering::SeqCst) {
            interrupt.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will not interrupt evaluations: {e}");
    }
}

fn line_editor(colour: bool) -> rustyline::Result<Editor<ReplHelper, DefaultHistory>> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .history_ignore_space(true)
        .max_history_size(1000)?
        .history_ignore_dups(true)?
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(colour)));
    Ok(editor)
}

fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &Path) {
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .map_err(ReadlineError::from)
        .and_then(|()| editor.save_history(path));
    if let Err(e) = saved {
        eprintln!("warning: cannot save history to {}: {e}", path.display());
    }
}

pub fn run(file: Option<&Path>) -> ExitCode {
    let interactive = std::io::stdin().is_terminal();
    let mut session = Session::new(interactive);
    catch_interrupts(&session, interactive);
    let mut editor = match line_editor(style::colour_for(&std::io::stdout())) {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Piped entries are a script, not something the user typed: keep them out.
    let history = history_path().filter(|_| interactive);
    if let Some(path) = &history {
        // A first session has no history yet; that is not worth a word.
        let _ = editor.load_history(path);
    }
    if interactive {
        println!("skein REPL: ,help for commands, Ctrl-D to leave");
    }

    let mut next = match file {
        Some(path) => session.load(path),
        None => Next::Prompt,
    };
    while let Next::Prompt = next {
        if let Some(helper) = editor.helper_mut() {
            helper.names = session.engine.global_names();
        }
        // A Ctrl-C that came after the last evaluation is not for the next.
        session
            .engine
            .interrupt_handle()
            .store(false, Ordering::SeqCst);
        let entry = match editor.readline(PROMPT) {
            Ok(entry) => entry,
            // Ctrl-C at the prompt cancels the entry being typed.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read input: {e}");
                next = Next::Exit(1);
                break;
            }
        };
        if entry.trim().is_empty() {
            continue;
        }
        if history.is_some() {
            let _ = editor.add_history_entry(entry.as_str());
        }
        next = match commands::split(&entry) {
            Some((name, arg)) => commands::run(&mut session, name, arg),
            None => session.eval(&entry),
        };
    }

    if let Some(path) = &history {
        save_history(&mut editor, path);
    }
    match next {
        Next::Exit(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        // A script that had an error says so, as `skein run` would; a
        // person at the terminal has read the reports already.
        Next::Prompt if session.failed && !interactive => ExitCode::FAILURE,
        Next::Prompt => ExitCode::SUCCESS,
    }
}
