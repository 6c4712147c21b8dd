//! Primitive procedures as values: what a primitive is, the machine
//! operations a control primitive names, and the little of the machine an
//! effect primitive may touch. Kept apart from the machine so values need
//! nothing above them but the frames a continuation holds.

use crate::values::value::{error, Val};

/// A primitive procedure implemented in Rust.
pub struct Prim {
    pub name: &'static str,
    pub min_args: usize,
    /// `None` for variadic.
    pub max_args: Option<usize>,
    pub kind: PrimKind,
}

pub type PrimResult = Result<Val, Val>;

pub enum PrimKind {
    /// No side effects and no engine access: may be evaluated eagerly and re-evaluated.
    Pure(fn(&[Val]) -> PrimResult),
    /// Needs the engine (output, flows, globals) but never calls back into Scheme.
    Effect(fn(&mut dyn Effects, &[Val]) -> PrimResult),
    /// Manipulates the continuation (apply, call/cc, dynamic-wind, ...).
    Control(ControlOp),
}

/// A procedure the embedding program registered.
pub struct HostFn {
    pub name: String,
    /// The host's function behind the API's conversions: plain data in, a
    /// value or a raised error object out.
    #[allow(clippy::type_complexity)]
    pub func: Box<dyn Fn(&[Val]) -> Result<Val, Val> + Send>,
}

/// What an effect primitive may ask of the engine running it.
pub trait Effects {
    /// Write program output (suppressed while a flow replays).
    fn write_output(&mut self, text: &str);
    /// Write to the error stream (`current-error-port`), also suppressed while a flow replays.
    fn write_error(&mut self, text: &str);
    fn flush_output(&mut self);
    /// Whether the host granted `cap` (a flow may use none: see
    /// [`crate::values::capability::refuse_unless`]).
    fn granted(&self, cap: crate::values::capability::Capability) -> bool;
    /// The flow whose code is running, if any: nondeterministic primitives refuse to run in one.
    fn running_flow(&self) -> Option<u64>;
    /// Register source text (for `read`), so errors in it have a place.
    fn add_source(&mut self, name: &str, text: &str) -> u32;
}

/// Primitives the machine implements because they manipulate the continuation.
#[derive(Clone, Copy, Debug)]
pub enum ControlOp {
    Apply,
    CallCC,
    Values,
    CallWithValues,
    DynamicWind,
    WithExceptionHandler,
    Raise,
    RaiseContinuable,
    Error,
    MakeParameter,
    Parameterize,
    Force,
    Eval,
    Exit,
    /// `emergency-exit`: exit without running `dynamic-wind` after-thunks.
    EmergencyExit,
    Load,
    FlowStart,
    FlowResume,
    FlowFail,
    Request,
    Flow(FlowQuery),
}

/// Flow operations that need the engine but never run Scheme code.
#[derive(Clone, Copy, Debug)]
pub enum FlowQuery {
    Status,
    Result,
    Waiting,
    Log,
    List,
    HostRequests,
    Cancel,
    Reset,
    Export,
    Import,
}

pub fn arity_error(name: &str, min: usize, max: Option<usize>, got: usize) -> Val {
    error(arity_message(name, &expected_count(min, max), got), vec![])
}

/// What a procedure takes, as arity errors say it: `2`, `1 to 3`, `at least 1`.
pub fn expected_count(min: usize, max: Option<usize>) -> String {
    match max {
        Some(max) if max == min => format!("{min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    }
}

/// `NAME: expected EXPECTED argument(s), got GOT`, for the runtime and `skein check`.
pub fn arity_message(name: &str, expected: &str, got: usize) -> String {
    let plural = if matches!(expected, "1" | "at least 1") {
        ""
    } else {
        "s"
    };
    format!("{name}: expected {expected} argument{plural}, got {got}")
}

/// Primitives common enough in loops to get an instruction with a fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inline {
    Add,
    Sub,
    Mul,
    NumEq,
    Lt,
    Gt,
    Le,
    Ge,
    Car,
    Cdr,
    Cons,
    NullP,
    PairP,
    Not,
    EqP,
    ZeroP,
    EvenP,
    OddP,
    VectorRef,
}

impl Inline {
    pub const COUNT: usize = 19;
    pub const ALL: [(Inline, &'static str, usize); Inline::COUNT] = [
        (Inline::Add, "+", 2),
        (Inline::Sub, "-", 2),
        (Inline::Mul, "*", 2),
        (Inline::NumEq, "=", 2),
        (Inline::Lt, "<", 2),
        (Inline::Gt, ">", 2),
        (Inline::Le, "<=", 2),
        (Inline::Ge, ">=", 2),
        (Inline::Car, "car", 1),
        (Inline::Cdr, "cdr", 1),
        (Inline::Cons, "cons", 2),
        (Inline::NullP, "null?", 1),
        (Inline::PairP, "pair?", 1),
        (Inline::Not, "not", 1),
        (Inline::EqP, "eq?", 2),
        (Inline::ZeroP, "zero?", 1),
        (Inline::EvenP, "even?", 1),
        (Inline::OddP, "odd?", 1),
        (Inline::VectorRef, "vector-ref", 2),
    ];

    pub fn name(self) -> &'static str {
        Inline::ALL[self as usize].1
    }

    /// The instruction for a call of global `name` with `argc` arguments, if any.
    pub fn of(name: &str, argc: usize) -> Option<Inline> {
        Inline::ALL
            .iter()
            .find(|(_, n, a)| *n == name && *a == argc)
            .map(|(op, _, _)| *op)
    }

    pub fn argc(self) -> usize {
        Inline::ALL[self as usize].2
    }

    /// `+ - * = < > <= >=`: on two fixnums, a fixnum or a boolean.
    pub fn on_fixnums(self) -> bool {
        matches!(
            self,
            Inline::Add
                | Inline::Sub
                | Inline::Mul
                | Inline::NumEq
                | Inline::Lt
                | Inline::Gt
                | Inline::Le
                | Inline::Ge
        )
    }

    /// Comparisons and predicates: their result is a boolean to branch on.
    pub fn is_test(self) -> bool {
        !matches!(
            self,
            Inline::Add
                | Inline::Sub
                | Inline::Mul
                | Inline::Car
                | Inline::Cdr
                | Inline::Cons
                | Inline::VectorRef
        )
    }
}
