//! Static checks (`skein check`): read and compile a program without running it,
//! then report syntax errors, unbound variables and wrong argument counts.
//!
//! Every form is compiled, in order, in a throwaway engine, so macros defined by
//! earlier forms apply to later ones exactly as when the program runs. The
//! analysed tree is then walked for the globals it defines, assigns, reads and
//! calls; only after the whole program (with the files it loads by a literal
//! path) is seen are references judged, so forward references are fine.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::api::engine::Engine;
use crate::api::error::{diagnose, Diagnostic};
use crate::compile::tree::{Lambda, Node};
use crate::read::reader::{read_one_from, ReadError};
use crate::read::syntax::Syntax;
use crate::source::Span;
use crate::values::prim::{arity_message, expected_count};
use crate::values::symbol::{GlobalId, Symbol};
use crate::values::value::Val;

/// Check the program in the file at `path`, following the files it loads with
/// a literal path (relative to the loading file, as `load` resolves them), as
/// far as `skein run` would let it load them: under the file's directory.
/// Returns the problems found, in source order; empty when the program is clean.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("skein-check-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("lib.flow"), "(define (twice x) (* 2 x))").unwrap();
/// std::fs::write(dir.join("main.flow"), "(load \"lib.flow\")\n(twice 1 2)\n").unwrap();
/// let problems = skein::check_file(dir.join("main.flow"));
/// assert_eq!(problems.len(), 1);
/// assert_eq!(problems[0].message, "twice: expected 1 argument, got 2");
/// ```
pub fn check_file(path: impl AsRef<Path>) -> Vec<Diagnostic> {
    check_file_with_host(path, &[])
}

/// A procedure the host program registers ([`Engine::register_fn`]), which
/// the program may call though no file of it defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFunction {
    /// The name it is registered under.
    pub name: String,
    /// How many arguments it takes, when the host says: a call with another
    /// count is reported. `None`: any count is fine.
    pub arity: Option<usize>,
}

/// [`check_file`], for a program run by a host that registers `host`: they
/// are not reported as unbound, and calls to those with a known arity are
/// checked.
///
/// ```
/// use skein::HostFunction;
///
/// let dir = std::env::temp_dir().join(format!("skein-check-host-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("quote.flow"), "(price \"tea\")\n(price \"tea\" 2)\n").unwrap();
/// let price = HostFunction { name: "price".into(), arity: Some(1) };
/// let problems = skein::check_file_with_host(dir.join("quote.flow"), &[price]);
/// assert_eq!(problems.len(), 1);
/// assert_eq!(problems[0].message, "price: expected 1 argument, got 2");
/// ```
pub fn check_file_with_host(path: impl AsRef<Path>, host: &[HostFunction]) -> Vec<Diagnostic> {
    let path = path.as_ref();
    let mut check = Check::new();
    for f in host {
        let gid = check.engine.m.globals.id(Symbol::intern(&f.name));
        check.host.insert(gid, f.arity);
    }
    // Loads are followed where `skein run` lets them reach: under the
    // program's own directory (docs/security.md).
    check.root = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check.mark_visited(path);
            check.source(&path.display().to_string(), &text, path.parent());
        }
        Err(e) => check.problem(None, format!("cannot read {}: {e}", path.display())),
    }
    check.finish()
}

/// Check program text named `name` in reports; a literal `(load "path")` in it
/// is followed relative to the current directory, and only under it.
///
/// ```
/// let problems = skein::check_source(
///     "greet.flow",
///     "(define (greet name) (string-append \"hello, \" nme))\n(greet \"ada\")",
/// );
/// assert_eq!(problems.len(), 1);
/// assert!(problems[0].report.starts_with("greet.flow:1:47: error: unbound variable: nme"));
/// assert!(skein::check_source("ok.flow", "(define (f) (g)) (define (g) 1)").is_empty());
/// ```
pub fn check_source(name: &str, source: &str) -> Vec<Diagnostic> {
    let mut check = Check::new();
    check.source(name, source, None);
    check.finish()
}

/// How deep `load`s may nest before the check stops following them.
const MAX_LOAD_DEPTH: usize = 100;

/// What the program does to one global.
#[derive(Default)]
struct Global {
    /// `define`s of it anywhere in the program.
    defines: usize,
    /// The lambda of its `define`, when it has exactly one and that is a lambda.
    lambda: Option<Rc<Lambda>>,
    /// Whether some `set!` assigns it: its arity is then unknown.
    assigned: bool,
}

struct Check {
    engine: Engine,
    globals: HashMap<GlobalId, Global>,
    /// Reads of globals, and `set!`s (which need the variable to exist too).
    refs: Vec<(GlobalId, Span, bool)>,
    /// Calls whose operator is a global: (global, argument count, call).
    calls: Vec<(GlobalId, usize, Span)>,
    /// Names defined by forms that failed to compile: not reported as unbound.
    salvaged: HashSet<String>,
    /// Procedures the host registers, with their arity when known.
    host: HashMap<GlobalId, Option<usize>>,
    /// Part of the program could not be read (or is loaded from a computed
    /// path), so a reference that looks unbound may be defined there.
    partial: bool,
    visited: HashSet<PathBuf>,
    load_depth: usize,
    /// Loads are followed only under this directory, as `load` would read them.
    root: PathBuf,
    problems: Vec<(Option<Span>, String)>,
}

impl Check {
    fn new() -> Check {
        Check {
            engine: Engine::new(),
            globals: HashMap::new(),
            refs: Vec::new(),
            calls: Vec::new(),
            salvaged: HashSet::new(),
            host: HashMap::new(),
            partial: false,
            visited: HashSet::new(),
            load_depth: 0,
            root: PathBuf::from("."),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, span: Option<Span>, message: String) {
        self.problems.push((span, message));
    }

    fn mark_visited(&mut self, path: &Path) -> bool {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.visited.insert(key)
    }

    /// Read and compile every form of one source text, following its loads.
    /// Forms are read one at a time, so a read error is reported and the
    /// check goes on with the next top-level form where it can find one.
    fn source(&mut self, name: &str, text: &str, dir: Option<&Path>) {
        let file = self.engine.m.sources.add(name, text);
        // A byte order mark, as some editors save it, is not part of the program.
        let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        loop {
            match read_one_from(text, file, pos) {
                Ok((None, _)) => return,
                Ok((Some(form), end)) => {
                    pos = end;
                    self.form(&form, dir);
                }
                Err(e) => match next_form_after(text, file, pos, &e) {
                    Some((next, lost)) => {
                        // A lost form may define names: unbound reports would lie.
                        self.partial |= lost;
                        self.problem(Some(e.span), e.message);
                        pos = next;
                    }
                    None => {
                        self.partial = true;
                        let message = format!("{}; the check read no further in {name}", e.message);
                        return self.problem(Some(e.span), message);
                    }
                },
            }
        }
    }

    /// Compile one top-level form and follow the literal loads it makes.
    fn form(&mut self, form: &Syntax, dir: Option<&Path>) {
        match self.engine.m.compiler().compile_toplevel(form) {
            Ok(node) => {
                let loads = self.walk(&node);
                for (path, span) in loads {
                    self.load(&path, span, dir);
                }
            }
            Err(e) => {
                if let Some(name) = defined_name(form) {
                    self.salvaged.insert(name);
                }
                self.problem(Some(e.span), e.message);
            }
        }
    }

    fn load(&mut self, path: &str, span: Span, dir: Option<&Path>) {
        let full = match dir {
            Some(dir) if Path::new(path).is_relative() => dir.join(path),
            _ => PathBuf::from(path),
        };
        let text = match crate::machine::capabilities::read_under(&self.root, &full, path) {
            Ok(text) => text,
            Err(e) => {
                self.partial = true;
                return self.problem(Some(span), format!("load: {e}"));
            }
        };
        if !self.mark_visited(&full) || self.load_depth >= MAX_LOAD_DEPTH {
            return;
        }
        self.load_depth += 1;
        self.source(&full.display().to_string(), &text, full.parent());
        self.load_depth -= 1;
    }

    /// Record what `root` does with globals; the literal `load`s it makes.
    fn walk(&mut self, root: &Node) -> Vec<(String, Span)> {
        let mut loads = Vec::new();
        // An explicit stack: a deeply nested program must not overflow ours.
        let mut todo: Vec<&Node> = vec![root];
        while let Some(node) = todo.pop() {
            match node {
                Node::Const(_) | Node::Local(..) | Node::LocalChecked(_) | Node::FixRef(..) => {}
                Node::Global(gid, span) => self.refs.push((*gid, *span, false)),
                Node::SetLocal(set) => todo.push(&set.2),
                Node::DefineLocal(def) => todo.push(&def.2),
                Node::SetGlobal(set) => {
                    self.refs.push((set.0, set.2, true));
                    self.globals.entry(set.0).or_default().assigned = true;
                    todo.push(&set.1);
                }
                Node::DefineGlobal(def) => {
                    let global = self.globals.entry(def.0).or_default();
                    global.defines += 1;
                    global.lambda = match (&def.1, global.defines) {
                        (Node::Lambda(l), 1) => Some(l.clone()),
                        _ => None,
                    };
                    todo.push(&def.1);
                }
                Node::If(branches) => todo.extend([&branches.0, &branches.1, &branches.2]),
                Node::Lambda(l) => push_bodies(&mut todo, l),
                Node::Seq(nodes) | Node::And(nodes) | Node::Or(nodes) => todo.extend(nodes.iter()),
                Node::Call(call) => {
                    if let Node::Global(gid, _) = &call.op {
                        self.calls.push((*gid, call.args.len(), call.span));
                        if let Some(path) = self.literal_load(*gid, &call.args) {
                            loads.push((path, call.span));
                        }
                    }
                    todo.push(&call.op);
                    todo.extend(call.args.iter());
                }
                Node::Let(l) => {
                    todo.extend(l.inits.iter());
                    todo.push(&l.body);
                }
                Node::Letrec(l) => {
                    todo.extend(l.inits.iter());
                    todo.push(&l.body);
                }
                Node::Fix(f) => {
                    for l in f.group.iter() {
                        push_bodies(&mut todo, l);
                    }
                    todo.push(&f.body);
                }
                Node::NamedLet(n) => {
                    push_bodies(&mut todo, &n.lambda);
                    // `call.op` is unused by named lets: only the inits run.
                    todo.extend(n.call.args.iter());
                }
                Node::Guard(g) => {
                    push_bodies(&mut todo, &g.handler);
                    todo.push(&g.body);
                }
            }
        }
        loads
    }

    /// The path of `(load "path")` when the global called is the built-in `load`.
    fn literal_load(&mut self, gid: GlobalId, args: &[Node]) -> Option<String> {
        if self.engine.m.globals.name(gid).name() != "load" {
            return None;
        }
        match args.first() {
            Some(Node::Const(Val::Str(path))) => Some(path.to_string()),
            _ => {
                // Definitions may come from a file we cannot name.
                self.partial = true;
                None
            }
        }
    }

    /// Judge the references and calls now that the whole program is known.
    fn finish(mut self) -> Vec<Diagnostic> {
        if !self.partial {
            // A `set!` of a variable also read there (as a macro may expand
            // into) is one mistake: report the read, which happens first.
            let mut reported = HashSet::new();
            let mut refs = std::mem::take(&mut self.refs);
            refs.sort_by_key(|&(_, _, is_set)| is_set);
            for (gid, span, is_set) in refs {
                if self.is_bound(gid) || !reported.insert((gid, span)) {
                    continue;
                }
                let name = self.engine.m.globals.name(gid);
                let what = if is_set { "set!: " } else { "" };
                self.problems
                    .push((Some(span), format!("{what}unbound variable: {name}")));
            }
        }
        for &(gid, argc, span) in &self.calls {
            if let Some(expected) = self.arity_mismatch(gid, argc) {
                let name = self.engine.m.globals.name(gid);
                let message = arity_message(name.name(), &expected, argc);
                self.problems.push((Some(span), message));
            }
        }
        // Source order: by file as read, then by position.
        self.problems
            .sort_by_key(|(span, _)| span.map(|s| (s.file, s.start)));
        self.problems.dedup();
        let sources = &self.engine.m.sources;
        self.problems
            .into_iter()
            .map(|(span, message)| *diagnose(sources, message, span, &[], None))
            .collect()
    }

    fn is_bound(&self, gid: GlobalId) -> bool {
        self.globals.get(&gid).is_some_and(|g| g.defines > 0)
            || self.host.contains_key(&gid)
            || !matches!(self.engine.m.globals.get(gid), Val::Unassigned)
            || self
                .salvaged
                .contains(self.engine.m.globals.name(gid).name())
    }

    /// How many arguments `gid` expects, when it is known and `argc` is not among them.
    fn arity_mismatch(&self, gid: GlobalId, argc: usize) -> Option<String> {
        match self.globals.get(&gid) {
            Some(g) if g.assigned => None,
            Some(g) if g.defines > 0 => g.lambda.as_ref().and_then(|l| {
                let clauses = std::iter::successors(Some(l), |l| l.next_case.as_ref());
                arity_mismatch(clauses.map(|l| (l.required, l.rest)), argc)
            }),
            _ if self.host.contains_key(&gid) => match self.host[&gid] {
                Some(n) if n != argc => Some(n.to_string()),
                _ => None,
            },
            _ => match self.engine.m.globals.get(gid) {
                Val::Prim(p) => {
                    let fits = argc >= p.min_args && p.max_args.is_none_or(|max| argc <= max);
                    (!fits).then(|| expected_count(p.min_args, p.max_args))
                }
                Val::Closure(c) => {
                    let clauses = std::iter::successors(Some(&c.proto), |p| p.next_case.as_ref());
                    arity_mismatch(clauses.map(|p| (p.required, p.rest)), argc)
                }
                _ => None,
            },
        }
    }
}

/// The body of a lambda and of each further `case-lambda` clause.
fn push_bodies<'a>(todo: &mut Vec<&'a Node>, lambda: &'a Rc<Lambda>) {
    let mut clause = Some(lambda);
    while let Some(c) = clause {
        todo.push(&c.body);
        clause = c.next_case.as_ref();
    }
}

/// What a procedure expects, if not `argc`: its clauses (one, or a
/// `case-lambda`'s) as (required parameters, takes a rest list).
fn arity_mismatch(clauses: impl Iterator<Item = (usize, bool)>, argc: usize) -> Option<String> {
    let mut expected = Vec::new();
    for (required, rest) in clauses {
        if argc == required || (rest && argc > required) {
            return None;
        }
        expected.push(expected_count(required, (!rest).then_some(required)));
    }
    Some(expected.join(" or "))
}

/// Where to read on after read error `e`, met reading from `pos`, and
/// whether a form was lost: after a stray closing bracket at top level, just
/// past it (nothing is lost); after an error inside a form, at the next line
/// that opens a form in its first column, the usual start of a top-level
/// form. `None` when the text ran out inside a datum (an unclosed list or
/// string swallows the rest), or no further form starts a line.
fn next_form_after(text: &str, file: u32, pos: usize, e: &ReadError) -> Option<(usize, bool)> {
    if e.incomplete {
        return None;
    }
    let at = e.span.start as usize;
    let stray_close = matches!(read_one_from(&text[..at], file, pos), Ok((None, _)))
        && text[at..].starts_with([')', ']', '}']);
    if stray_close {
        return Some((at + 1, false));
    }
    let line_end = text[at..].find('\n')? + at;
    let next = text[line_end..].find("\n(")? + line_end + 1;
    Some((next, true))
}

/// The global a top-level definition form names, read from its syntax: a form
/// that failed to compile still defines it, as far as the rest is concerned.
fn defined_name(form: &Syntax) -> Option<String> {
    let [head, target, ..] = form.as_list()? else {
        return None;
    };
    let head = head.as_ident()?.name;
    if !matches!(head.name(), "define" | "defflow" | "define-syntax") {
        return None;
    }
    let target = match target.as_list() {
        Some([name, ..]) => name,
        _ => target,
    };
    Some(target.as_ident()?.name.name().to_string())
}
