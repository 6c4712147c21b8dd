//! The compiler: syntax to the analysed tree, expanding macros on the way.
//!
//! Core special forms are compiled here; derived forms (`cond`, `case`, `do`,
//! quasiquote, records, ...) are rewritten into core forms by `derived`.

use std::rc::Rc;

use crate::compile::globals::Globals;
use crate::compile::scope::{Binding, Resolved, ScopeFrame, Scopes};
use crate::compile::tree::{Call, Fix, Guard, Lambda, Let, Letrec, NamedLet, Node};
use crate::expand::error::{err, CompileError};
use crate::expand::expander::{core, Expander};
use crate::expand::forms::SpecialForm;
use crate::expand::syntax_rules::Macro;
use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

pub struct Compiler<'a> {
    pub globals: &'a mut Globals,
    pub exp: &'a mut Expander,
    pub(super) scopes: Scopes,
    /// Macro uses expanded for this top-level form, and how deeply nested:
    /// a macro that expands forever is an error, not a hang.
    expansions: usize,
    /// Forms transcribed by those expansions (see `MAX_EXPANSION_WORK`).
    expansion_work: usize,
    expansion_depth: usize,
}

const MAX_EXPANSIONS: usize = 1_000_000;
const MAX_EXPANSION_DEPTH: usize = 1_000;

impl<'a> Compiler<'a> {
    pub fn new(globals: &'a mut Globals, exp: &'a mut Expander) -> Compiler<'a> {
        Compiler {
            globals,
            exp,
            scopes: Scopes::default(),
            expansions: 0,
            expansion_work: 0,
            expansion_depth: 0,
        }
    }

    /// Compile one top-level form.
    pub fn compile_toplevel(&mut self, syn: &Syntax) -> Result<Node, CompileError> {
        self.scopes.frames.clear();
        self.expansions = 0;
        self.expansion_work = 0;
        self.expansion_depth = 0;
        self.compile(syn)
    }

    pub fn compile(&mut self, syn: &Syntax) -> Result<Node, CompileError> {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.compile_inner(syn))
    }

    fn compile_inner(&mut self, syn: &Syntax) -> Result<Node, CompileError> {
        match &syn.kind {
            SynKind::Atom(v) => Ok(Node::Const(v.clone())),
            SynKind::Vector(_) | SynKind::Bytes(_) => Ok(Node::Const(syn.to_datum())),
            SynKind::Id(id) => self.compile_ref(*id, syn.span),
            SynKind::Map(items) => {
                let mut call = vec![core("hash-map", syn.span)];
                call.extend(items.iter().cloned());
                self.compile(&Syntax::list(call, syn.span))
            }
            SynKind::List(items, tail) => {
                if tail.is_some() {
                    return err("a dotted list cannot be evaluated", syn.span);
                }
                let Some(head) = items.first() else {
                    return err("cannot evaluate `()`: use '() for the empty list", syn.span);
                };
                if let Some(id) = head.as_ident() {
                    match self.scopes.resolve(id, self.exp) {
                        Resolved::Local(_, Binding::Macro(m)) => {
                            return self.compile_expansion(&m, syn);
                        }
                        Resolved::Global(name) => {
                            if let Some(m) = self.exp.macros.get(&name).cloned() {
                                return self.compile_expansion(&m, syn);
                            }
                            if let Some(form) = SpecialForm::of(name.name()) {
                                return self.compile_special(form, items, syn);
                            }
                        }
                        Resolved::Local(..) => {}
                    }
                }
                self.compile_call(items, syn.span)
            }
        }
    }

    fn compile_expansion(&mut self, m: &Rc<Macro>, syn: &Syntax) -> Result<Node, CompileError> {
        let expanded = self.expand_macro(m, syn)?;
        if self.expansion_depth >= MAX_EXPANSION_DEPTH {
            return err(
                format!(
                    "{}: macro expansion nested more than {MAX_EXPANSION_DEPTH} deep (does it expand into itself forever?)",
                    m.name
                ),
                syn.span,
            );
        }
        self.expansion_depth += 1;
        let result = self.compile(&expanded);
        self.expansion_depth -= 1;
        result
    }

    pub(super) fn expand_macro(
        &mut self,
        m: &Rc<Macro>,
        syn: &Syntax,
    ) -> Result<Syntax, CompileError> {
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            return err(
                format!(
                    "{}: more than {MAX_EXPANSIONS} macro expansions in one form (does it expand forever?)",
                    m.name
                ),
                syn.span,
            );
        }
        let mut marks: Vec<(u32, u32)> = Vec::new();
        let exp = &mut *self.exp;
        let scope_len = m.scope_len;
        let work = &mut self.expansion_work;
        let mut rename = |id: Ident| {
            let mark = match marks.iter().find(|(orig, _)| *orig == id.mark) {
                Some((_, new)) => *new,
                None => {
                    let new = exp.fresh_mark(id.mark, scope_len);
                    marks.push((id.mark, new));
                    new
                }
            };
            Ident {
                name: id.name,
                mark,
            }
        };
        m.expand(syn, &mut rename, work)
    }

    // ---- scopes ----

    fn compile_ref(&mut self, id: Ident, span: Span) -> Result<Node, CompileError> {
        match self.scopes.resolve(id, self.exp) {
            Resolved::Local(i, Binding::Slot(s, false)) => {
                self.scopes.note_use(i, s, false);
                Ok(Node::Local(self.scopes.depth_of(i), s))
            }
            Resolved::Local(i, Binding::Slot(s, true)) => {
                self.scopes.note_use(i, s, false);
                Ok(Node::LocalChecked(Rc::new((
                    self.scopes.depth_of(i),
                    s,
                    id.name,
                    span,
                ))))
            }
            Resolved::Local(i, Binding::Fix(s)) => Ok(Node::FixRef(self.scopes.depth_of(i), s)),
            Resolved::Local(_, Binding::Macro(_)) => {
                err(format!("`{}` is a macro, not a variable", id.name), span)
            }
            Resolved::Global(name) => {
                let is_syntax =
                    self.exp.macros.contains_key(&name) || SpecialForm::of(name.name()).is_some();
                if is_syntax && self.globals.lookup(name).is_none() {
                    return err(
                        format!("`{name}` is syntax and cannot be used as a variable"),
                        span,
                    );
                }
                Ok(Node::Global(self.globals.id(name), span))
            }
        }
    }

    fn compile_call(&mut self, items: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let op = self.compile(&items[0])?;
        let args = items[1..]
            .iter()
            .map(|a| self.compile(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Node::Call(Rc::new(Call {
            op,
            args: args.into(),
            span,
        })))
    }

    pub(super) fn compile_seq(
        &mut self,
        forms: &[Syntax],
        span: Span,
    ) -> Result<Node, CompileError> {
        let mut nodes = forms
            .iter()
            .map(|f| self.compile(f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match nodes.len() {
            0 => {
                let _ = span;
                Node::Const(Val::Unspecified)
            }
            1 => nodes.pop().unwrap_or(Node::Const(Val::Unspecified)),
            _ => Node::Seq(nodes.into()),
        })
    }

    /// The one place special forms are dispatched: core forms compile here,
    /// derived forms are rewritten first.
    fn compile_special(
        &mut self,
        form: SpecialForm,
        items: &[Syntax],
        syn: &Syntax,
    ) -> Result<Node, CompileError> {
        let span = syn.span;
        let args = &items[1..];
        match form {
            SpecialForm::Quote => match args {
                [datum] => Ok(Node::Const(datum.to_datum())),
                _ => err("quote: expected exactly one datum", span),
            },
            SpecialForm::If => match args {
                [test, then] => Ok(Node::If(Rc::new((
                    self.compile(test)?,
                    self.compile(then)?,
                    Node::Const(Val::Unspecified),
                )))),
                [test, then, otherwise] => Ok(Node::If(Rc::new((
                    self.compile(test)?,
                    self.compile(then)?,
                    self.compile(otherwise)?,
                )))),
                _ => err("if: expected (if test then [else])", span),
            },
            SpecialForm::Define => self.compile_define(args, span),
            SpecialForm::Set => self.compile_set(args, span),
            SpecialForm::Lambda => {
                let Some((params, body)) = args.split_first() else {
                    return err("lambda: expected parameters and a body", span);
                };
                Ok(Node::Lambda(self.compile_lambda(None, params, body, span)?))
            }
            SpecialForm::Begin => {
                if self.scopes.frames.is_empty() {
                    // Top-level begin: definitions inside it are global.
                    self.compile_seq(args, span)
                } else {
                    self.compile_seq(args, span)
                }
            }
            SpecialForm::Let => self.compile_let(args, span),
            SpecialForm::Letrec | SpecialForm::LetrecStar => self.compile_letrec(args, span),
            SpecialForm::And => self.compile_and_or(args, true, span),
            SpecialForm::Or => self.compile_and_or(args, false, span),
            SpecialForm::DefineSyntax => self.compile_define_syntax(args, span),
            SpecialForm::LetSyntax | SpecialForm::LetrecSyntax => {
                self.compile_let_syntax(args, span)
            }
            SpecialForm::CaseLambda => self.compile_case_lambda(args, span),
            SpecialForm::Guard => self.compile_guard(args, span),
            SpecialForm::Import => Ok(Node::Const(Val::Unspecified)),
            _ => {
                let expanded = crate::expand::derived::expand(form, items, syn, &mut *self.exp)?;
                self.compile(&expanded)
            }
        }
    }

    fn compile_define(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let (id, value) = parse_define(args, span)?;
        if !self.scopes.frames.is_empty() {
            return err(
                "define: internal definitions must come at the start of a body",
                span,
            );
        }
        let name = id.name;
        self.exp.macros.remove(&name);
        let gid = self.globals.id(name);
        let value = self.compile_named(&value, name)?;
        Ok(Node::DefineGlobal(Rc::new((gid, value))))
    }

    /// Compile `value`, naming it `name` if it is a lambda.
    pub(super) fn compile_named(
        &mut self,
        value: &Syntax,
        name: Symbol,
    ) -> Result<Node, CompileError> {
        if let Some([head, params, body @ ..]) = value.as_list() {
            if self.is_special(head, "lambda") && !body.is_empty() {
                return Ok(Node::Lambda(self.compile_lambda(
                    Some(name),
                    params,
                    body,
                    value.span,
                )?));
            }
        }
        self.compile(value)
    }

    pub(super) fn is_special(&self, head: &Syntax, name: &str) -> bool {
        match head.as_ident() {
            Some(id) => {
                matches!(self.scopes.resolve(id, self.exp), Resolved::Global(n) if n.name() == name)
            }
            None => false,
        }
    }

    fn compile_set(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let [target, value] = args else {
            return err("set!: expected (set! variable value)", span);
        };
        let Some(id) = target.as_ident() else {
            return err("set!: expected a variable name", target.span);
        };
        let value = self.compile(value)?;
        match self.scopes.resolve(id, self.exp) {
            Resolved::Local(i, Binding::Slot(s, _)) => {
                self.scopes.note_use(i, s, true);
                Ok(Node::SetLocal(Rc::new((
                    self.scopes.depth_of(i),
                    s,
                    value,
                    target.span,
                ))))
            }
            Resolved::Local(..) => err(
                format!(
                    "set!: `{}` is a procedure defined in this body and cannot be assigned",
                    id.name
                ),
                target.span,
            ),
            Resolved::Global(name) => Ok(Node::SetGlobal(Rc::new((
                self.globals.id(name),
                value,
                target.span,
            )))),
        }
    }

    fn parse_params(&self, params: &Syntax) -> Result<(Vec<Ident>, bool), CompileError> {
        let mut ids = Vec::new();
        let (items, tail): (&[Syntax], Option<&Syntax>) = match &params.kind {
            SynKind::Id(id) => return Ok((vec![*id], true)),
            SynKind::List(items, tail) => (items, tail.as_deref()),
            _ => return err("lambda: expected a parameter list", params.span),
        };
        for p in items.iter().chain(tail) {
            let Some(id) = p.as_ident() else {
                return err("lambda: parameters must be identifiers", p.span);
            };
            if ids.contains(&id) {
                return err(format!("lambda: duplicate parameter `{}`", id.name), p.span);
            }
            ids.push(id);
        }
        Ok((ids, tail.is_some()))
    }

    pub fn compile_lambda(
        &mut self,
        name: Option<Symbol>,
        params: &Syntax,
        body: &[Syntax],
        span: Span,
    ) -> Result<Rc<Lambda>, CompileError> {
        if body.is_empty() {
            return err("lambda: the body is empty", span);
        }
        let (ids, rest) = self.parse_params(params)?;
        let required = ids.len() - usize::from(rest);
        let params = ids.iter().map(|id| id.name).collect();
        self.scopes.push_lambda_frame(Scopes::slots(&ids));
        // Internal definitions recurse through here, not `compile`: nested
        // `(define (f) (define (g) ...))` must not overflow the stack either.
        let result =
            stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.compile_body(body, span));
        let frame = self.scopes.frames.pop();
        let body = result?;
        let frame_size = frame.as_ref().map_or(0, |f| f.slot_count());
        Ok(Rc::new(Lambda {
            name,
            required,
            rest,
            params,
            frame_size,
            boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
            span,
            body,
            next_case: None,
            is_loop: false,
        }))
    }

    pub(super) fn define_local_syntax(
        &mut self,
        args: &[Syntax],
        span: Span,
    ) -> Result<(), CompileError> {
        let (id, m) = self.syntax_definition(args, span)?;
        if let Some(frame) = self.scopes.frames.last_mut() {
            frame.vars.push((id, Binding::Macro(m)));
        }
        Ok(())
    }

    /// `(define-syntax name (syntax-rules ...))`: the name and the macro.
    fn syntax_definition(
        &mut self,
        args: &[Syntax],
        span: Span,
    ) -> Result<(Ident, Rc<Macro>), CompileError> {
        let [name, spec] = args else {
            return err(
                "define-syntax: expected (define-syntax name (syntax-rules ...))",
                span,
            );
        };
        let Some(id) = name.as_ident() else {
            return err("define-syntax: expected a name", name.span);
        };
        Ok((id, self.make_macro(id.name, spec)?))
    }

    fn make_macro(&mut self, name: Symbol, spec: &Syntax) -> Result<Rc<Macro>, CompileError> {
        let is_rules = spec.as_list().and_then(|l| l.first()).is_some_and(|h| {
            self.is_special(h, "syntax-rules")
                || matches!(h.as_ident(), Some(i) if i.name.name() == "syntax-rules")
        });
        if !is_rules {
            return err("only syntax-rules macros are supported", spec.span);
        }
        Ok(Rc::new(Macro::parse(name, spec, self.scopes.frames.len())?))
    }

    fn compile_define_syntax(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        if !self.scopes.frames.is_empty() {
            return err("define-syntax: must come at the start of a body", span);
        }
        let (id, m) = self.syntax_definition(args, span)?;
        self.exp.macros.insert(id.name, m);
        Ok(Node::Const(Val::Unspecified))
    }

    fn compile_let_syntax(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let Some((bindings, body)) = args.split_first() else {
            return err("let-syntax: expected bindings and a body", span);
        };
        let Some(bindings) = bindings.as_list() else {
            return err("let-syntax: expected a list of bindings", bindings.span);
        };
        let level = self.scopes.level();
        self.scopes
            .frames
            .push(ScopeFrame::new(false, level, Vec::new()));
        let result = (|| {
            for b in bindings {
                let Some([name, spec]) = b.as_list() else {
                    return err(
                        "let-syntax: each binding is (name (syntax-rules ...))",
                        b.span,
                    );
                };
                let Some(id) = name.as_ident() else {
                    return err("let-syntax: expected a name", name.span);
                };
                let m = self.make_macro(id.name, spec)?;
                if let Some(frame) = self.scopes.frames.last_mut() {
                    frame.vars.push((id, Binding::Macro(m)));
                }
            }
            // The body is a body of the enclosing scope: wrap it in a let so
            // internal definitions have a frame of their own.
            self.scopes.push_frame(Vec::new());
            let body = self.compile_body(body, span);
            let frame = self.scopes.frames.pop();
            Ok(Node::Let(Rc::new(Let {
                inits: Box::new([]),
                frame_size: frame.as_ref().map_or(0, |f| f.slot_count()),
                boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
                body: body?,
            })))
        })();
        self.scopes.frames.pop();
        result
    }

    fn parse_bindings(
        &self,
        bindings: &Syntax,
        form: &str,
    ) -> Result<Vec<(Ident, Syntax)>, CompileError> {
        let Some(list) = bindings.as_list() else {
            return err(
                format!("{form}: expected a list of (name value) bindings"),
                bindings.span,
            );
        };
        list.iter()
            .map(|b| match b.as_list() {
                Some([name, value]) => match name.as_ident() {
                    Some(id) => Ok((id, value.clone())),
                    None => err(format!("{form}: expected a variable name"), name.span),
                },
                _ => err(format!("{form}: each binding must be (name value)"), b.span),
            })
            .collect()
    }

    fn compile_let(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let Some(first) = args.first() else {
            return err("let: expected bindings and a body", span);
        };
        if let Some(name) = first.as_ident() {
            return self.compile_named_let(name, &args[1..], span);
        }
        let bindings = self.parse_bindings(first, "let")?;
        let body = &args[1..];
        if body.is_empty() {
            return err("let: the body is empty", span);
        }
        let inits = bindings
            .iter()
            .map(|(id, v)| self.compile_named(v, id.name))
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Ident> = bindings.iter().map(|(id, _)| *id).collect();
        self.scopes.push_frame(Scopes::slots(&ids));
        let result = self.compile_body(body, span);
        let frame = self.scopes.frames.pop();
        Ok(Node::Let(Rc::new(Let {
            inits: inits.into(),
            frame_size: frame.as_ref().map_or(0, |f| f.slot_count()),
            boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
            body: result?,
        })))
    }

    fn compile_named_let(
        &mut self,
        name: Ident,
        args: &[Syntax],
        span: Span,
    ) -> Result<Node, CompileError> {
        let Some((bindings, body)) = args.split_first() else {
            return err("let: expected bindings after the loop name", span);
        };
        let bindings = self.parse_bindings(bindings, "let")?;
        let inits = bindings
            .iter()
            .map(|(_, v)| self.compile(v))
            .collect::<Result<Vec<_>, _>>()?;
        let params = Syntax::list(
            bindings
                .iter()
                .map(|(id, _)| Syntax::new(SynKind::Id(*id), span))
                .collect(),
            span,
        );
        self.scopes.push_frame(vec![(name, Binding::Fix(0))]);
        let lambda = self.compile_lambda(Some(name.name), &params, body, span);
        self.scopes.frames.pop();
        let lambda = lambda.map(|mut l| {
            if let Some(l) = Rc::get_mut(&mut l) {
                l.is_loop = true;
            }
            l
        });
        Ok(Node::NamedLet(Rc::new(NamedLet {
            lambda: lambda?,
            call: Rc::new(Call {
                op: Node::Const(Val::Unspecified),
                args: inits.into(),
                span,
            }),
        })))
    }

    fn compile_letrec(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let Some((bindings, body)) = args.split_first() else {
            return err("letrec: expected bindings and a body", span);
        };
        if body.is_empty() {
            return err("letrec: the body is empty", span);
        }
        let bindings = self.parse_bindings(bindings, "letrec")?;
        // All lambdas and never assigned: a fix group, which makes no reference cycle.
        let all_lambdas = bindings.iter().all(|(id, v)| {
            self.is_lambda(v)
                && !body
                    .iter()
                    .chain(bindings.iter().map(|(_, v)| v))
                    .any(|f| assigns(f, id.name))
        });
        if all_lambdas && !bindings.is_empty() {
            self.scopes.push_frame(
                bindings
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, Binding::Fix(i as u32)))
                    .collect(),
            );
            let result = (|| {
                let mut group = Vec::new();
                for (id, value) in &bindings {
                    let items = value.as_list().unwrap_or(&[]);
                    group.push(self.compile_lambda(
                        Some(id.name),
                        &items[1],
                        &items[2..],
                        value.span,
                    )?);
                }
                // The body gets a frame of its own for its internal definitions.
                self.scopes.push_frame(Vec::new());
                let body = self.compile_body(body, span);
                let frame = self.scopes.frames.pop();
                Ok(Node::Fix(Rc::new(Fix {
                    group: group.into(),
                    body: Node::Let(Rc::new(Let {
                        inits: Box::new([]),
                        frame_size: frame.as_ref().map_or(0, |f| f.slot_count()),
                        boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
                        body: body?,
                    })),
                })))
            })();
            self.scopes.frames.pop();
            return result;
        }
        // letrec slots may be read before they are assigned: checked reads.
        self.scopes.push_frame(
            bindings
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (*id, Binding::Slot(i as u32, true)))
                .collect(),
        );
        let result = (|| {
            let inits = bindings
                .iter()
                .map(|(id, v)| self.compile_named(v, id.name))
                .collect::<Result<Vec<_>, _>>()?;
            let body = self.compile_body(body, span)?;
            Ok((inits, body))
        })();
        let frame = self.scopes.frames.pop();
        let (inits, body) = result?;
        Ok(Node::Letrec(Rc::new(Letrec {
            inits: inits.into(),
            frame_size: frame.as_ref().map_or(0, |f| f.slot_count()),
            boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
            body,
        })))
    }

    fn compile_and_or(
        &mut self,
        args: &[Syntax],
        and: bool,
        _span: Span,
    ) -> Result<Node, CompileError> {
        let mut nodes = args
            .iter()
            .map(|a| self.compile(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match nodes.len() {
            0 => Node::Const(Val::bool(and)),
            1 => nodes.pop().unwrap_or(Node::Const(Val::bool(and))),
            _ if and => Node::And(nodes.into()),
            _ => Node::Or(nodes.into()),
        })
    }

    fn compile_case_lambda(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let mut clauses = Vec::new();
        for clause in args {
            let Some([params, body @ ..]) = clause.as_list() else {
                return err("case-lambda: each clause is (params body ...)", clause.span);
            };
            clauses.push((params, body, clause.span));
        }
        let mut next: Option<Rc<Lambda>> = None;
        for (params, body, cspan) in clauses.into_iter().rev() {
            let lambda = self.compile_lambda(None, params, body, cspan)?;
            let mut lambda = Rc::try_unwrap(lambda).map_err(|_| CompileError {
                message: "case-lambda: internal error".into(),
                span,
            })?;
            lambda.next_case = next;
            next = Some(Rc::new(lambda));
        }
        match next {
            Some(l) => Ok(Node::Lambda(l)),
            None => err("case-lambda: expected at least one clause", span),
        }
    }

    /// `(guard (var clause ...) body ...)`.
    fn compile_guard(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let Some((spec, body)) = args.split_first() else {
            return err("guard: expected (guard (var clause ...) body ...)", span);
        };
        let Some([var, clauses @ ..]) = spec.as_list() else {
            return err("guard: expected (var clause ...)", spec.span);
        };
        let Some(var_id) = var.as_ident() else {
            return err("guard: expected a variable name", var.span);
        };
        let has_else = clauses.last().is_some_and(|c| {
            c.as_list()
                .and_then(|l| l.first())
                .and_then(Syntax::as_ident)
                .is_some_and(|i| i.name.name() == "else")
        });
        // The handler gets the condition and a re-raiser: a continuation back
        // to the `raise`, which raises the condition again there when no
        // clause matches (R7RS: in the dynamic environment of the raise).
        let reraise = Syntax::new(
            SynKind::Id(Ident {
                name: Symbol::intern("reraise"),
                mark: self.exp.fresh_mark(0, 0),
            }),
            span,
        );
        let var_ref = Syntax::new(SynKind::Id(var_id), span);
        let mut cond = vec![core("cond", span)];
        cond.extend(clauses.iter().cloned());
        if !has_else {
            cond.push(Syntax::list(
                vec![
                    core("else", span),
                    Syntax::list(vec![reraise.clone(), var_ref], span),
                ],
                span,
            ));
        }
        let params = Syntax::list(vec![var.clone(), reraise], span);
        let handler = self.compile_lambda(None, &params, &[Syntax::list(cond, span)], span)?;
        let body = self.compile_lambda(None, &Syntax::list(vec![], span), body, span)?;
        Ok(Node::Guard(Rc::new(Guard {
            body: Node::Lambda(body),
            handler,
        })))
    }
}

/// `(define name value)` or `(define (name . params) body ...)`, curried forms too.
pub(super) fn parse_define(args: &[Syntax], span: Span) -> Result<(Ident, Syntax), CompileError> {
    let Some((target, body)) = args.split_first() else {
        return err("define: expected a name and a value", span);
    };
    match &target.kind {
        SynKind::Id(id) => match body {
            [] => Ok((*id, Syntax::atom(Val::Unspecified, span))),
            [value] => Ok((*id, value.clone())),
            _ => err("define: expected a single value", span),
        },
        SynKind::List(items, tail) if !items.is_empty() => {
            if body.is_empty() {
                return err("define: the procedure body is empty", span);
            }
            let params = Syntax::new(SynKind::List(items[1..].into(), tail.clone()), target.span);
            let mut lambda = vec![core("lambda", span), params];
            lambda.extend(body.iter().cloned());
            let lambda = Syntax::list(lambda, span);
            // Curried define: (define ((f a) b) ...) defines f returning a lambda.
            parse_define(&[items[0].clone(), lambda], span)
        }
        _ => err("define: expected a name or (name params ...)", target.span),
    }
}

/// Does `form` contain `(set! name ...)` anywhere? Conservative, by name.
/// Walked with a work list: bodies nest as deep as the reader allows.
pub(super) fn assigns(form: &Syntax, name: Symbol) -> bool {
    let mut work = vec![form];
    while let Some(form) = work.pop() {
        match &form.kind {
            SynKind::List(items, tail) => {
                if let [head, target, ..] = &items[..] {
                    if head.as_ident().is_some_and(|h| h.name.name() == "set!")
                        && target.as_ident().is_some_and(|t| t.name == name)
                    {
                        return true;
                    }
                }
                work.extend(items.iter());
                work.extend(tail.as_deref());
            }
            SynKind::Vector(items) => work.extend(items.iter()),
            _ => {}
        }
    }
    false
}
