//! The [`Engine`]: evaluating and loading source, host functions, limits and
//! output; and reading a [`Value`] from text.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::api::error::{diagnose, Error, LimitError};
use crate::machine::capabilities::{Capabilities, Loader};
use crate::machine::frame::Loading;
use crate::machine::limits::{Abort, Limits};
use crate::machine::output::Sink;
use crate::machine::Machine;
use crate::source::{SourceMap, Span};
use crate::values::plain::{is_plain_data, Value, MAX_VALUE_DEPTH};
use crate::values::prim::HostFn;
use crate::values::value::{ErrorKind, Val};

impl Value {
    /// Read one datum written in the language's syntax, as `quote` would
    /// give it: how a shell or a config file hands data to a host. Text that
    /// is not exactly one plain datum is an [`Error::Syntax`] whose report
    /// names the place (`<datum>:line:col`).
    ///
    /// ```
    /// use skein::Value;
    ///
    /// let payment = Value::parse(r#"{:amount 1800 :ref "tx-77"}"#)?;
    /// assert_eq!(payment.to_write_string(), r#"{:amount 1800 :ref "tx-77"}"#);
    /// assert_eq!(Value::parse("o-1")?, Value::symbol("o-1")); // a symbol, not a string
    /// assert!(Value::parse("(reserve").is_err()); // unclosed
    /// assert!(Value::parse("1 2").is_err()); // two data
    /// assert!(Value::parse("  ; nothing").is_err()); // none
    /// let deep = format!("{}{}", "(".repeat(2_000), ")".repeat(2_000));
    /// assert!(Value::parse(&deep).is_err()); // deeper than a host value may be
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Value, Error> {
        let mut sources = SourceMap::default();
        let file = sources.add("<datum>", text);
        let refuse = |message: String, span: Span| {
            Error::Syntax(diagnose(&sources, message, Some(span), &[], None))
        };
        let data =
            crate::read::reader::read_all(text, file).map_err(|e| refuse(e.message, e.span))?;
        let datum = match data.as_slice() {
            [one] => one,
            [] => {
                return Err(refuse(
                    "expected a datum, found none".into(),
                    Span::new(file, 0, text.len()),
                ))
            }
            [_, second, ..] => {
                return Err(refuse(
                    "expected one datum, but more follows".into(),
                    second.span,
                ))
            }
        };
        let v = datum.to_datum();
        let value = Value::from_val(&v);
        crate::values::value::release(v);
        // Data nested deeper than the host may hold comes back opaque.
        if !is_plain_data(&value) {
            return Err(refuse(
                format!("not plain data (nested more than {MAX_VALUE_DEPTH} levels deep?)"),
                datum.span,
            ));
        }
        Ok(value)
    }
}

impl Value {
    /// This value in the `skein-store` document's JSON encoding (see
    /// docs/store-format.md): what a host that keeps single values in its own
    /// storage (a database column, a message) writes. Refused for a value
    /// that is not plain data.
    ///
    /// ```
    /// use skein::Value;
    ///
    /// let v = Value::list([Value::symbol("reserve"), Value::from("o-1"), Value::from(1.5)]);
    /// let json = v.to_store_json()?;
    /// assert_eq!(json.to_string(), r#"[{"symbol":"reserve"},"o-1",{"float":"1.5"}]"#);
    /// assert_eq!(Value::from_store_json(&json)?, v);
    /// assert!(Value::from_store_json(&serde_json::json!({"sybmol": "x"})).is_err());
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn to_store_json(&self) -> Result<serde_json::Value, Error> {
        serde_json::to_value(crate::flow::encoding::Encoded(self))
            .map_err(|e| Error::Host(e.to_string()))
    }

    /// A value from its `skein-store` JSON encoding; an encoding the format
    /// does not define is an [`Error::Store`](Error::Store).
    /// A value nested more than [`MAX_VALUE_DEPTH`] levels deep is refused.
    pub fn from_store_json(json: &serde_json::Value) -> Result<Value, Error> {
        crate::flow::encoding::decode_value(json).map_err(Error::Store)
    }

    /// This value's `skein-store` JSON encoding as text, written straight
    /// from the value (no intermediate JSON tree, so no recursion limit):
    /// what a host storing one value per column writes. Refused for a value
    /// that is not plain data or is nested more than [`MAX_VALUE_DEPTH`]
    /// levels deep.
    ///
    /// ```
    /// use skein::{Value, MAX_VALUE_DEPTH};
    ///
    /// let mut deep = Value::symbol("x"); // 1 level deep
    /// for _ in 1..MAX_VALUE_DEPTH {
    ///     deep = Value::list([deep]);
    /// }
    /// let text = deep.to_store_json_string()?;
    /// assert_eq!(Value::from_store_json_str(&text)?, deep);
    /// assert!(Value::list([deep]).to_store_json_string().is_err()); // one level more
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn to_store_json_string(&self) -> Result<String, Error> {
        serde_json::to_string(&crate::flow::encoding::Encoded(self))
            .map_err(|e| Error::Host(e.to_string()))
    }

    /// A value from the text of its `skein-store` JSON encoding. Read with
    /// no recursion limit short of [`MAX_VALUE_DEPTH`], and without
    /// overflowing the stack however deeply the text nests; a value nested
    /// deeper is an [`Error::Store`](Error::Store), as is text that is not
    /// JSON or an encoding the format does not define.
    pub fn from_store_json_str(text: &str) -> Result<Value, Error> {
        crate::flow::encoding::with_json(text, |j| crate::flow::encoding::decode_value(&j))
            .and_then(|v| v)
            .map_err(Error::Store)
    }

    /// Values from the text of a JSON array of their `skein-store` encodings
    /// (a flow's arguments, as a store column keeps them): each may be
    /// [`MAX_VALUE_DEPTH`] levels deep. Read as [`Value::from_store_json_str`] reads.
    pub fn vec_from_store_json_str(text: &str) -> Result<Vec<Value>, Error> {
        let items = |j: serde_json::Value| match j {
            serde_json::Value::Array(items) => items
                .iter()
                .map(crate::flow::encoding::decode_value)
                .collect(),
            _ => Err("expected a JSON array of values".to_string()),
        };
        crate::flow::encoding::with_json(text, items)
            .and_then(|v| v)
            .map_err(Error::Store)
    }
}

/// Whether `source` is ready to evaluate: `false` while it ends inside an
/// open list, vector, map, string or block comment, or a quote that awaits
/// its datum. Source with any other read error is complete: evaluating it
/// reports the error. For REPLs and editors deciding whether to read on.
///
/// ```
/// assert!(skein::is_complete("(define (f x)\n  (* x 2))"));
/// assert!(!skein::is_complete("(define (f x)"));
/// assert!(!skein::is_complete("(display \"two\nlines"));
/// assert!(skein::is_complete("(car))")); // an error, not more to read
/// ```
pub fn is_complete(source: &str) -> bool {
    crate::read::reader::is_complete(source)
}

/// Call a host function with plain-data arguments; its error, or a result
/// that is not plain data, is raised in the program as an error object.
fn call_host<F>(who: &str, f: &F, args: &[Val]) -> Result<Val, Val>
where
    F: Fn(&[Value]) -> Result<Value, Error>,
{
    let mut plain = Vec::with_capacity(args.len());
    for a in args {
        if !a.is_plain() {
            return Err(crate::values::value::error(
                format!("{who}: arguments to host functions must be plain data"),
                vec![a.clone()],
            ));
        }
        plain.push(Value::from_val(a));
    }
    match f(&plain) {
        Ok(v) => v
            .to_val()
            .map_err(|e| crate::values::value::error(format!("{who}: {e}"), vec![])),
        Err(e) => Err(crate::values::value::error(format!("{who}: {e}"), vec![])),
    }
}

/// An interpreter instance: globals, loaded code, flows and output.
pub struct Engine {
    pub(crate) m: Machine,
}

// SAFETY: an engine's `Rc`s are only ever reachable from inside the engine:
// the public API hands out plain `Value`s (deep copies), host functions
// receive and return plain `Value`s and must be `Send`, symbols are
// interned in a process-wide table behind a mutex (their names never freed),
// and the one thread-local (the live-pair count behind `max_heap_bytes`)
// holds a number, not engine data. Moving the engine
// moves every clone of every `Rc` it owns together, so no two threads can
// touch one reference count. `Engine` is deliberately not `Sync`.
unsafe impl Send for Engine {}

const PRELUDE: &str = include_str!("../../../../stdlib/prelude.scm");

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    /// A fresh engine with the standard library loaded, writing output to
    /// stdout and the error port to stderr, granting scripts nothing outside
    /// it ([`Capabilities::none`]: no files, environment, clock or exit).
    pub fn new() -> Engine {
        let mut engine = Engine {
            m: Machine::new(crate::builtins::all()),
        };
        if let Err(e) = engine.eval_source("stdlib/prelude.scm", PRELUDE) {
            // The prelude is part of the binary; tests keep it loading.
            panic!("the standard prelude failed to load: {}", e.report());
        }
        engine
    }

    /// Evaluate every form in `source`; the value of the last one.
    pub fn eval(&mut self, source: &str) -> Result<Value, Error> {
        self.eval_source("<eval>", source)
    }

    /// Evaluate `source`, naming it `name` in error reports.
    pub fn eval_source(&mut self, name: &str, source: &str) -> Result<Value, Error> {
        let file = self.m.sources.add(name, source);
        let forms = crate::read::reader::read_all(source, file).map_err(|e| {
            Error::Syntax(diagnose(
                &self.m.sources,
                e.message,
                Some(e.span),
                &[],
                None,
            ))
        })?;
        let dir = self.m.base_dir.clone();
        let result = self.m.run_forms(Loading {
            forms,
            dir,
            depth: 0,
        });
        self.m.out.flush();
        let value = result.map_err(|abort| self.abort_error(abort))?;
        let plain = Value::from_val(&value);
        crate::values::value::release(value);
        Ok(plain)
    }

    /// Read and evaluate a file: the host's own call, so it needs no grant;
    /// `load`s inside the file resolve against its directory and are
    /// subject to [`Capabilities::load`].
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<Value, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Host(format!("cannot read {}: {e}", path.display())))?;
        let previous = self.m.base_dir.replace(
            path.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        );
        let result = self.eval_source(&path.display().to_string(), &text);
        self.m.base_dir = previous;
        result
    }

    pub(crate) fn abort_error(&self, abort: Abort) -> Error {
        match abort {
            Abort::Uncaught(raised) => {
                let (obj, site) = *raised;
                let raised = match &obj {
                    Val::Error(_) => None,
                    other => Some(Value::from_val(other)),
                };
                let syntax = matches!(&obj, Val::Error(e)
                    if matches!(e.kind, ErrorKind::SyntaxError | ErrorKind::ReadError));
                let diag = diagnose(
                    &self.m.sources,
                    Machine::describe(&obj),
                    Some(site.span),
                    &site.chain,
                    raised,
                );
                if syntax {
                    Error::Syntax(diag)
                } else {
                    Error::Eval(diag)
                }
            }
            Abort::Limit(kind) => Error::Limit(
                LimitError::new(kind, None).located(&self.m.sources, self.m.stopped_at.clone()),
            ),
            Abort::Interrupted => Error::Interrupted,
            Abort::Exit(code) => Error::Exit(code),
        }
    }

    /// Make `name` a procedure that calls `f` with plain-data arguments.
    pub fn register_fn<F>(&mut self, name: &str, f: F)
    where
        F: Fn(&[Value]) -> Result<Value, Error> + Send + 'static,
    {
        let who = name.to_string();
        let host = HostFn {
            name: name.to_string(),
            func: Box::new(move |args: &[Val]| call_host(&who, &f, args)),
        };
        self.m.globals.define(name, Val::Host(Rc::new(host)));
    }

    /// Read the sources of `(load path)` with `loader` instead of the file
    /// system: this grants `load` (outside flows) whatever
    /// [`Capabilities::load`] says, with the path resolved against the
    /// loading file's directory and the text bounded by
    /// [`MAX_LOAD_BYTES`](crate::MAX_LOAD_BYTES) and nesting by
    /// [`MAX_LOAD_DEPTH`](crate::MAX_LOAD_DEPTH). The loader decides which
    /// paths exist; the message of its `Err` is what the script's error
    /// says. `None` removes it, leaving `load` to [`Capabilities::load`].
    pub fn set_loader(&mut self, loader: Option<Loader>) {
        self.m.loader = loader;
    }

    /// Grant scripts what they may reach outside the engine (see
    /// [`Capabilities`]); replaces the previous grant. An engine starts with
    /// [`Capabilities::none`].
    pub fn set_capabilities(&mut self, capabilities: Capabilities) {
        self.m.caps = capabilities;
    }

    /// What scripts are granted now.
    pub fn capabilities(&self) -> &Capabilities {
        &self.m.caps
    }

    /// Limits for every later evaluation, start and resume (see [`Limits`]).
    pub fn set_limits(&mut self, limits: Limits) {
        self.m.limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.m.limits
    }

    /// Collect program output in a buffer instead of writing it to stdout.
    pub fn capture_output(&mut self) {
        self.m.out.set_sink(Sink::Buffer(String::new()));
    }

    /// Send program output to `writer`.
    pub fn set_output(&mut self, writer: Box<dyn std::io::Write + Send>) {
        self.m.out.set_sink(Sink::Writer(writer));
    }

    /// Take the output collected since the last call (after [`Engine::capture_output`]).
    pub fn take_output(&mut self) -> String {
        self.m.out.take_buffer()
    }

    /// Collect what the program writes to `current-error-port` in a buffer
    /// instead of writing it to stderr (the default).
    pub fn capture_error_output(&mut self) {
        self.m.err.set_sink(Sink::Buffer(String::new()));
    }

    /// Send what the program writes to `current-error-port` to `writer`.
    pub fn set_error_output(&mut self, writer: Box<dyn std::io::Write + Send>) {
        self.m.err.set_sink(Sink::Writer(writer));
    }

    /// Take the error output collected since the last call (after
    /// [`Engine::capture_error_output`]).
    pub fn take_error_output(&mut self) -> String {
        self.m.err.take_buffer()
    }

    /// A flag that, once set, interrupts the running evaluation (e.g. on Ctrl-C).
    pub fn interrupt_handle(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.m.interrupt.clone()
    }

    /// Names of every global binding and macro, sorted (for completion).
    pub fn global_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .m
            .globals
            .bound_names()
            .into_iter()
            .map(str::to_string)
            .chain(self.m.expander.macro_names().map(|s| s.name().to_string()))
            .chain(crate::expand::forms::SpecialForm::names().map(str::to_string))
            .filter(|n| !n.starts_with('%'))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}
