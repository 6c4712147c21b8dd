//! The REPL's meta-commands, written Racket-style as `,name argument...`.

use std::path::Path;
use std::time::{Duration, Instant};

use skein::{Step, Value};

use super::{Next, Session};
use crate::check::plural;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Load,
    Flows,
    Resume,
    Log,
    Export,
    Import,
    Time,
    Help,
    Quit,
}

impl Command {
    pub const ALL: [Command; 9] = [
        Command::Load,
        Command::Flows,
        Command::Resume,
        Command::Log,
        Command::Export,
        Command::Import,
        Command::Time,
        Command::Help,
        Command::Quit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Load => "load",
            Command::Flows => "flows",
            Command::Resume => "resume",
            Command::Log => "log",
            Command::Export => "export",
            Command::Import => "import",
            Command::Time => "time",
            Command::Help => "help",
            Command::Quit => "quit",
        }
    }

    pub fn named(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its argument is a file name (completed as a path).
    pub fn takes_file(self) -> bool {
        matches!(self, Command::Load | Command::Export | Command::Import)
    }

    /// Its argument is code or data (read on while brackets are open).
    pub fn takes_datum(self) -> bool {
        matches!(self, Command::Resume | Command::Time)
    }

    fn usage(self) -> &'static str {
        match self {
            Command::Load => ",load FILE",
            Command::Flows => ",flows",
            Command::Resume => ",resume ID DATUM",
            Command::Log => ",log ID",
            Command::Export => ",export FILE",
            Command::Import => ",import FILE",
            Command::Time => ",time EXPR",
            Command::Help => ",help",
            Command::Quit => ",quit",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Command::Load => "evaluate every form of FILE",
            Command::Flows => "list the flows: id, flow, status, the request it waits on",
            Command::Resume => "answer flow ID's pending request with DATUM (not evaluated)",
            Command::Log => "show flow ID's replay log: each request and its answer",
            Command::Export => "write the flow store to FILE as a skein-store JSON document",
            Command::Import => "replace the flow store with the JSON document in FILE",
            Command::Time => "evaluate EXPR and say how long it took",
            Command::Help => "show this help",
            Command::Quit => "leave the REPL (as does Ctrl-D)",
        }
    }
}

/// A command entry split into its name and the rest (`None` for expressions).
pub fn split(input: &str) -> Option<(&str, &str)> {
    let body = input.trim_start().strip_prefix(',')?;
    let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
    Some((&body[..name_end], body[name_end..].trim_start()))
}

/// Run command `name` with the rest of its entry, `arg` (as [`split`] gives them).
pub fn run(session: &mut Session, name: &str, arg: &str) -> Next {
    let arg = arg.trim_end();
    let Some(command) = Command::named(name) else {
        session.fail(format!(
            "unknown command `,{name}`; `,help` lists the commands"
        ));
        return Next::Prompt;
    };
    let needs_arg = !matches!(command, Command::Flows | Command::Help | Command::Quit);
    if needs_arg && arg.is_empty() {
        session.fail(format!("usage: {}", command.usage()));
        return Next::Prompt;
    }
    if !needs_arg && !arg.is_empty() {
        session.fail(format!("{} takes no arguments", command.usage()));
        return Next::Prompt;
    }
    match command {
        Command::Load => return session.load(file_name(arg)),
        Command::Flows => flows(session),
        Command::Resume => resume(session, arg),
        Command::Log => log(session, arg),
        Command::Export => export(session, file_name(arg)),
        Command::Import => import(session, file_name(arg)),
        Command::Time => {
            let started = Instant::now();
            let next = session.eval(arg);
            session.say(&format!("; time: {}", elapsed(started.elapsed())));
            return next;
        }
        Command::Help => help(session),
        Command::Quit => return Next::Exit(0),
    }
    Next::Prompt
}

/// A file argument, which may be written as a string literal.
fn file_name(arg: &str) -> &Path {
    let unquoted = arg
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(arg);
    Path::new(unquoted)
}

fn elapsed(d: Duration) -> String {
    if d.as_secs() >= 1 {
        format!("{:.3} s", d.as_secs_f64())
    } else {
        format!("{:.3} ms", d.as_secs_f64() * 1000.0)
    }
}

/// Rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

fn flows(session: &mut Session) {
    let flows = session.engine.flows();
    if flows.is_empty() {
        return session.say("no flows");
    }
    let rows: Vec<Vec<String>> = flows
        .iter()
        .map(|f| {
            vec![
                f.id.to_string(),
                f.flow.clone(),
                f.status.name().to_string(),
                f.waiting
                    .as_ref()
                    .map_or("-".to_string(), |(tag, _)| tag.to_write_string()),
            ]
        })
        .collect();
    session.say(&table(&["id", "flow", "status", "waiting"], &rows));
}

fn flow_id(session: &mut Session, text: &str) -> Option<u64> {
    match text.parse::<u64>() {
        Ok(id) if session.engine.status(id).is_some() => Some(id),
        Ok(id) => {
            session.fail(format!("no flow with id {id} (`,flows` lists them)"));
            None
        }
        Err(_) => {
            session.fail(format!("expected a flow id (a number), got `{text}`"));
            None
        }
    }
}

fn resume(session: &mut Session, arg: &str) {
    let (id, datum) = arg
        .split_once(char::is_whitespace)
        .map_or((arg, ""), |(id, rest)| (id, rest.trim()));
    if datum.is_empty() {
        return session.fail(format!("usage: {}", Command::Resume.usage()));
    }
    let Some(id) = flow_id(session, id) else {
        return;
    };
    let response = match Value::parse(datum) {
        Ok(v) => v,
        Err(e) => {
            session.report(&e);
            return;
        }
    };
    match session.running(|engine| engine.resume(id, response)) {
        Ok(step) => session.show_value(&step_value(step)),
        Err(e) => {
            session.report(&e);
        }
    }
}

/// A step as `flow/resume` returns it: `(flow-suspended id tag payload)`, ...
fn step_value(step: Step) -> Value {
    let id = Value::from(i64::try_from(step.id()).unwrap_or(i64::MAX));
    Value::list(match step {
        Step::Suspended { tag, payload, .. } => {
            vec![Value::symbol("flow-suspended"), id, tag, payload]
        }
        Step::Done { value, .. } => vec![Value::symbol("flow-done"), id, value],
        Step::Failed { error, .. } => vec![Value::symbol("flow-failed"), id, Value::from(error)],
    })
}

fn log(session: &mut Session, arg: &str) {
    let Some(id) = flow_id(session, arg) else {
        return;
    };
    let entries = session.engine.log(id).unwrap_or_default();
    if entries.is_empty() {
        return session.say(&format!("flow {id} has no answered requests yet"));
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, (tag, response))| {
            vec![
                (i + 1).to_string(),
                tag.to_write_string(),
                response.to_write_string(),
            ]
        })
        .collect();
    session.say(&table(&["#", "request", "answer"], &rows));
}

fn export(session: &mut Session, path: &Path) {
    let json = match session.engine.export_json() {
        Ok(json) => json,
        Err(e) => {
            session.report(&e);
            return;
        }
    };
    match std::fs::write(path, json + "\n") {
        Ok(()) => {
            let n = session.engine.flows().len();
            session.say(&format!(
                "exported {} to {}",
                plural(n, "flow"),
                path.display()
            ));
        }
        Err(e) => session.fail(format!("cannot write {}: {e}", path.display())),
    }
}

fn import(session: &mut Session, path: &Path) {
    let json = match std::fs::read_to_string(path) {
        Ok(json) => json,
        Err(e) => return session.fail(format!("cannot read {}: {e}", path.display())),
    };
    match session.engine.import_json(&json) {
        Ok(()) => {
            let n = session.engine.flows().len();
            session.say(&format!(
                "imported {} from {}",
                plural(n, "flow"),
                path.display()
            ));
        }
        Err(e) => {
            session.report(&e);
        }
    }
}

fn help(session: &mut Session) {
    let mut text = String::from(
        "Type an expression to evaluate it; the entry goes on while brackets or a string are open.\n\
         Tab completes names and commands; Ctrl-C cancels the entry or stops an evaluation;\n\
         Ctrl-D leaves.\n\nCommands:\n",
    );
    let width = Command::ALL
        .iter()
        .map(|c| c.usage().len())
        .max()
        .unwrap_or(0);
    for c in Command::ALL {
        text.push_str(&format!("  {:<width$}  {}\n", c.usage(), c.about()));
    }
    session.say(text.trim_end());
}
