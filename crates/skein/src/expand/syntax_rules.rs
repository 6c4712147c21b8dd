//! `syntax-rules` macros: pattern matching and template instantiation.
//!
//! Identifiers a template introduces are renamed with a fresh mark, so a
//! binding the macro introduces never captures a user's variable, and a free
//! identifier in the template still means what it meant where the macro was defined.

use std::collections::HashMap;
use std::rc::Rc;

use crate::expand::error::CompileError;
use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;

pub struct Macro {
    pub name: Symbol,
    ellipsis: Symbol,
    literals: Vec<Symbol>,
    rules: Vec<(Syntax, Syntax)>,
    /// How many compile-time scope frames were visible where the macro was defined.
    pub scope_len: usize,
}

#[derive(Clone)]
enum Match {
    One(Syntax),
    Many(Vec<Match>),
}

type Bindings = HashMap<Symbol, Match>;

fn err(message: impl Into<String>, span: Span) -> CompileError {
    CompileError {
        message: message.into(),
        span,
    }
}

impl Macro {
    /// Parse `(syntax-rules (literal ...) (pattern template) ...)`, optionally with a
    /// custom ellipsis: `(syntax-rules ::: (literal ...) ...)`.
    pub fn parse(name: Symbol, spec: &Syntax, scope_len: usize) -> Result<Macro, CompileError> {
        let items = spec
            .as_list()
            .ok_or_else(|| err("syntax-rules: expected a list", spec.span))?;
        let mut rest = items.get(1..).unwrap_or(&[]);
        let mut ellipsis = Symbol::intern("...");
        if let Some(id) = rest.first().and_then(Syntax::as_ident) {
            ellipsis = id.name;
            rest = &rest[1..];
        }
        let Some((lits, rules)) = rest.split_first() else {
            return Err(err("syntax-rules: expected a list of literals", spec.span));
        };
        let literals = lits
            .as_list()
            .ok_or_else(|| err("syntax-rules: expected a list of literals", lits.span))?
            .iter()
            .map(|l| {
                l.as_ident()
                    .map(|i| i.name)
                    .ok_or_else(|| err("syntax-rules: literals must be identifiers", l.span))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rules = rules
            .iter()
            .map(|rule| match rule.as_list() {
                Some([pattern, template]) => Ok((pattern.clone(), template.clone())),
                _ => Err(err(
                    "syntax-rules: each rule must be (pattern template)",
                    rule.span,
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Macro {
            name,
            ellipsis,
            literals,
            rules,
            scope_len,
        })
    }

    /// Expand one use of the macro; `rename` gives template identifiers their new marks.
    /// Expand `form` by the first rule that matches. `work` counts the forms
    /// transcribed so far in the top-level form being compiled: expansion
    /// stops with an error past [`MAX_EXPANSION_WORK`], so a macro whose
    /// output grows at every step cannot run for ever.
    pub fn expand(
        &self,
        form: &Syntax,
        rename: &mut dyn FnMut(Ident) -> Ident,
        work: &mut usize,
    ) -> Result<Syntax, CompileError> {
        for (pattern, template) in &self.rules {
            let mut b = Bindings::new();
            // The keyword position matches anything.
            if self.match_form(pattern, form, &mut b, true) {
                let mut t = Transcriber {
                    ellipsis: self.ellipsis,
                    span: form.span,
                    rename,
                    work,
                    name: self.name,
                };
                return t.transcribe(template, &b, true);
            }
        }
        Err(err(
            format!("{}: no syntax-rules pattern matches this use", self.name),
            form.span,
        ))
    }

    fn is_ellipsis(&self, s: &Syntax) -> bool {
        matches!(s.as_ident(), Some(id) if id.name == self.ellipsis)
    }

    fn match_form(&self, pat: &Syntax, form: &Syntax, b: &mut Bindings, top: bool) -> bool {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            self.match_inner(pat, form, b, top)
        })
    }

    fn match_inner(&self, pat: &Syntax, form: &Syntax, b: &mut Bindings, top: bool) -> bool {
        match &pat.kind {
            SynKind::Id(id) => {
                let name = id.name;
                if name.name() == "_" {
                    true
                } else if self.literals.contains(&name) {
                    matches!(form.as_ident(), Some(f) if f.name == name)
                } else {
                    b.insert(name, Match::One(form.clone()));
                    true
                }
            }
            SynKind::List(pitems, ptail) => {
                let (fitems, ftail): (&[Syntax], Option<&Syntax>) = match &form.kind {
                    SynKind::List(items, tail) => (items, tail.as_deref()),
                    _ => return false,
                };
                let (pitems, fitems) = if top {
                    // Skip the macro keyword on both sides.
                    (
                        pitems.get(1..).unwrap_or(&[]),
                        fitems.get(1..).unwrap_or(&[]),
                    )
                } else {
                    (&pitems[..], fitems)
                };
                self.match_seq(pitems, ptail.as_deref(), fitems, ftail, form.span, b)
            }
            SynKind::Vector(pitems) => match &form.kind {
                SynKind::Vector(fitems) => self.match_seq(pitems, None, fitems, None, form.span, b),
                _ => false,
            },
            SynKind::Atom(v) => {
                matches!(&form.kind, SynKind::Atom(w) if crate::values::equality::equal(v, w))
            }
            SynKind::Bytes(_) | SynKind::Map(_) => false,
        }
    }

    fn match_seq(
        &self,
        pitems: &[Syntax],
        ptail: Option<&Syntax>,
        fitems: &[Syntax],
        ftail: Option<&Syntax>,
        span: Span,
        b: &mut Bindings,
    ) -> bool {
        let ell = pitems
            .iter()
            .enumerate()
            .position(|(i, _)| pitems.get(i + 1).is_some_and(|p| self.is_ellipsis(p)));
        match ell {
            None => {
                if ptail.is_none() && (fitems.len() != pitems.len() || ftail.is_some()) {
                    return false;
                }
                if fitems.len() < pitems.len() {
                    return false;
                }
                for (p, f) in pitems.iter().zip(fitems) {
                    if !self.match_form(p, f, b, false) {
                        return false;
                    }
                }
                match ptail {
                    Some(tail) => {
                        let rest = rest_syntax(&fitems[pitems.len()..], ftail, span);
                        self.match_form(tail, &rest, b, false)
                    }
                    None => true,
                }
            }
            Some(i) => {
                let before = &pitems[..i];
                let repeated = &pitems[i];
                let after = &pitems[i + 2..];
                let min = before.len() + after.len();
                if fitems.len() < min || (ptail.is_none() && ftail.is_some()) {
                    return false;
                }
                let n = fitems.len() - min;
                for (p, f) in before.iter().zip(fitems) {
                    if !self.match_form(p, f, b, false) {
                        return false;
                    }
                }
                let mut matches = Vec::with_capacity(n);
                for f in &fitems[before.len()..before.len() + n] {
                    let mut sub = Bindings::new();
                    if !self.match_form(repeated, f, &mut sub, false) {
                        return false;
                    }
                    matches.push(sub);
                }
                for var in self.pattern_vars(repeated) {
                    let seq = matches
                        .iter_mut()
                        .map(|m| m.remove(&var).unwrap_or(Match::Many(Vec::new())))
                        .collect();
                    b.insert(var, Match::Many(seq));
                }
                for (p, f) in after.iter().zip(&fitems[before.len() + n..]) {
                    if !self.match_form(p, f, b, false) {
                        return false;
                    }
                }
                match ptail {
                    Some(tail) => {
                        let rest = rest_syntax(&[], ftail, span);
                        self.match_form(tail, &rest, b, false)
                    }
                    None => true,
                }
            }
        }
    }

    fn pattern_vars(&self, pat: &Syntax) -> Vec<Symbol> {
        let mut out = Vec::new();
        self.collect_vars(pat, &mut out);
        out
    }

    fn collect_vars(&self, pat: &Syntax, out: &mut Vec<Symbol>) {
        match &pat.kind {
            SynKind::Id(id)
                if id.name != self.ellipsis
                    && id.name.name() != "_"
                    && !self.literals.contains(&id.name) =>
            {
                out.push(id.name);
            }
            SynKind::List(items, tail) => {
                for i in items.iter() {
                    self.collect_vars(i, out);
                }
                if let Some(t) = tail {
                    self.collect_vars(t, out);
                }
            }
            SynKind::Vector(items) => {
                for i in items.iter() {
                    self.collect_vars(i, out);
                }
            }
            _ => {}
        }
    }
}

/// The remainder of a matched list as syntax of its own.
fn rest_syntax(items: &[Syntax], tail: Option<&Syntax>, span: Span) -> Syntax {
    if items.is_empty() {
        if let Some(t) = tail {
            return t.clone();
        }
    }
    Syntax::new(
        SynKind::List(items.into(), tail.map(|t| Rc::new(t.clone()))),
        span,
    )
}

/// The most forms macro expansion may transcribe while one top-level form
/// is compiled: far beyond any real program's expansions, and reached in
/// well under a second by one that doubles its output at every step.
pub const MAX_EXPANSION_WORK: usize = 1_000_000;

struct Transcriber<'r> {
    ellipsis: Symbol,
    span: Span,
    rename: &'r mut dyn FnMut(Ident) -> Ident,
    work: &'r mut usize,
    /// The macro, for the error when `work` runs out.
    name: Symbol,
}

impl Transcriber<'_> {
    fn is_ellipsis(&self, s: &Syntax, enabled: bool) -> bool {
        enabled && matches!(s.as_ident(), Some(id) if id.name == self.ellipsis)
    }

    fn transcribe(&mut self, t: &Syntax, b: &Bindings, ell: bool) -> Result<Syntax, CompileError> {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || self.transcribe_inner(t, b, ell))
    }

    fn transcribe_inner(
        &mut self,
        t: &Syntax,
        b: &Bindings,
        ell: bool,
    ) -> Result<Syntax, CompileError> {
        *self.work += 1;
        if *self.work > MAX_EXPANSION_WORK {
            return Err(err(
                format!(
                    "{}: macro expansion made more than {MAX_EXPANSION_WORK} forms in one top-level form (does its output grow at every step?)",
                    self.name
                ),
                self.span,
            ));
        }
        match &t.kind {
            SynKind::Id(id) => match b.get(&id.name) {
                Some(Match::One(s)) => Ok(s.clone()),
                Some(Match::Many(_)) => Err(err(
                    format!("pattern variable `{}` is used without an ellipsis", id.name),
                    t.span,
                )),
                None => Ok(Syntax::new(SynKind::Id((self.rename)(*id)), self.span)),
            },
            SynKind::List(items, tail) => {
                // (... template) escapes the ellipsis.
                if let [head, inner] = &items[..] {
                    if tail.is_none() && self.is_ellipsis(head, ell) {
                        return self.transcribe(inner, b, false);
                    }
                }
                let out = self.transcribe_seq(items, b, ell)?;
                let tail = match tail {
                    Some(t) => Some(Rc::new(self.transcribe(t, b, ell)?)),
                    None => None,
                };
                // A dotted tail that turned into a list splices into the result.
                if let Some(t) = &tail {
                    if let SynKind::List(more, more_tail) = &t.kind {
                        let mut all = out;
                        all.extend(more.iter().cloned());
                        return Ok(Syntax::new(
                            SynKind::List(all.into(), more_tail.clone()),
                            self.span,
                        ));
                    }
                }
                Ok(Syntax::new(SynKind::List(out.into(), tail), self.span))
            }
            SynKind::Vector(items) => {
                let out = self.transcribe_seq(items, b, ell)?;
                Ok(Syntax::new(SynKind::Vector(out.into()), self.span))
            }
            SynKind::Map(items) => {
                let out = self.transcribe_seq(items, b, ell)?;
                Ok(Syntax::new(SynKind::Map(out.into()), self.span))
            }
            _ => Ok(t.clone()),
        }
    }

    fn transcribe_seq(
        &mut self,
        items: &[Syntax],
        b: &Bindings,
        ell: bool,
    ) -> Result<Vec<Syntax>, CompileError> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            let mut depth = 0;
            while items
                .get(i + 1 + depth)
                .is_some_and(|s| self.is_ellipsis(s, ell))
            {
                depth += 1;
            }
            if depth == 0 {
                out.push(self.transcribe(item, b, ell)?);
            } else {
                let mut results = vec![];
                self.expand_ellipsis(item, b, depth, ell, &mut results)?;
                out.extend(results);
            }
            i += 1 + depth;
        }
        Ok(out)
    }

    fn expand_ellipsis(
        &mut self,
        item: &Syntax,
        b: &Bindings,
        depth: usize,
        ell: bool,
        out: &mut Vec<Syntax>,
    ) -> Result<(), CompileError> {
        let mut vars = Vec::new();
        template_vars(item, b, &mut vars);
        let seqs: Vec<(Symbol, &Vec<Match>)> = vars
            .iter()
            .filter_map(|v| match b.get(v) {
                Some(Match::Many(seq)) => Some((*v, seq)),
                _ => None,
            })
            .collect();
        if seqs.is_empty() {
            return Err(err(
                "ellipsis follows a template with no pattern variable to repeat",
                item.span,
            ));
        }
        let len = seqs[0].1.len();
        if seqs.iter().any(|(_, s)| s.len() != len) {
            return Err(err(
                "pattern variables under one ellipsis matched different lengths",
                item.span,
            ));
        }
        // One copy of the bindings, its sequences rebound at each step:
        // copying them per step made an ellipsis quadratic in its length.
        let mut inner = b.clone();
        for k in 0..len {
            for (var, seq) in &seqs {
                inner.insert(*var, seq[k].clone());
            }
            if depth > 1 {
                self.expand_ellipsis(item, &inner, depth - 1, ell, out)?;
            } else {
                out.push(self.transcribe(item, &inner, ell)?);
            }
        }
        Ok(())
    }
}

fn template_vars(t: &Syntax, b: &Bindings, out: &mut Vec<Symbol>) {
    match &t.kind {
        SynKind::Id(id) if b.contains_key(&id.name) && !out.contains(&id.name) => {
            out.push(id.name);
        }
        SynKind::List(items, tail) => {
            for i in items.iter() {
                template_vars(i, b, out);
            }
            if let Some(t) = tail {
                template_vars(t, b, out);
            }
        }
        SynKind::Vector(items) | SynKind::Map(items) => {
            for i in items.iter() {
                template_vars(i, b, out);
            }
        }
        _ => {}
    }
}
