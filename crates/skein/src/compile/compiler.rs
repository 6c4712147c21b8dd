//! The compiler: syntax to the analysed tree, expanding macros on the way.
//!
//! Core special forms are compiled here; derived forms (`cond`, `case`, `do`,
//! quasiquote, records, ...) are rewritten into core forms by `derived`.

use std::rc::Rc;

use crate::compile::globals::Globals;
use crate::compile::tree::{Call, Fix, Guard, Lambda, Let, Letrec, NamedLet, Node};
use crate::expand::error::{err, CompileError};
use crate::expand::expander::{core, Expander, CORE_MARK};
use crate::expand::forms::SpecialForm;
use crate::expand::syntax_rules::Macro;
use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

#[derive(Clone)]
enum Binding {
    /// A slot of a runtime frame; `true` if it may be read before it is
    /// assigned (letrec and internal definitions), which the machine checks.
    Slot(u32, bool),
    Fix(u32),
    Macro(Rc<Macro>),
}

struct ScopeFrame {
    /// False for frames that only hold macros (`let-syntax`): no runtime frame.
    runtime: bool,
    /// How many lambdas enclose the frame: a reference from a deeper level
    /// captures the variable in a closure.
    level: u32,
    vars: Vec<(Ident, Binding)>,
    /// How each runtime slot is used, by slot index.
    uses: Vec<SlotUse>,
}

/// What the code generator needs to know about a variable to place it.
#[derive(Clone, Copy, Default)]
struct SlotUse {
    /// Bound before its value exists (`letrec`, internal definitions).
    checked: bool,
    assigned: bool,
    captured: bool,
}

impl ScopeFrame {
    fn new(runtime: bool, level: u32, vars: Vec<(Ident, Binding)>) -> ScopeFrame {
        let uses = vars
            .iter()
            .filter_map(|(_, b)| match b {
                Binding::Slot(_, checked) => Some(SlotUse {
                    checked: *checked,
                    ..SlotUse::default()
                }),
                _ => None,
            })
            .collect();
        ScopeFrame {
            runtime,
            level,
            vars,
            uses,
        }
    }

    /// Runtime slots the frame needs (macros and fix bindings take none).
    fn slot_count(&self) -> usize {
        self.uses.len()
    }

    fn add_slot(&mut self, id: Ident, checked: bool) {
        let slot = self.uses.len() as u32;
        self.vars.push((id, Binding::Slot(slot, checked)));
        self.uses.push(SlotUse {
            checked,
            ..SlotUse::default()
        });
    }

    /// Which slots live in a box: every assigned variable (a continuation
    /// copies slots, but must share variables), and every variable a
    /// closure may capture before its value exists.
    fn boxed(&self) -> Box<[bool]> {
        self.uses
            .iter()
            .map(|u| u.assigned || (u.checked && u.captured))
            .collect()
    }
}

enum Resolved {
    Local(usize, Binding),
    Global(Symbol),
}

pub struct Compiler<'a> {
    pub globals: &'a mut Globals,
    pub exp: &'a mut Expander,
    frames: Vec<ScopeFrame>,
    /// Macro uses expanded for this top-level form, and how deeply nested:
    /// a macro that expands forever is an error, not a hang.
    expansions: usize,
    expansion_depth: usize,
}

const MAX_EXPANSIONS: usize = 1_000_000;
const MAX_EXPANSION_DEPTH: usize = 1_000;

enum BodyItem {
    Define(Ident, Syntax, Span),
    Expr(Syntax),
}

impl<'a> Compiler<'a> {
    pub fn new(globals: &'a mut Globals, exp: &'a mut Expander) -> Compiler<'a> {
        Compiler {
            globals,
            exp,
            frames: Vec::new(),
            expansions: 0,
            expansion_depth: 0,
        }
    }

    /// Compile one top-level form.
    pub fn compile_toplevel(&mut self, syn: &Syntax) -> Result<Node, CompileError> {
        self.frames.clear();
        self.expansions = 0;
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
                    match self.resolve(id) {
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

    fn expand_macro(&mut self, m: &Rc<Macro>, syn: &Syntax) -> Result<Syntax, CompileError> {
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
        m.expand(syn, &mut |id: Ident| {
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
        })
    }

    // ---- scopes ----

    fn resolve(&self, id: Ident) -> Resolved {
        self.resolve_within(id, self.frames.len())
    }

    fn resolve_within(&self, mut id: Ident, mut limit: usize) -> Resolved {
        loop {
            if id.mark == CORE_MARK {
                return Resolved::Global(id.name);
            }
            for (i, frame) in self.frames[..limit.min(self.frames.len())]
                .iter()
                .enumerate()
                .rev()
            {
                if let Some((_, b)) = frame.vars.iter().rev().find(|(v, _)| *v == id) {
                    return Resolved::Local(i, b.clone());
                }
            }
            if id.mark == 0 {
                return Resolved::Global(id.name);
            }
            match self.exp.renamed(id.mark) {
                Some((orig, scope_len)) => {
                    id.mark = orig;
                    limit = limit.min(scope_len);
                }
                None => return Resolved::Global(id.name),
            }
        }
    }

    /// Runtime frames between the innermost scope and frame `i`.
    fn depth_of(&self, i: usize) -> u32 {
        self.frames[i + 1..].iter().filter(|f| f.runtime).count() as u32
    }

    fn level(&self) -> u32 {
        self.frames.last().map_or(0, |f| f.level)
    }

    fn push_frame(&mut self, vars: Vec<(Ident, Binding)>) {
        let level = self.level();
        self.frames.push(ScopeFrame::new(true, level, vars));
    }

    /// The frame of a lambda's parameters: one level deeper.
    fn push_lambda_frame(&mut self, vars: Vec<(Ident, Binding)>) {
        let level = self.level() + 1;
        self.frames.push(ScopeFrame::new(true, level, vars));
    }

    /// Note a use of slot `s` of frame `i`; `assign` for `set!`.
    fn note_use(&mut self, i: usize, s: u32, assign: bool) {
        let level = self.level();
        let frame = &mut self.frames[i];
        let captured = frame.level < level;
        if let Some(u) = frame.uses.get_mut(s as usize) {
            u.captured |= captured;
            u.assigned |= assign;
        }
    }

    fn slots(ids: &[Ident]) -> Vec<(Ident, Binding)> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| (*id, Binding::Slot(i as u32, false)))
            .collect()
    }

    fn compile_ref(&mut self, id: Ident, span: Span) -> Result<Node, CompileError> {
        match self.resolve(id) {
            Resolved::Local(i, Binding::Slot(s, false)) => {
                self.note_use(i, s, false);
                Ok(Node::Local(self.depth_of(i), s))
            }
            Resolved::Local(i, Binding::Slot(s, true)) => {
                self.note_use(i, s, false);
                Ok(Node::LocalChecked(Rc::new((
                    self.depth_of(i),
                    s,
                    id.name,
                    span,
                ))))
            }
            Resolved::Local(i, Binding::Fix(s)) => Ok(Node::FixRef(self.depth_of(i), s)),
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

    fn compile_seq(&mut self, forms: &[Syntax], span: Span) -> Result<Node, CompileError> {
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
                if self.frames.is_empty() {
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
        if !self.frames.is_empty() {
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
    fn compile_named(&mut self, value: &Syntax, name: Symbol) -> Result<Node, CompileError> {
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

    fn is_special(&self, head: &Syntax, name: &str) -> bool {
        match head.as_ident() {
            Some(id) => matches!(self.resolve(id), Resolved::Global(n) if n.name() == name),
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
        match self.resolve(id) {
            Resolved::Local(i, Binding::Slot(s, _)) => {
                self.note_use(i, s, true);
                Ok(Node::SetLocal(Rc::new((
                    self.depth_of(i),
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
        self.push_lambda_frame(Self::slots(&ids));
        let result = self.compile_body(body, span);
        let frame = self.frames.pop();
        let body = result?;
        let frame_size = frame.as_ref().map_or(0, |f| f.slot_count());
        Ok(Rc::new(Lambda {
            name,
            required,
            rest,
            frame_size,
            boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
            span,
            body,
            next_case: None,
            is_loop: false,
        }))
    }

    /// Compile a body in the innermost frame: internal definitions become slots
    /// of that frame, or, for procedures, a fix group (no reference cycles).
    fn compile_body(&mut self, forms: &[Syntax], span: Span) -> Result<Node, CompileError> {
        let items = self.scan_body(forms)?;
        let defines: Vec<(Ident, &Syntax)> = items
            .iter()
            .filter_map(|i| match i {
                BodyItem::Define(id, value, _) => Some((*id, value)),
                BodyItem::Expr(_) => None,
            })
            .collect();
        if defines.is_empty() {
            let exprs: Vec<Syntax> = items
                .into_iter()
                .filter_map(|i| match i {
                    BodyItem::Expr(e) => Some(e),
                    BodyItem::Define(..) => None,
                })
                .collect();
            return self.compile_seq(&exprs, span);
        }
        let mut fix: Vec<(Ident, &Syntax)> = Vec::new();
        let mut vars: Vec<Ident> = Vec::new();
        for (id, value) in &defines {
            let once = defines.iter().filter(|(d, _)| d == id).count() == 1;
            if once && self.is_lambda(value) && !forms.iter().any(|f| assigns(f, id.name)) {
                fix.push((*id, value));
            } else if !vars.contains(id) {
                vars.push(*id);
            }
        }
        let frame = self.frames.len() - 1;
        for id in &vars {
            self.frames[frame].add_slot(*id, true);
        }
        let has_fix = !fix.is_empty();
        if has_fix {
            self.push_frame(
                fix.iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, Binding::Fix(i as u32)))
                    .collect(),
            );
        }
        let result = self.compile_body_items(&items, &fix);
        if has_fix {
            self.frames.pop();
        }
        let (group, body) = result?;
        Ok(if has_fix {
            Node::Fix(Rc::new(Fix {
                group: group.into(),
                body,
            }))
        } else {
            body
        })
    }

    fn compile_body_items(
        &mut self,
        items: &[BodyItem],
        fix: &[(Ident, &Syntax)],
    ) -> Result<(Vec<Rc<Lambda>>, Node), CompileError> {
        let mut group = Vec::new();
        for (id, value) in fix {
            let items = value.as_list().unwrap_or(&[]);
            group.push(self.compile_lambda(Some(id.name), &items[1], &items[2..], value.span)?);
        }
        let mut nodes = Vec::new();
        for item in items {
            match item {
                BodyItem::Define(id, value, span) => {
                    if fix.iter().any(|(f, _)| f == id) {
                        continue;
                    }
                    let value = self.compile_named(value, id.name)?;
                    match self.resolve(*id) {
                        Resolved::Local(i, Binding::Slot(s, _)) => {
                            nodes.push(Node::DefineLocal(Rc::new((self.depth_of(i), s, value))))
                        }
                        _ => return err("define: internal error resolving definition", *span),
                    }
                }
                BodyItem::Expr(e) => nodes.push(self.compile(e)?),
            }
        }
        if matches!(items.last(), Some(BodyItem::Define(..))) {
            nodes.push(Node::Const(Val::Unspecified));
        }
        let body = match nodes.len() {
            0 => Node::Const(Val::Unspecified),
            1 => nodes.pop().unwrap_or(Node::Const(Val::Unspecified)),
            _ => Node::Seq(nodes.into()),
        };
        Ok((group, body))
    }

    fn is_lambda(&self, value: &Syntax) -> bool {
        match value.as_list() {
            Some([head, _params, body @ ..]) => !body.is_empty() && self.is_special(head, "lambda"),
            _ => false,
        }
    }

    /// Expand the head of each body form far enough to find definitions.
    fn scan_body(&mut self, forms: &[Syntax]) -> Result<Vec<BodyItem>, CompileError> {
        let mut queue: std::collections::VecDeque<Syntax> = forms.iter().cloned().collect();
        let mut items = Vec::new();
        while let Some(form) = queue.pop_front() {
            let Some(list) = form.as_list() else {
                items.push(BodyItem::Expr(form));
                continue;
            };
            let Some(head) = list.first().and_then(Syntax::as_ident) else {
                items.push(BodyItem::Expr(form));
                continue;
            };
            match self.resolve(head) {
                Resolved::Local(_, Binding::Macro(m)) => {
                    queue.push_front(self.expand_macro(&m, &form)?);
                }
                Resolved::Global(name) => {
                    if let Some(m) = self.exp.macros.get(&name).cloned() {
                        queue.push_front(self.expand_macro(&m, &form)?);
                        continue;
                    }
                    match SpecialForm::of(name.name()) {
                        Some(SpecialForm::Begin) => {
                            for f in list[1..].iter().rev() {
                                queue.push_front(f.clone());
                            }
                        }
                        Some(SpecialForm::Define) => {
                            let (id, value) = parse_define(&list[1..], form.span)?;
                            items.push(BodyItem::Define(id, value, form.span));
                        }
                        Some(SpecialForm::DefineSyntax) => {
                            self.define_local_syntax(&list[1..], form.span)?;
                        }
                        Some(
                            derived @ (SpecialForm::DefineRecordType | SpecialForm::DefineValues),
                        ) => {
                            let expanded = crate::expand::derived::expand(
                                derived,
                                list,
                                &form,
                                &mut *self.exp,
                            )?;
                            queue.push_front(expanded);
                        }
                        _ => items.push(BodyItem::Expr(form)),
                    }
                }
                Resolved::Local(..) => items.push(BodyItem::Expr(form)),
            }
        }
        Ok(items)
    }

    fn define_local_syntax(&mut self, args: &[Syntax], span: Span) -> Result<(), CompileError> {
        let (id, m) = self.syntax_definition(args, span)?;
        if let Some(frame) = self.frames.last_mut() {
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
        Ok(Rc::new(Macro::parse(name, spec, self.frames.len())?))
    }

    fn compile_define_syntax(&mut self, args: &[Syntax], span: Span) -> Result<Node, CompileError> {
        if !self.frames.is_empty() {
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
        let level = self.level();
        self.frames.push(ScopeFrame::new(false, level, Vec::new()));
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
                if let Some(frame) = self.frames.last_mut() {
                    frame.vars.push((id, Binding::Macro(m)));
                }
            }
            // The body is a body of the enclosing scope: wrap it in a let so
            // internal definitions have a frame of their own.
            self.push_frame(Vec::new());
            let body = self.compile_body(body, span);
            let frame = self.frames.pop();
            Ok(Node::Let(Rc::new(Let {
                inits: Box::new([]),
                frame_size: frame.as_ref().map_or(0, |f| f.slot_count()),
                boxed: frame.map(|f| f.boxed()).unwrap_or_default(),
                body: body?,
            })))
        })();
        self.frames.pop();
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
        self.push_frame(Self::slots(&ids));
        let result = self.compile_body(body, span);
        let frame = self.frames.pop();
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
        self.push_frame(vec![(name, Binding::Fix(0))]);
        let lambda = self.compile_lambda(Some(name.name), &params, body, span);
        self.frames.pop();
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
            self.push_frame(
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
                self.push_frame(Vec::new());
                let body = self.compile_body(body, span);
                let frame = self.frames.pop();
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
            self.frames.pop();
            return result;
        }
        // letrec slots may be read before they are assigned: checked reads.
        self.push_frame(
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
        let frame = self.frames.pop();
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
fn parse_define(args: &[Syntax], span: Span) -> Result<(Ident, Syntax), CompileError> {
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
fn assigns(form: &Syntax, name: Symbol) -> bool {
    match &form.kind {
        SynKind::List(items, tail) => {
            if let [head, target, ..] = &items[..] {
                if head.as_ident().is_some_and(|h| h.name.name() == "set!")
                    && target.as_ident().is_some_and(|t| t.name == name)
                {
                    return true;
                }
            }
            items.iter().any(|i| assigns(i, name))
                || tail.as_ref().is_some_and(|t| assigns(t, name))
        }
        SynKind::Vector(items) => items.iter().any(|i| assigns(i, name)),
        _ => false,
    }
}
