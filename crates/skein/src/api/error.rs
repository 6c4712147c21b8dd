//! The crate's error type and the rendered reports (`file:line:col: error: ...`,
//! the source line with a caret, the chain of calls) made with codespan-reporting.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config, DisplayStyle};

use crate::flow::error::FlowError;
use crate::machine::limits::LimitKind;
use crate::source::{Location, Site, SourceMap, Span};
use crate::values::plain::Value;

/// An error with a place in the source, rendered for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The message with its irritants, e.g. `car: expected a pair 5`.
    pub message: String,
    /// Where the error was raised, if it has a place in the source.
    pub location: Option<Location>,
    /// Where the calls that led to the error were made, innermost first.
    pub chain: Vec<Location>,
    /// The full report: headline, source line with a caret, call chain.
    pub report: String,
    /// For an uncaught `raise` of a plain value: the value.
    pub raised: Option<Value>,
}

impl Diagnostic {
    /// The first line of the report: `file:line:col: error: message`.
    pub fn headline(&self) -> String {
        match &self.location {
            Some(loc) => format!("{loc}: error: {}", self.message),
            None => format!("error: {}", self.message),
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.headline())
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The reader or the compiler rejected the source.
    #[error("{0}")]
    Syntax(Box<Diagnostic>),
    /// A raised object (error or other value) that no handler caught.
    #[error("{0}")]
    Eval(Box<Diagnostic>),
    /// A resource limit tripped; the engine stays usable.
    #[error("limit exceeded: {0}")]
    Limit(LimitError),
    /// Evaluation was interrupted by the host.
    #[error("interrupted")]
    Interrupted,
    /// The program called `(exit code)`.
    #[error("exit {0}")]
    Exit(i32),
    /// A flow operation was refused (nothing changed), or asked about a
    /// flow that failed.
    #[error("{0}")]
    Flow(#[from] FlowError),
    /// A store document was refused; nothing was imported.
    #[error("store: {0}")]
    Store(String),
    /// A host function failed, or the host handed over something unusable
    /// (a file that cannot be read, a `Value` that is not plain data).
    #[error("{0}")]
    Host(String),
    /// A value could not be converted to or from a Rust type through serde.
    #[error("cannot convert: {0}")]
    Convert(crate::api::convert::error::ConvertError),
}

/// A resource limit that tripped, and the flow that was running, if any.
/// It derefs to its message (`too many steps (max_steps)`).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitError {
    /// Which limit.
    pub kind: LimitKind,
    /// The flow whose start or resume tripped it. That flow has failed,
    /// unless the limit tripped while it was being rebuilt by replay: then
    /// the resume is refused and the flow stays suspended, unchanged.
    pub flow: Option<u64>,
    message: String,
    /// Where the program was when it stopped, and the calls that led there.
    pub diagnostic: Option<Box<Diagnostic>>,
}

impl LimitError {
    /// The limit `kind` tripped, while flow `flow` ran if it is `Some`.
    pub fn new(kind: LimitKind, flow: Option<u64>) -> LimitError {
        let message = match flow {
            Some(id) => format!("{} in flow {id}", kind.describe()),
            None => kind.describe().to_string(),
        };
        LimitError {
            kind,
            flow,
            message,
            diagnostic: None,
        }
    }

    /// The same limit, located where the program stopped.
    pub(crate) fn located(mut self, sources: &SourceMap, site: Option<Site>) -> LimitError {
        if let Some(site) = site {
            let message = format!("limit exceeded: {}", self.message);
            self.diagnostic = Some(diagnose(
                sources,
                message,
                Some(site.span),
                &site.chain,
                None,
            ));
        }
        self
    }
}

impl std::ops::Deref for LimitError {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error {
    /// The rendered report for people: for errors with a source location,
    /// the headline, the source line with a caret and the chain of calls.
    pub fn report(&self) -> String {
        match self {
            Error::Syntax(d) | Error::Eval(d) => d.report.clone(),
            Error::Limit(LimitError {
                diagnostic: Some(d),
                ..
            }) => d.report.clone(),
            other => format!("error: {other}\n"),
        }
    }

    /// The located report of a syntax or evaluation error.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::Syntax(d) | Error::Eval(d) => Some(d),
            Error::Limit(e) => e.diagnostic.as_deref(),
            _ => None,
        }
    }
}

/// Render `message` at `span` with its call chain.
pub fn diagnose(
    sources: &SourceMap,
    message: String,
    span: Option<Span>,
    chain: &[Span],
    raised: Option<Value>,
) -> Box<Diagnostic> {
    let location = span.and_then(|s| sources.location(s));
    let chain_locs: Vec<Location> = chain.iter().filter_map(|s| sources.location(*s)).collect();
    let mut diag = Diagnostic {
        message: escape_controls(&message),
        location,
        chain: chain_locs,
        report: String::new(),
        raised,
    };
    diag.report = render(sources, &diag, span);
    Box::new(diag)
}

/// `text` with every control character but newline and tab written as an
/// escape (`\x1b;`): a message comes from the program, and reports go to
/// terminals, where raw escapes would move the cursor or clear the screen.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\x{:x};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn render(sources: &SourceMap, diag: &Diagnostic, span: Option<Span>) -> String {
    let mut out = diag.headline();
    out.push('\n');
    let Some(span) = span else {
        return out;
    };
    let Some(file) = sources.file(span.file) else {
        return out;
    };
    let mut files = SimpleFiles::new();
    let id = files.add(file.name.as_str(), file.text.as_str());
    let start = (span.start as usize).min(file.text.len());
    // Underline the first line of the span only: a caret under a whole
    // multi-line form says less than one under its start.
    let line_end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    let end = (span.end as usize).clamp(start, line_end).max(start);
    let notes = diag
        .chain
        .iter()
        .map(|loc| format!("called from {loc}"))
        .collect();
    let report = Report::error()
        .with_labels(vec![Label::primary(id, start..end)])
        .with_notes(notes);
    let config = Config {
        display_style: DisplayStyle::Rich,
        ..Config::default()
    };
    if let Ok(text) = term::emit_into_string(&config, &files, &report) {
        // codespan prints its own "error" headline first; ours replaces it.
        let body = text.split_once('\n').map_or("", |(_, rest)| rest);
        out.push_str(body);
    }
    out
}
