//! The embedding surface: [`Engine`] and the plain-data [`Value`] that crosses it.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::api::error::{diagnose, Error};
use crate::machine::frame::Loading;
use crate::machine::limits::{Abort, Limits};
use crate::machine::output::Sink;
use crate::machine::{Loader, Machine};
use crate::source::{SourceMap, Span};
use crate::values::prim::HostFn;
use crate::values::symbol::Symbol;
use crate::values::value::{ErrorKind, MapImpl, Val};

/// How deeply nested a [`Value`] the engine hands to the host may be.
pub const MAX_VALUE_DEPTH: usize = 1_000;

/// Plain data crossing the API: what a flow's arguments, requests, responses
/// and results are made of. Equality is structural, like `equal?` (so
/// `-0.0` differs from `0.0`, and a NaN equals itself).
#[derive(Clone, Debug)]
pub enum Value {
    /// The value of expressions whose value R7RS leaves unspecified.
    Unspecified,
    Bool(bool),
    Int(i64),
    /// An exact integer outside `i64`, in decimal.
    BigInt(String),
    /// An exact non-integer rational, as `"n/d"`.
    Rational(String),
    Real(f64),
    Char(char),
    Str(String),
    Symbol(String),
    Keyword(String),
    /// A proper list; the empty list is `List(vec![])`.
    List(Vec<Value>),
    /// An improper list: items and the final cdr.
    DottedList(Vec<Value>, Box<Value>),
    Vector(Vec<Value>),
    Bytes(Vec<u8>),
    /// A map, in key order.
    Map(Vec<(Value, Value)>),
    /// A value that is not plain data (a procedure, a record, ...), as printed.
    Opaque(String),
}

impl Value {
    pub fn symbol(name: &str) -> Value {
        Value::Symbol(name.to_string())
    }

    pub fn keyword(name: &str) -> Value {
        Value::Keyword(name.to_string())
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

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
        if !holds_no_opaque(&value) {
            return Err(refuse(
                format!("not plain data (nested more than {MAX_VALUE_DEPTH} levels deep?)"),
                datum.span,
            ));
        }
        Ok(value)
    }

    /// The value as `write` prints it.
    pub fn to_write_string(&self) -> String {
        match self.to_val() {
            Ok(v) => crate::values::printer::write_string(&v),
            Err(_) => match self {
                Value::Opaque(s) => s.clone(),
                other => format!("{other:?}"),
            },
        }
    }

    pub(crate) fn from_val(v: &Val) -> Value {
        Value::from_val_within(v, MAX_VALUE_DEPTH)
    }

    fn from_val_within(v: &Val, depth: usize) -> Value {
        if depth == 0 {
            // A host value this deep would overflow the host's stack when
            // dropped (Rust drops recursively); hand over its printed form.
            return Value::Opaque(format!(
                "#<value nested more than {MAX_VALUE_DEPTH} levels deep>"
            ));
        }
        let inner = |x: &Val| Value::from_val_within(x, depth - 1);
        match v {
            Val::Unspecified => Value::Unspecified,
            Val::Null => Value::List(vec![]),
            Val::Bool(b) => Value::Bool(b.get()),
            Val::Int(i) => Value::Int(*i),
            Val::Big(b) => Value::BigInt(b.to_string()),
            Val::Rat(r) => Value::Rational(r.to_string()),
            Val::Real(f) => Value::Real(f.get()),
            Val::Char(c) => Value::Char(c.get()),
            Val::Str(s) => Value::Str(s.to_string()),
            Val::Sym(s) => Value::Symbol(s.name().to_string()),
            Val::Keyword(s) => Value::Keyword(s.name().to_string()),
            Val::Pair(_) => {
                let (items, tail) = v.list_parts();
                let items = items.iter().map(inner).collect();
                match tail {
                    None => Value::List(items),
                    Some(tail) => Value::DottedList(items, Box::new(inner(&tail))),
                }
            }
            Val::Vector(items) => Value::Vector(items.iter().map(inner).collect()),
            Val::Bytes(b) => Value::Bytes(b.to_vec()),
            Val::Map(m) => Value::Map(m.iter().map(|(k, v)| (inner(k), inner(v))).collect()),
            other => Value::Opaque(crate::values::printer::write_string(other)),
        }
    }

    pub(crate) fn to_val(&self) -> Result<Val, Error> {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            Ok(match self {
                Value::Unspecified => Val::Unspecified,
                Value::Bool(b) => Val::bool(*b),
                Value::Int(i) => Val::Int(*i),
                Value::BigInt(s) | Value::Rational(s) => crate::values::number::parse_number(s, 10)
                    .filter(|v| matches!(v, Val::Int(_) | Val::Big(_) | Val::Rat(_)))
                    .ok_or_else(|| Error::Host(format!("not an exact number: {s}")))?,
                Value::Real(f) => Val::real(*f),
                Value::Char(c) => Val::char(*c),
                Value::Str(s) => Val::str(s.clone()),
                Value::Symbol(s) => Val::Sym(Symbol::intern(s)),
                Value::Keyword(s) => Val::Keyword(Symbol::intern(s)),
                Value::List(items) => {
                    let items = items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?;
                    Val::list(items)
                }
                Value::DottedList(items, tail) => {
                    let items = items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?;
                    Val::list_with_tail(items, tail.to_val()?)
                }
                Value::Vector(items) => Val::vector(
                    items
                        .iter()
                        .map(Value::to_val)
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Value::Bytes(b) => Val::Bytes(Rc::new(b.clone())),
                Value::Map(pairs) => {
                    let mut m = MapImpl::default();
                    for (k, v) in pairs {
                        m.insert(k.to_val()?, v.to_val()?);
                    }
                    Val::map(m)
                }
                Value::Opaque(s) => {
                    return Err(Error::Host(format!("{s} is not plain data")));
                }
            })
        })
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
        let v = self.to_val()?;
        let json = crate::flow::store::encode(&v);
        crate::values::value::release(v);
        Ok(json)
    }

    /// A value from its `skein-store` JSON encoding; an encoding the format
    /// does not define is an [`Error::Store`](Error::Store).
    pub fn from_store_json(json: &serde_json::Value) -> Result<Value, Error> {
        let v = crate::flow::store::decode(json).map_err(Error::Store)?;
        let value = Value::from_val(&v);
        crate::values::value::release(v);
        Ok(value)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Real(a), Real(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Unspecified, Unspecified) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) | (Rational(a), Rational(b)) => a == b,
            (Char(a), Char(b)) => a == b,
            (Str(a), Str(b)) | (Symbol(a), Symbol(b)) | (Keyword(a), Keyword(b)) => a == b,
            (Opaque(a), Opaque(b)) => a == b,
            (List(a), List(b)) | (Vector(a), Vector(b)) => a == b,
            (DottedList(a, x), DottedList(b, y)) => a == b && x == y,
            (Bytes(a), Bytes(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_write_string())
    }
}

macro_rules! value_from {
    ($($t:ty => $e:expr),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value {
                let f: fn($t) -> Value = $e;
                f(v)
            }
        })*
    };
}

value_from! {
    i64 => Value::Int,
    i32 => |v| Value::Int(v.into()),
    u32 => |v| Value::Int(v.into()),
    usize => |v| i64::try_from(v).map_or_else(|_| Value::BigInt(v.to_string()), Value::Int),
    f64 => Value::Real,
    bool => Value::Bool,
    char => Value::Char,
    &str => |v| Value::Str(v.to_string()),
    String => Value::Str,
    Vec<Value> => Value::List,
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

/// Whether `v` holds no [`Value::Opaque`] anywhere (walked without recursion).
fn holds_no_opaque(v: &Value) -> bool {
    let mut work = vec![v];
    while let Some(v) = work.pop() {
        match v {
            Value::Opaque(_) => return false,
            Value::List(items) | Value::Vector(items) => work.extend(items),
            Value::DottedList(items, tail) => {
                work.extend(items);
                work.push(tail);
            }
            Value::Map(pairs) => work.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    true
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
// receive and return plain `Value`s and must be `Send`, the symbol table is
// behind a mutex, and no thread-local holds engine data. Moving the engine
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
    /// A fresh engine with the standard library loaded, writing output to stdout.
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
        let result = self.m.run_forms(Loading { forms, dir });
        self.m.out.flush();
        let value = result.map_err(|abort| self.abort_error(abort))?;
        let plain = Value::from_val(&value);
        crate::values::value::release(value);
        Ok(plain)
    }

    /// Read and evaluate a file.
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
            Abort::Limit(kind) => Error::Limit(kind.describe().to_string()),
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

    /// Replace how `(load path)` reads sources (the default reads files);
    /// `None` disables `load`.
    pub fn set_loader(&mut self, loader: Option<Loader>) {
        self.m.loader = loader;
    }

    pub fn set_limits(&mut self, limits: Limits) {
        self.m.limits = limits;
    }

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
