//! Compiled procedures: the instructions the machine runs, and closures.
//!
//! Each lambda compiles to a [`Proto`]: a flat instruction array over a
//! window of the machine's value stack. Its parameters and `let` variables
//! are slots in that window; variables of enclosing procedures are copied
//! into the closure when it is made ("free" variables). A variable that is
//! ever assigned lives in a [`VarBox`] so every copy shares it.

use std::cell::RefCell;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::source::Span;
use crate::values::heap;
use crate::values::prim::Inline;
use crate::values::symbol::GlobalId;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// One instruction. Operands are slot indices (into the procedure's window),
/// free-variable indices, constant indices, global ids or jump targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Const(u32),
    Local(u16),
    /// A slot that may be read before its definition ran; the name for the error.
    LocalChecked(u16, u16),
    LocalBox(u16),
    LocalBoxChecked(u16, u16),
    Free(u16),
    FreeBox(u16),
    FreeBoxChecked(u16, u16),
    Global(GlobalId),
    /// Pop into a slot (initialising a variable, not `set!`).
    InitLocal(u16),
    /// Pop into the box in a slot.
    InitBox(u16),
    /// Replace a slot's value with a box holding it.
    BoxLocal(u16),
    /// A fresh box, unassigned, in a slot.
    NewBox(u16),
    /// Mark a slot unassigned (a `letrec` slot reused by a later scope).
    Clear(u16),
    /// `set!`: pop into the variable, push nothing.
    SetLocalBox(u16),
    SetFreeBox(u16),
    SetGlobal(GlobalId),
    DefineGlobal(GlobalId),
    Pop,
    Jump(u32),
    /// The next iteration of an inlined loop: pop `n` values into the slots
    /// from `first`, jump back to `head`. Counts as a step, like a call.
    Loop {
        head: u32,
        first: u16,
        n: u8,
    },
    /// Pop; jump if false.
    JumpIfFalse(u32),
    /// `and`: if the top is false, jump keeping it; else pop it.
    AndJump(u32),
    /// `or`: if the top is true, jump keeping it; else pop it.
    OrJump(u32),
    /// Make a closure of `protos[i]`, capturing as its `captures` say.
    Closure(u16),
    /// Make a fix group `groups[i]` and push the closure of its first member.
    Group(u16),
    /// Pop a group's first-member closure; push the closure of member `j`.
    GroupMember(u16),
    /// Inside a group member: push the closure of member `j` of the same group.
    Sibling(u16),
    /// Call the procedure below `argc` arguments.
    Call(u16),
    TailCall(u16),
    /// Call the procedure in a global with `argc` arguments.
    CallGlobal(GlobalId, u16),
    TailCallGlobal(GlobalId, u16),
    /// Call the procedure in a slot, or a free variable, with `argc`
    /// arguments (the variable is never assigned, so reading it after the
    /// arguments is reading it before them).
    CallLocal(u16, u16),
    TailCallLocal(u16, u16),
    CallFree(u16, u16),
    TailCallFree(u16, u16),
    /// Inside a group member: call member `j` (no closure is made) with `argc` arguments.
    CallSibling(u16, u16),
    TailCallSibling(u16, u16),
    Return,
    /// A call of a common primitive through its global, on operands that are
    /// slots, constants or stack values: done in place while the global holds
    /// the primitive, else an ordinary call of whatever it holds.
    Inline(Inline, Operands),
    /// An `Inline` followed by `Return` (a one-expression procedure such as
    /// `(lambda (x) (+ x k))`): on the fast path it returns too, skipping
    /// the `Return`, which is left in place for the general case.
    InlineReturn(Inline, Operands),
    /// An `Inline` test whose result the `JumpIfFalse` after it consumes: on
    /// the fast path it branches directly.
    Test(Inline, Operands),
    /// An `Inline` (or `Test`) test followed by a `not` of its result: the
    /// fast path negates it and skips the `not`; the general case leaves the
    /// `not` to run (as it runs when a jump reaches it).
    InlineNot(Inline, Operands),
    TestNot(Inline, Operands),
    /// A `Test` of `null?` or `pair?` on a slot, the commonest tests.
    TestLocal(Inline, u16),
    /// Arithmetic and comparisons (`Inline::on_fixnums`) of a slot and a
    /// fixnum constant `k`, the commonest operands (`(- n 1)`, `(< i 10)`):
    /// as `Inline` and `Test`, the constant in the instruction.
    ArithLocalImm(Inline, u16, i32),
    TestLocalImm(Inline, u16, i32),
    /// The same on two slots (`(+ acc x)`); the test may be negated, as `TestNot`.
    ArithLocals(Inline, u16, u16),
    TestLocals(Inline, bool, u16, u16),
    /// `(car x)` and `(cdr x)` of a slot, the commonest inline calls.
    CarLocal(u16),
    CdrLocal(u16),
    /// A `CdrLocal` that the `CarLocal` of the same slot follows, as list
    /// loops do (`(loop (cdr l) ... (car l) ...)`): both values pushed, the
    /// `CarLocal` skipped. Off the fast path it is the `CdrLocal` alone.
    CdrCarLocal(u16),
    /// `(cons x y)`: as `Inline`, with a fast path of its own, since it
    /// always succeeds while `cons` is intact.
    Cons(Operands),
    /// `guard`: pop the body thunk and the handler, run the body under the handler.
    Guard,
}

impl Op {
    /// A call that replaces the running activation.
    pub fn is_tail_call(self) -> bool {
        matches!(
            self,
            Op::TailCall(_)
                | Op::TailCallGlobal(..)
                | Op::TailCallLocal(..)
                | Op::TailCallFree(..)
                | Op::TailCallSibling(..)
        )
    }
}

/// Where an inline instruction finds an operand: a stack value, a slot, a
/// free variable or a constant. Stack operands come first and are the top
/// values, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    Stack,
    Local(u16),
    Free(u16),
    Const(u16),
}

impl Arg {
    /// The largest slot, free variable or constant index an operand can name.
    pub const MAX_INDEX: usize = u16::MAX as usize;
}

/// An inline instruction's operands, packed so the machine finds both with
/// one dispatch on `form`: bits 0-1 say where the first is and bits 2-3
/// where the second is (one of the `Operands` kinds); bit 4 is set when
/// there is only one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operands {
    pub form: u8,
    pub x: u16,
    pub y: u16,
}

impl Operands {
    pub const STACK: u8 = 0;
    pub const LOCAL: u8 = 1;
    pub const FREE: u8 = 2;
    pub const CONST: u8 = 3;
    pub const UNARY: u8 = 0x10;

    pub fn new(args: &[Arg]) -> Operands {
        let part = |a: Option<&Arg>| match a {
            Some(Arg::Local(i)) => (Operands::LOCAL, *i),
            Some(Arg::Free(i)) => (Operands::FREE, *i),
            Some(Arg::Const(i)) => (Operands::CONST, *i),
            Some(Arg::Stack) | None => (Operands::STACK, 0),
        };
        let (kx, x) = part(args.first());
        let (ky, y) = part(args.get(1));
        let unary = if args.len() == 1 { Operands::UNARY } else { 0 };
        Operands {
            form: kx | ky << 2 | unary,
            x,
            y,
        }
    }

    pub fn unary(self) -> bool {
        self.form & Operands::UNARY != 0
    }

    /// Only the operand of a `not`: the one on top of the stack.
    pub fn is_top(self) -> bool {
        self.form == Operands::UNARY | Operands::STACK
    }

    /// Where the first and the second operand are.
    #[inline(always)]
    pub fn kinds(self) -> (u8, u8) {
        (self.form & 3, (self.form >> 2) & 3)
    }

    /// How many operands are on the stack.
    #[inline(always)]
    pub fn stacked(self) -> usize {
        let (kx, ky) = self.kinds();
        usize::from(kx == Operands::STACK) + usize::from(!self.unary() && ky == Operands::STACK)
    }
}

/// Where a closure's free variable comes from, in the procedure making it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// A slot (the box itself, for a boxed variable).
    Local(u16),
    Free(u16),
    /// Inside a group member: the closure of the group's first member.
    OwnGroup,
}

/// A fix group: mutually recursive procedures sharing one set of free
/// variables, so making them creates no reference cycle.
pub struct GroupDef {
    pub members: Rc<[Rc<Proto>]>,
    pub captures: Box<[Capture]>,
}

/// A compiled lambda (or top-level form).
pub struct Proto {
    pub name: Option<Symbol>,
    pub required: usize,
    pub rest: bool,
    /// The parameters' names (the rest parameter last), for messages.
    pub params: Box<[Symbol]>,
    /// Slots in the window: parameters, then `let` and internal variables.
    pub slots: usize,
    pub code: Box<[Op]>,
    /// The span of each instruction, for errors.
    pub spans: Box<[Span]>,
    /// For calls of globals: (instruction, the global's name in the call),
    /// so an unbound name is reported at the name.
    pub name_spans: Box<[(u32, Span)]>,
    pub consts: Box<[Val]>,
    pub protos: Box<[Rc<Proto>]>,
    pub groups: Box<[GroupDef]>,
    /// Names of checked variables, for "used before its definition".
    pub names: Box<[Symbol]>,
    /// How to fill the closure's free variables (empty for group members,
    /// whose captures are the group's).
    pub captures: Box<[Capture]>,
    /// `case-lambda`: the clause to try when the arity does not match.
    pub next_case: Option<Rc<Proto>>,
    /// The body of a named `let`: its iterations belong to the enclosing
    /// procedure's activation in error reports.
    pub is_loop: bool,
}

impl Proto {
    pub fn accepts(&self, n: usize) -> bool {
        n == self.required || (self.rest && n > self.required)
    }

    pub fn span_at(&self, pc: usize) -> Span {
        self.spans.get(pc).copied().unwrap_or_default()
    }

    /// Where the global called by the instruction at `pc` is named.
    pub fn name_span_at(&self, pc: usize) -> Span {
        match self
            .name_spans
            .binary_search_by_key(&(pc as u32), |(at, _)| *at)
        {
            Ok(i) => self.name_spans[i].1,
            Err(_) => self.span_at(pc),
        }
    }
}

/// Free variables of a closure, inline when there are few.
pub type Free = SmallVec<[Val; 2]>;

pub struct Closure {
    pub proto: Rc<Proto>,
    pub free: Free,
    /// For a fix group member: every member, so siblings can be called.
    pub group: Option<Rc<[Rc<Proto>]>>,
    /// Only [`Closure::new`] makes one: its bytes are charged to the heap budget.
    _charged: (),
}

impl Closure {
    /// A closure, charged to the heap budget.
    #[inline]
    pub fn new(proto: Rc<Proto>, free: Free, group: Option<Rc<[Rc<Proto>]>>) -> Closure {
        heap::charge(closure_bytes(&free));
        Closure {
            proto,
            free,
            group,
            _charged: (),
        }
    }

    /// Move the free variables out, returning their bytes to the budget.
    pub fn take_free(&mut self) -> Free {
        let free = std::mem::take(&mut self.free);
        heap::credit(closure_bytes(&free) - closure_bytes(&self.free));
        free
    }

    pub fn name(&self) -> Option<Symbol> {
        self.proto.name
    }
}

/// An assigned variable: shared by every closure and continuation that holds it.
pub struct VarBox {
    pub value: RefCell<Val>,
    /// Made while a flow was running: a flow may assign only such variables.
    pub in_flow: bool,
    /// Only [`VarBox::new`] makes one: its bytes are charged to the heap budget.
    _charged: (),
}

/// Heap bytes a closure with free variables `free` costs.
#[inline]
fn closure_bytes(free: &Free) -> usize {
    let spilled = if free.spilled() { free.capacity() } else { 0 };
    heap::rc_bytes::<Closure>() + spilled * std::mem::size_of::<Val>()
}

/// Closures over closures nest arbitrarily deep: dropping one must not recurse.
impl Drop for Closure {
    fn drop(&mut self) {
        heap::credit(closure_bytes(&self.free));
        if self.free.iter().any(crate::values::value::owns_structure) {
            crate::values::value::dismantle(std::mem::take(&mut self.free).into_vec());
        }
    }
}

/// Procedures nest as deep as their source: dropping the outermost must not
/// recurse once per level, so the nested prototypes it owns alone are
/// unlinked and dropped from a work list.
impl Drop for Proto {
    fn drop(&mut self) {
        let mut work: Vec<Rc<Proto>> = Vec::new();
        take_nested(self, &mut work);
        while let Some(proto) = work.pop() {
            if let Ok(mut proto) = Rc::try_unwrap(proto) {
                take_nested(&mut proto, &mut work);
            }
        }
    }
}

/// Move the prototypes `proto` owns into `work`, leaving it none to drop.
fn take_nested(proto: &mut Proto, work: &mut Vec<Rc<Proto>>) {
    work.extend(std::mem::take(&mut proto.protos).into_vec());
    work.extend(proto.next_case.take());
    for group in std::mem::take(&mut proto.groups).into_vec() {
        // The last holder of a group hands its members over before it goes.
        if Rc::strong_count(&group.members) == 1 {
            work.extend(group.members.iter().cloned());
        }
    }
}

impl VarBox {
    /// A box holding `value`, charged to the heap budget.
    pub fn new(value: Val, in_flow: bool) -> VarBox {
        heap::charge(heap::rc_bytes::<VarBox>());
        VarBox {
            value: RefCell::new(value),
            in_flow,
            _charged: (),
        }
    }
}

impl Drop for VarBox {
    fn drop(&mut self) {
        heap::credit(heap::rc_bytes::<VarBox>());
        let v = self.value.get_mut();
        if crate::values::value::owns_structure(v) {
            crate::values::value::dismantle(vec![std::mem::replace(v, Val::Null)]);
        }
    }
}

#[cfg(test)]
mod tests {
    /// Instructions stay one word: the loop fetches one per step.
    #[test]
    fn an_instruction_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<super::Op>(), 8);
    }
}
