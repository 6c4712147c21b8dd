//! The analysed tree the compiler produces and `codegen` turns into bytecode.
//!
//! Variables are resolved once: a local is `(depth, index)` into the chain of
//! runtime frames, a global is an index into the engine's global table.

use std::rc::Rc;

use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

use crate::values::symbol::GlobalId;

#[derive(Clone)]
pub enum Node {
    Const(Val),
    /// A parameter or `let` variable: always assigned.
    Local(u32, u32),
    /// A `letrec` or internal-definition variable, which may be read before
    /// its definition ran: checked, and the error names it.
    LocalChecked(Rc<(u32, u32, Symbol, Span)>),
    /// A procedure of a `letrec` group of lambdas, materialised on reference.
    FixRef(u32, u32),
    Global(GlobalId, Span),
    /// `set!` of a local: address, value, and the target's span.
    SetLocal(Rc<(u32, u32, Node, Span)>),
    /// The initialisation of an internal definition's variable.
    DefineLocal(Rc<(u32, u32, Node)>),
    SetGlobal(Rc<(GlobalId, Node, Span)>),
    DefineGlobal(Rc<(GlobalId, Node)>),
    If(Rc<(Node, Node, Node)>),
    Lambda(Rc<Lambda>),
    Seq(Rc<[Node]>),
    And(Rc<[Node]>),
    Or(Rc<[Node]>),
    Call(Rc<Call>),
    /// Evaluate the inits in the current environment, then run the body in a new frame.
    Let(Rc<Let>),
    /// A new frame whose slots start unassigned; inits run inside it, in order.
    Letrec(Rc<Letrec>),
    /// A frame holding a group of mutually recursive lambdas, then the body.
    Fix(Rc<Fix>),
    /// `(let name ((var init) ...) body)`.
    NamedLet(Rc<NamedLet>),
    Guard(Rc<Guard>),
}

pub struct Call {
    pub op: Node,
    pub args: Box<[Node]>,
    pub span: Span,
}

pub struct Lambda {
    pub name: Option<Symbol>,
    pub required: usize,
    pub rest: bool,
    /// The parameters' names (the rest parameter last), for messages.
    pub params: Box<[Symbol]>,
    /// Parameters plus the body's internal variable definitions.
    pub frame_size: usize,
    /// Which of those slots hold boxed variables (see `ScopeFrame::boxed`).
    pub boxed: Box<[bool]>,
    pub span: Span,
    pub body: Node,
    /// `case-lambda`: the clause to try when the arity does not match.
    pub next_case: Option<Rc<Lambda>>,
    /// The body of a named `let` (or `do`): its iterations belong to the
    /// enclosing procedure's activation in error reports.
    pub is_loop: bool,
}

pub struct Let {
    pub inits: Box<[Node]>,
    /// The inits' variables, then the body's internal definitions.
    pub frame_size: usize,
    pub boxed: Box<[bool]>,
    pub body: Node,
}

pub struct Letrec {
    pub inits: Box<[Node]>,
    pub frame_size: usize,
    pub boxed: Box<[bool]>,
    pub body: Node,
}

pub struct Fix {
    pub group: Rc<[Rc<Lambda>]>,
    pub body: Node,
}

/// The loop procedure is made once per entry; `call.args` are the inits
/// (`call.op` is unused).
pub struct NamedLet {
    pub lambda: Rc<Lambda>,
    pub call: Rc<Call>,
}

/// `(guard (var clause ...) body ...)`: the handler is a one-argument lambda
/// holding the clauses, which re-raises when none matches.
pub struct Guard {
    pub body: Node,
    pub handler: Rc<Lambda>,
}
