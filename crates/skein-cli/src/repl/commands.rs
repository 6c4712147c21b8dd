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
    Start,
    Resume,
    Fail,
    Cancel,
    Show,
    Log,
    Export,
    Import,
    Time,
    Help,
    Quit,
}

impl Command {
    pub const ALL: [Command; 13] = [
        Command::Load,
        Command::Flows,
        Command::Start,
        Command::Resume,
        Command::Fail,
        Command::Cancel,
        Command::Show,
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
            Command::Start => "start",
            Command::Resume => "resume",
            Command::Fail => "fail",
            Command::Cancel => "cancel",
            Command::Show => "show",
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
        matches!(self, Command::Start | Command::Resume | Command::Time)
    }

    fn usage(self) -> &'static str {
        match self {
            Command::Load => ",load FILE",
            Command::Flows => ",flows",
            Command::Start => ",start NAME ARG...",
            Command::Resume => ",resume ID DATUM",
            Command::Fail => ",fail ID MESSAGE",
            Command::Cancel => ",cancel ID",
            Command::Show => ",show ID",
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
            Command::Start => "start the flow NAME with the ARGs (data, not evaluated)",
            Command::Resume => "answer flow ID's pending request with DATUM (not evaluated)",
            Command::Fail => {
                "fail flow ID's pending request: it raises a request-error in the flow"
            }
            Command::Cancel => "cancel suspended flow ID; its log stays",
            Command::Show => "show flow ID: arguments, status, and its log by position",
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
        Command::Start => start(session, arg),
        Command::Resume => resume(session, arg),
        Command::Fail => fail(session, arg),
        Command::Cancel => cancel(session, arg),
        Command::Show => show(session, arg),
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
    let response = match skein_runtime::datum::read(datum) {
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

/// `,fail ID MESSAGE`: the rest of the line is the message, as written.
fn fail(session: &mut Session, arg: &str) {
    let (id, message) = arg
        .split_once(char::is_whitespace)
        .map_or((arg, ""), |(id, rest)| (id, rest.trim()));
    if message.is_empty() {
        return session.fail(format!("usage: {}", Command::Fail.usage()));
    }
    let Some(id) = flow_id(session, id) else {
        return;
    };
    let failure = skein::RequestFailure::new(message);
    match session.running(|engine| engine.fail(id, failure)) {
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

/// `,start NAME ARG...`: each ARG a datum, read as `,resume` reads its DATUM.
fn start(session: &mut Session, arg: &str) {
    let (name, rest) = arg
        .split_once(char::is_whitespace)
        .map_or((arg, ""), |(name, rest)| (name, rest.trim()));
    let args = if rest.is_empty() {
        Vec::new()
    } else {
        // The arguments, read as the items of one list: one reader call
        // finds where each datum ends.
        match skein_runtime::datum::read(&format!("({rest})")) {
            Ok(Value::List(items)) => items
                .into_iter()
                .map(skein_runtime::datum::unquote)
                .collect(),
            Ok(_) => return session.fail(format!("usage: {}", Command::Start.usage())),
            Err(e) => {
                session.report(&e);
                return;
            }
        }
    };
    match session.running(|engine| engine.start(name, args)) {
        Ok(step) => session.show_value(&step_value(step)),
        Err(e) => {
            session.report(&e);
        }
    }
}

/// `,cancel ID`: as `(flow/cancel ID)`, printing what it returns.
fn cancel(session: &mut Session, arg: &str) {
    let Some(id) = flow_id(session, arg) else {
        return;
    };
    match session.engine.cancel(id) {
        Ok(()) => session.show_value(&Value::list([
            Value::symbol("flow-cancelled"),
            Value::from(i64::try_from(id).unwrap_or(i64::MAX)),
        ])),
        Err(e) => {
            session.report(&e);
        }
    }
}

/// `,show ID`: one flow as `skein flow show` shows one, `key: value` lines.
fn show(session: &mut Session, arg: &str) {
    let Some(id) = flow_id(session, arg) else {
        return;
    };
    let Some(summary) = session.engine.flows().into_iter().find(|f| f.id == id) else {
        return;
    };
    // A live anonymous flow has no record (it cannot be exported): no args then.
    let record = session.engine.flow_record(id).ok();
    let args = record.as_ref().map_or("-".to_string(), |r| {
        Value::list(r.args.clone()).to_write_string()
    });
    let mut lines = vec![
        format!("id:       {id}"),
        format!("flow:     {}", summary.flow),
        format!("args:     {args}"),
        format!("status:   {}", summary.status.name()),
    ];
    if let Some((tag, payload)) = &summary.waiting {
        let request = Value::list([tag.clone(), payload.clone()]);
        lines.push(format!("waiting:  {}", request.to_write_string()));
    }
    if let Ok(value) = session.engine.result(id) {
        lines.push(format!("result:   {}", value.to_write_string()));
    }
    if let Some(error) = record.as_ref().and_then(|r| r.error.clone()) {
        lines.push(format!(
            "error:    {}",
            Value::from(error).to_write_string()
        ));
    }
    let log = session.engine.log(id).unwrap_or_default();
    lines.push(format!("log:      {} answered request(s)", log.len()));
    for (position, (tag, response)) in log.iter().enumerate() {
        let entry = Value::list([tag.clone(), response.clone()]);
        lines.push(format!("  {position} {}", entry.to_write_string()));
    }
    session.say(&lines.join("\n"));
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
        // Positions from 0, as `request` positions are counted everywhere.
        .map(|(position, (tag, response))| {
            vec![
                position.to_string(),
                tag.to_write_string(),
                response.to_write_string(),
            ]
        })
        .collect();
    session.say(&table(&["pos", "request", "answer"], &rows));
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
