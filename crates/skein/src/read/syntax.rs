//! Syntax objects: source data with spans, and identifiers that macro expansion can rename.

use std::rc::Rc;

use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// An identifier: a symbol plus the mark of the macro expansion that introduced it
/// (0 for identifiers written by the user). Two identifiers denote the same
/// binding only if both parts are equal, which is what makes expansion hygienic.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Ident {
    pub name: Symbol,
    pub mark: u32,
}

impl Ident {
    pub fn user(name: Symbol) -> Ident {
        Ident { name, mark: 0 }
    }
}

#[derive(Clone)]
pub struct Syntax {
    pub kind: SynKind,
    pub span: Span,
}

#[derive(Clone)]
pub enum SynKind {
    /// Self-evaluating data: numbers, strings, chars, booleans, keywords.
    Atom(Val),
    Id(Ident),
    /// A list; the tail is `Some` for a dotted list.
    List(Rc<[Syntax]>, Option<Rc<Syntax>>),
    Vector(Rc<[Syntax]>),
    Bytes(Rc<crate::values::heap::Counted<Vec<u8>>>),
    /// `{k v ...}`: keys and values are evaluated, like `hash-map`.
    Map(Rc<[Syntax]>),
}

/// Syntax nests as deep as the reader allows (and `eval` of deep data builds
/// deeper still); the derived drop would recurse once per level and overflow
/// a small thread stack. Uniquely owned children are taken apart here instead.
impl Drop for Syntax {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut kind) = pending.pop() {
            take_children(&mut kind, &mut pending);
        }
    }
}

/// Move the nested kinds of `kind` that nothing else shares into `pending`,
/// leaving atoms behind, so dropping `kind` itself recurses no further.
fn take_children(kind: &mut SynKind, pending: &mut Vec<SynKind>) {
    let mut take = |syn: &mut Syntax| {
        if matches!(
            syn.kind,
            SynKind::List(..) | SynKind::Vector(_) | SynKind::Map(_)
        ) {
            pending.push(std::mem::replace(&mut syn.kind, SynKind::Atom(Val::Null)));
        }
    };
    match kind {
        SynKind::List(items, tail) => {
            if let Some(items) = Rc::get_mut(items) {
                items.iter_mut().for_each(&mut take);
            }
            if let Some(tail) = tail.as_mut().and_then(Rc::get_mut) {
                take(tail);
            }
        }
        SynKind::Vector(items) | SynKind::Map(items) => {
            if let Some(items) = Rc::get_mut(items) {
                items.iter_mut().for_each(&mut take);
            }
        }
        SynKind::Atom(_) | SynKind::Id(_) | SynKind::Bytes(_) => {}
    }
}

impl Syntax {
    pub fn new(kind: SynKind, span: Span) -> Syntax {
        Syntax { kind, span }
    }

    pub fn list(items: Vec<Syntax>, span: Span) -> Syntax {
        Syntax::new(SynKind::List(items.into(), None), span)
    }

    pub fn ident(name: &str, span: Span) -> Syntax {
        Syntax::new(SynKind::Id(Ident::user(Symbol::intern(name))), span)
    }

    pub fn atom(v: Val, span: Span) -> Syntax {
        Syntax::new(SynKind::Atom(v), span)
    }

    pub fn as_ident(&self) -> Option<Ident> {
        match &self.kind {
            SynKind::Id(id) => Some(*id),
            _ => None,
        }
    }

    /// The items of a proper list.
    pub fn as_list(&self) -> Option<&[Syntax]> {
        match &self.kind {
            SynKind::List(items, None) => Some(items),
            _ => None,
        }
    }

    /// Strip spans and marks: the datum `quote` produces.
    pub fn to_datum(&self) -> Val {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || match &self.kind {
            SynKind::Atom(v) => v.clone(),
            SynKind::Id(id) => Val::Sym(id.name),
            SynKind::List(items, tail) => {
                let tail = tail.as_ref().map_or(Val::Null, |t| t.to_datum());
                Val::list_with_tail(items.iter().map(Syntax::to_datum), tail)
            }
            SynKind::Vector(items) => Val::vector(items.iter().map(Syntax::to_datum).collect()),
            SynKind::Bytes(b) => Val::Bytes(b.clone()),
            SynKind::Map(items) => {
                let mut m = crate::values::value::MapImpl::default();
                for kv in items.chunks(2) {
                    if let [k, v] = kv {
                        m.insert(k.to_datum(), v.to_datum());
                    }
                }
                Val::map(m)
            }
        })
    }

    /// Turn a runtime datum into syntax (for `eval`), every piece at `span`.
    pub fn from_datum(v: &Val, span: Span) -> Syntax {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            let kind = match v {
                Val::Sym(s) => SynKind::Id(Ident::user(*s)),
                Val::Null => SynKind::List(Rc::from(Vec::new()), None),
                Val::Pair(_) => {
                    let (items, tail) = v.list_parts();
                    SynKind::List(
                        items.iter().map(|i| Syntax::from_datum(i, span)).collect(),
                        tail.map(|t| Rc::new(Syntax::from_datum(&t, span))),
                    )
                }
                Val::Vector(items) => {
                    SynKind::Vector(items.iter().map(|i| Syntax::from_datum(i, span)).collect())
                }
                other => SynKind::Atom(other.clone()),
            };
            Syntax::new(kind, span)
        })
    }
}
