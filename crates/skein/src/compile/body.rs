//! Bodies: internal definitions scanned (expanding macros that may define)
//! and compiled as slots of the body's frame, or as a fix group when every
//! definition is a procedure.

use std::rc::Rc;

use crate::compile::compiler::{assigns, parse_define, Compiler};
use crate::compile::scope::{Binding, Resolved};
use crate::compile::tree::{Fix, Lambda, Node};
use crate::expand::error::{err, CompileError};
use crate::expand::forms::SpecialForm;
use crate::read::syntax::{Ident, Syntax};
use crate::source::Span;
use crate::values::value::Val;

pub(super) enum BodyItem {
    Define(Ident, Syntax, Span),
    Expr(Syntax),
}

impl Compiler<'_> {
    /// Compile a body in the innermost frame: internal definitions become slots
    /// of that frame, or, for procedures, a fix group (no reference cycles).
    pub(super) fn compile_body(
        &mut self,
        forms: &[Syntax],
        span: Span,
    ) -> Result<Node, CompileError> {
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
        let frame = self.scopes.frames.len() - 1;
        for id in &vars {
            self.scopes.frames[frame].add_slot(*id, true);
        }
        let has_fix = !fix.is_empty();
        if has_fix {
            self.scopes.push_frame(
                fix.iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, Binding::Fix(i as u32)))
                    .collect(),
            );
        }
        let result = self.compile_body_items(&items, &fix);
        if has_fix {
            self.scopes.frames.pop();
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

    pub(super) fn compile_body_items(
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
                    match self.scopes.resolve(*id, self.exp) {
                        Resolved::Local(i, Binding::Slot(s, _)) => nodes.push(Node::DefineLocal(
                            Rc::new((self.scopes.depth_of(i), s, value)),
                        )),
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

    pub(super) fn is_lambda(&self, value: &Syntax) -> bool {
        match value.as_list() {
            Some([head, _params, body @ ..]) => !body.is_empty() && self.is_special(head, "lambda"),
            _ => false,
        }
    }

    /// Expand the head of each body form far enough to find definitions.
    pub(super) fn scan_body(&mut self, forms: &[Syntax]) -> Result<Vec<BodyItem>, CompileError> {
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
            match self.scopes.resolve(head, self.exp) {
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
}
