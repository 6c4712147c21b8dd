//! `skein flow`: drive durable flows from the shell against a store: a
//! SQLite file (`skein-sqlite`) or a PostgreSQL database (`skein-postgres`);
//! this is their command line.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use skein::{LogEntry, RequestFailure, Value};
use skein_sqlite::{FlowInfo, Resume, SourceState, State, StepOutcome};

use crate::any_store::{AnyError as StoreError, AnyStore as Store, Location};

/// Drive durable flows from the shell, kept in a SQLite or PostgreSQL store
///
/// Every command is one step in its own process: `start` runs a flow until it
/// waits on a request, `resume` answers that request and runs it on. Between
/// steps a flow exists only as rows in the store (its arguments and the log of
/// answered requests); each step rebuilds it by replaying that log against the
/// flow's source file, so steps can come from different processes, days apart.
///
/// Arguments and responses are data in skein's syntax, one shell word each:
/// '"o-1"' is a string, o-1 a symbol, 42 a number, '{:amount 1800}' a map,
/// '(1 2)' a list. Quote them for the shell.
///
/// A step prints what the flow wrote, then one line saying where it stands:
///   suspended ID (TAG PAYLOAD)   it waits on a request
///   done ID VALUE                it returned VALUE
///   failed ID "MESSAGE"          it raised an error it did not handle
///   cancelled ID                 it was cancelled
/// Everything after ID is one datum, as `write` prints it.
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Exit status: 0 when the command did its work (whatever the flow's outcome),
1 when it was refused (the store is then unchanged), 2 on a usage error.

Examples:
  skein flow start flows/order-lifecycle.flow order-lifecycle '\"o-1\"'
  skein flow resume 1 '{:warehouse \"north\"}'
  skein flow list
  skein flow export > backup.json"
)]
pub struct FlowArgs {
    /// The store: a SQLite file (created by `start` and `import` if
    /// missing), or a PostgreSQL database as a postgres:// URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        default_value = "skein.db",
        global = true
    )]
    store: String,
    #[command(flatten)]
    limits: crate::limit_args::LimitArgs,
    #[command(subcommand)]
    command: FlowCommand,
}

#[derive(Subcommand)]
enum FlowCommand {
    /// Start a flow and run it until it waits, finishes or fails
    ///
    /// Start the flow NAME (a `defflow` in FILE) with ARGs, and run it until it
    /// waits on a request, finishes or fails. The new flow's id is the store's
    /// next (ids start at 1 and are never reused). FILE's absolute path and its
    /// SHA-256 are recorded: later steps load the flow from there.
    #[command(verbatim_doc_comment)]
    Start {
        /// The .flow file that defines the flow.
        file: PathBuf,
        /// The flow's name, as given to `defflow`.
        name: String,
        /// The flow's arguments, one datum each.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
    },
    /// List every flow: status, id, name and what it waits on or ended with
    ///
    /// List every flow, one line each, by id:
    ///   STATUS ID NAME DETAIL
    /// where DETAIL is (TAG PAYLOAD) for a suspended flow, the value of a done
    /// one, the message of a failed one, and nothing for a cancelled one.
    /// --status and --waiting keep only the flows that match (both: both).
    #[command(verbatim_doc_comment)]
    List {
        /// Only flows with this status.
        #[arg(long, value_name = "STATUS", value_enum)]
        status: Option<crate::flow_list::StatusFilter>,
        /// Only suspended flows waiting on a request tagged TAG (a datum); a
        /// list tag such as (deliver id n) matches its first element too.
        #[arg(long, value_name = "TAG", verbatim_doc_comment)]
        waiting: Option<String>,
    },
    /// Show one flow: arguments, status, source file, replay log
    ///
    /// Show one flow: its arguments, where it stands, its source file (and
    /// whether the file changed since it was recorded), and its replay log,
    /// one `key: value` line each.
    #[command(verbatim_doc_comment)]
    Show {
        /// The flow's id.
        id: u64,
    },
    /// Answer a suspended flow's request and run it on
    ///
    /// Answer the request that suspended flow ID waits on with DATUM, and run
    /// it on until it waits again, finishes or fails. The flow is rebuilt by
    /// replaying its log against its source file. If the file changed so that
    /// replay no longer makes the logged requests, the resume is refused and
    /// nothing changes: restore the code, or cancel the flow.
    #[command(verbatim_doc_comment)]
    Resume {
        /// The flow's id.
        id: u64,
        /// The response, one datum.
        #[arg(allow_negative_numbers = true)]
        datum: String,
        /// Load the flow from FILE instead, and record FILE as its source.
        #[arg(long, value_name = "FILE")]
        source: Option<PathBuf>,
        /// Refuse unless the flow waits on a request tagged TAG (a datum),
        /// so a webhook delivered twice answers nothing the second time.
        #[arg(long, value_name = "TAG", verbatim_doc_comment)]
        expect: Option<String>,
        /// Refuse unless the flow waits on the request at position P (its
        /// number of answered requests, from 0: `show` prints it), so an
        /// answer meant for one request never answers another.
        #[arg(long, value_name = "P", verbatim_doc_comment)]
        at: Option<u64>,
    },
    /// Fail a suspended flow's request instead of answering it
    ///
    /// Fail the request that suspended flow ID waits on with MESSAGE: in the
    /// flow, the request raises an error for which `request-error?` is true,
    /// and the flow's own `guard` decides what happens. The failure is logged
    /// and replayed like an answer.
    #[command(verbatim_doc_comment)]
    Fail {
        /// The flow's id.
        id: u64,
        /// Why the request failed, in words the flow's code can show.
        message: String,
        /// Fail it as timed out: `request-timeout?` is true too.
        #[arg(long)]
        timeout: bool,
        /// Load the flow from FILE instead, and record FILE as its source.
        #[arg(long, value_name = "FILE")]
        source: Option<PathBuf>,
        /// Refuse unless the flow waits on a request tagged TAG (a datum).
        #[arg(long, value_name = "TAG")]
        expect: Option<String>,
        /// Refuse unless the flow waits on the request at position P.
        #[arg(long, value_name = "P")]
        at: Option<u64>,
    },
    /// Cancel a suspended flow; it keeps its log and never runs again.
    Cancel {
        /// The flow's id.
        id: u64,
    },
    /// Write the whole store as a skein-store JSON document
    ///
    /// Write the whole store as a skein-store JSON document
    /// (docs/store-format.md) to FILE, or to standard output. Any program
    /// embedding skein can import it with Engine::import_json.
    #[command(verbatim_doc_comment)]
    Export {
        /// Where to write it; standard output if omitted or -.
        file: Option<PathBuf>,
    },
    /// Fill an empty store from a skein-store JSON document
    ///
    /// Fill an empty store from a skein-store JSON document (from `skein flow
    /// export`, or an embedding host's Engine::export_json), keeping its ids.
    /// A document of an unknown version, or one that fails validation, is
    /// refused whole; so is an import into a store that already holds flows.
    #[command(verbatim_doc_comment)]
    Import {
        /// The document; standard input if -.
        file: PathBuf,
        /// The .flow file the imported flows run from (else name one on resume).
        #[arg(long, value_name = "FILE")]
        source: Option<PathBuf>,
    },
}

/// How to open the store: `--store`, and the limits steps run under.
struct Target {
    location: Location,
    limits: crate::limit_args::LimitArgs,
}

impl Target {
    /// The store, with `create` made if no file is there, and checked before
    /// the command reads or writes anything: its header, schema and `store`
    /// row when opened, then every page (SQLite's `quick_check`), so that
    /// damage is refused by every command, even one that would not touch
    /// the damaged pages. The check reads the whole file once: cheap for
    /// the stores a command line drives, and a step must not build on damage.
    fn open(&self, create: bool) -> Result<Store, StoreError> {
        let mut store = Store::open(&self.location, create)?;
        store.check_integrity()?;
        store.set_limits(self.limits.limits());
        Ok(store)
    }
}

/// Why a command stopped: a store refusal, or a problem with its input.
enum Failure {
    Store(StoreError),
    Input(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

pub fn run(args: FlowArgs) -> ExitCode {
    let target = &Target {
        location: Location::parse(&args.store),
        limits: args.limits,
    };
    let changes = matches!(
        args.command,
        FlowCommand::Start { .. }
            | FlowCommand::Resume { .. }
            | FlowCommand::Fail { .. }
            | FlowCommand::Cancel { .. }
            | FlowCommand::Import { .. }
    );
    let result = match args.command {
        FlowCommand::Start { file, name, args } => start(target, &file, &name, &args),
        FlowCommand::List { status, waiting } => list(target, status, waiting.as_deref()),
        FlowCommand::Show { id } => show(target, id),
        FlowCommand::Resume {
            id,
            datum,
            source,
            expect,
            at,
        } => resume(target, id, &datum, source, expect.as_deref(), at),
        FlowCommand::Fail {
            id,
            message,
            timeout,
            source,
            expect,
            at,
        } => {
            let failure = RequestFailure { message, timeout };
            fail(target, id, failure, source, expect.as_deref(), at)
        }
        FlowCommand::Cancel { id } => target
            .open(false)
            .and_then(|mut s| s.cancel(id))
            .map(|step| print_step(&step))
            .map_err(Failure::from),
        FlowCommand::Export { file } => export(target, file.as_deref()),
        FlowCommand::Import { file, source } => import(target, &file, source.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let mut message = match failure {
                Failure::Store(e) => e.report(),
                Failure::Input(m) => m,
            };
            if changes {
                message.push_str("note: the store is unchanged\n");
            }
            eprint!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Read a command-line word as one datum; `what` names it in the message.
fn datum(text: &str, what: &str) -> Result<Value, Failure> {
    skein_runtime::datum::read(text).map_err(|e| match e {
        skein::Error::Syntax(_) => {
            Failure::Input(format!("error: {what} is not one datum:\n{}", e.report()))
        }
        other => Failure::Input(format!("error: {what}: {other}\n")),
    })
}

/// A store refusal: in the shell's words when `say` has them, else as the store words it.
fn in_shell_words(e: StoreError, say: Option<String>) -> Failure {
    say.map_or(Failure::Store(e), Failure::Input)
}

fn start(target: &Target, file: &Path, name: &str, args: &[String]) -> Result<(), Failure> {
    let args = args
        .iter()
        .enumerate()
        .map(|(i, a)| datum(a, &format!("argument {}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let step = target.open(true)?.start(file, name, args).map_err(|e| {
        let say = crate::refusals::start(&e, file);
        in_shell_words(e, say)
    })?;
    print_step(&step);
    Ok(())
}

fn resume(
    target: &Target,
    id: u64,
    text: &str,
    source: Option<PathBuf>,
    expect: Option<&str>,
    at: Option<u64>,
) -> Result<(), Failure> {
    let response = datum(text, "the response")?;
    answer(target, source, expect, at, |store, options| {
        store.resume_with(id, response, options)
    })
}

fn fail(
    target: &Target,
    id: u64,
    failure: RequestFailure,
    source: Option<PathBuf>,
    expect: Option<&str>,
    at: Option<u64>,
) -> Result<(), Failure> {
    answer(target, source, expect, at, |store, options| {
        store.fail(id, failure, options)
    })
}

/// Answer or fail (`step`) a flow's request under the options of
/// `resume` and `fail`, with refusals in the shell's words.
fn answer(
    target: &Target,
    source: Option<PathBuf>,
    expect: Option<&str>,
    at: Option<u64>,
    step: impl FnOnce(&mut Store, &Resume) -> Result<StepOutcome, StoreError>,
) -> Result<(), Failure> {
    let expect_tag = expect.map(|t| datum(t, "the expected tag")).transpose()?;
    let options = Resume {
        source,
        expect_tag,
        at,
    };
    let mut store = target.open(false)?;
    let step = step(&mut store, &options).map_err(|e| {
        let say = crate::refusals::resume(&e, &mut store, options.source.as_deref());
        in_shell_words(e, say)
    })?;
    print_step(&step);
    Ok(())
}

/// The flow's output, then its state on a line of its own. Called only
/// once the step is recorded, so output is never shown for a refused step.
fn print_step(step: &StepOutcome) {
    // What loading the file printed is not the flow's: keep stdout for the flow.
    eprint!("{}", step.load_output);
    let mut text = step.output.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&state_line(step.id, None, &step.state));
    text.push('\n');
    // The step is recorded already: a closed stdout cannot undo it, and
    // reporting it as a refusal would say the store is unchanged.
    let _ = emit(&text);
}

/// `STATUS ID [NAME] [DETAIL]`: one line, everything after ID a datum.
fn state_line(id: u64, name: Option<&str>, state: &State) -> String {
    [
        Some(status_word(state).to_string()),
        Some(id.to_string()),
        name.map(str::to_string),
        detail(state),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

fn status_word(state: &State) -> &'static str {
    match state {
        State::Suspended { .. } => "suspended",
        State::Done(_) => "done",
        State::Failed(_) => "failed",
        State::Cancelled => "cancelled",
    }
}

/// What a flow waits on or ended with, as one datum.
fn detail(state: &State) -> Option<String> {
    match state {
        State::Suspended { tag, payload } => {
            Some(Value::list([tag.clone(), payload.clone()]).to_write_string())
        }
        State::Done(value) => Some(value.to_write_string()),
        State::Failed(message) => Some(Value::from(message.as_str()).to_write_string()),
        State::Cancelled => None,
    }
}

fn list(
    target: &Target,
    status: Option<crate::flow_list::StatusFilter>,
    waiting: Option<&str>,
) -> Result<(), Failure> {
    let waiting = waiting.map(|t| datum(t, "the tag")).transpose()?;
    let filter = crate::flow_list::filter(status, waiting);
    let flows = target.open(false)?.flows(&filter)?;
    let mut text = String::new();
    for f in &flows {
        text.push_str(&state_line(
            f.id,
            Some(f.flow.as_deref().unwrap_or("-")),
            &f.state,
        ));
        // A request made with :timeout says when it times out.
        if let Some(deadline) = f.pending.as_ref().and_then(|p| p.deadline) {
            text.push_str(&format!(" until {deadline}"));
        }
        text.push('\n');
    }
    emit(&text)
}

fn show(target: &Target, id: u64) -> Result<(), Failure> {
    let mut store = target.open(false)?;
    let info = store.flow(id)?;
    let log = store.history(id)?;
    emit(&describe(&info, &log))
}

/// One log entry: `(TAG RESPONSE)` as `Engine::log` gives it, then on a
/// line of its own what else was recorded: the payload and the time.
fn log_lines(i: usize, e: &LogEntry) -> [String; 2] {
    let entry = Value::list([e.tag.clone(), e.answer.to_value()]);
    let at = e.at.map(|t| format!(", at {t}")).unwrap_or_default();
    [
        format!("  {i} {}", entry.to_write_string()),
        format!("      payload {}{at}", e.payload.to_write_string()),
    ]
}

fn describe(f: &FlowInfo, log: &[LogEntry]) -> String {
    let mut lines = vec![
        format!("id:       {}", f.id),
        format!("flow:     {}", f.flow.as_deref().unwrap_or("- (anonymous)")),
        format!(
            "args:     {}",
            Value::list(f.args.clone()).to_write_string()
        ),
    ];
    lines.push(format!("status:   {}", status_word(&f.state)));
    let label = match &f.state {
        State::Suspended { .. } => "waiting: ",
        State::Done(_) => "result:  ",
        State::Failed(_) => "error:   ",
        State::Cancelled => "",
    };
    if let Some(detail) = detail(&f.state) {
        lines.push(format!("{label} {detail}"));
    }
    if let Some(p) = &f.pending {
        lines.push(format!("position: {}", p.position));
        if let (Some(deadline), Some(timeout)) = (p.deadline, p.timeout) {
            lines.push(format!("deadline: {deadline} (timeout {timeout} s)"));
        }
    }
    match &f.source {
        Some(source) => {
            lines.push(format!("source:   {}", source.path.display()));
            let now = match source.state() {
                SourceState::Unchanged => "the file is unchanged".to_string(),
                SourceState::Changed { sha256 } => {
                    format!("the file has CHANGED since (now {sha256})")
                }
                SourceState::Unreadable(why) => format!("the file cannot be read now: {why}"),
            };
            lines.push(format!("sha256:   {} when recorded; {now}", source.sha256));
        }
        None => lines.push("source:   none recorded (resume with --source FILE)".to_string()),
    }
    lines.push(format!("created:  {}", f.created_at));
    lines.push(format!("updated:  {}", f.updated_at));
    lines.push(format!("log:      {} answered request(s)", log.len()));
    for (i, e) in log.iter().enumerate() {
        lines.extend(log_lines(i, e));
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn export(target: &Target, file: Option<&Path>) -> Result<(), Failure> {
    let mut json = target.open(false)?.export_json()?;
    json.push('\n');
    match file {
        None => emit(&json),
        Some(p) if p == Path::new("-") => emit(&json),
        Some(p) => write_atomically(p, &json)
            .map_err(|e| Failure::Input(format!("error: cannot write {}: {e}\n", p.display()))),
    }
}

/// Write a command's output. A write that fails (a full disk behind `>`) is
/// the command's failure: an export cut short must not look like a backup.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Input(format!("error: cannot write to standard output: {e}\n")))
}

/// A crash leaves the old file or the whole new one, never half of it.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn import(target: &Target, file: &Path, source: Option<&Path>) -> Result<(), Failure> {
    let json = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Input(format!("error: cannot read standard input: {e}\n")))?;
        text
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Failure::Input(format!("error: cannot read {}: {e}\n", file.display())))?
    };
    // Into a missing store, the store appears only with the whole document.
    let count = crate::any_store::import_json(&target.location, &json, source)?;
    // The import is committed: a failure to say so changes nothing.
    let _ = emit(&format!("imported {count}\n"));
    Ok(())
}
