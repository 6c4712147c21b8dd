//! The inline instructions: calls of `+`, `car`, `null?` and the other
//! common primitives, done in place on slots, constants and stack values
//! while their globals hold the primitives.

use crate::bytecode::{Arg, ArgKind, Inline, Op};
use crate::machine::{Act, Callee, Exit, Machine};
use crate::value::{error, release, PrimKind, Val};

/// Where an instruction's operands live: the stack, the activation's
/// window and free variables, and its procedure's constants.
struct Operands<'a> {
    vals: &'a [Val],
    base: usize,
    free: &'a [Val],
    consts: &'a [Val],
}

impl<'a> Operands<'a> {
    /// An operand; a stack operand is at `top`.
    #[inline(always)]
    fn get(&self, arg: Arg, top: usize) -> &'a Val {
        match arg.kind() {
            ArgKind::Stack => &self.vals[top],
            ArgKind::Local(s) => &self.vals[self.base + s],
            ArgKind::Free(i) => &self.free[i],
            ArgKind::Const(k) => &self.consts[k],
        }
    }
}

/// The result of a fast path, built where it is stored (a `Val` assembled
/// in a temporary and copied costs a store-forwarding stall per step).
enum Fast {
    Int(i64),
    Bool(bool),
    Car,
    Cdr,
    Cons,
    /// `vector-ref` of an index known to be in range.
    Element(usize),
}

impl Machine {
    /// An inline instruction's fast path: true when done, with the result
    /// pushed (or, for a test, its truth in `truth`). Otherwise the operands
    /// are left on the stack, in order, for the general case.
    #[inline(always)]
    pub(crate) fn inline_fast(
        &mut self,
        act: &Act,
        which: Inline,
        x: Arg,
        y: Arg,
        truth: Option<&mut bool>,
    ) -> bool {
        let (base, consts) = (act.base as usize, &act.proto.consts[..]);
        let unary = which.argc() == 1;
        let on_stack = usize::from(x.on_stack()) + usize::from(!unary && y.on_stack());
        let len = self.vals.len();
        let height = len - on_stack;
        let fast = if self.globals.inline_intact(which) {
            let ops = Operands {
                vals: &self.vals,
                base,
                free: &act.clo.free,
                consts,
            };
            let a = ops.get(x, height);
            if unary {
                fast1(which, a)
            } else {
                fast2(which, a, ops.get(y, len.saturating_sub(1)))
            }
        } else {
            None
        };
        let Some(fast) = fast else {
            for arg in [x, y].into_iter().take(which.argc()) {
                match arg.kind() {
                    ArgKind::Stack => {}
                    ArgKind::Local(s) => {
                        let v = self.vals[base + s].clone();
                        self.vals.push(v);
                    }
                    ArgKind::Free(i) => self.vals.push(act.clo.free[i].clone()),
                    ArgKind::Const(k) => self.vals.push(consts[k].clone()),
                }
            }
            return false;
        };
        // Each result is pushed where it is made.
        match fast {
            Fast::Int(i) => {
                self.truncate(height);
                self.vals.push(Val::Int(i));
            }
            Fast::Bool(b) => {
                self.truncate(height);
                match truth {
                    Some(t) => *t = b,
                    None => self.vals.push(Val::Bool(b)),
                }
            }
            Fast::Car | Fast::Cdr | Fast::Element(_) | Fast::Cons => {
                let ops = Operands {
                    vals: &self.vals,
                    base,
                    free: &act.clo.free,
                    consts,
                };
                let v = match (fast, ops.get(x, height)) {
                    (Fast::Car, Val::Pair(p)) => p.car.clone(),
                    (Fast::Cdr, Val::Pair(p)) => p.cdr.clone(),
                    (Fast::Element(i), Val::Vector(items)) => items[i].clone(),
                    (_, a) => Val::cons(a.clone(), ops.get(y, len.saturating_sub(1)).clone()),
                };
                self.truncate(height);
                match truth {
                    Some(t) => {
                        *t = !matches!(v, Val::Bool(false));
                        release(v);
                    }
                    None => self.vals.push(v),
                }
            }
        }
        true
    }

    /// An inline instruction whose fast path did not apply, its operands on
    /// the stack: the primitive on other arguments, or a call of whatever
    /// the global holds now.
    pub(crate) fn inline_slow(&mut self, act: &mut Act, which: Inline, fbase: usize) -> Exit {
        let n = which.argc();
        let args_at = self.vals.len() - n;
        let Some((gid, prim)) = self.globals.inline_global(which) else {
            let e = error(
                format!("internal error: {} is not inline", which.name()),
                vec![],
            );
            return Some(self.fail(act.clone(), e));
        };
        if !self.globals.inline_intact(which) {
            let f = match self.globals.get(gid) {
                Val::Unassigned => return Some(self.fail_unbound(act.clone(), gid)),
                f => Callee::of(f),
            };
            // Compiled in tail position, the instruction is followed by a return.
            let tail = act.proto.code.get(act.pc as usize) == Some(&Op::Return);
            return self.call(act, f, args_at, args_at, tail, fbase);
        }
        let result = match prim.kind {
            PrimKind::Pure(f) => f(&self.vals[args_at..]),
            _ => Err(error(
                "internal error: inline primitive is not pure",
                vec![],
            )),
        };
        match result {
            Ok(v) => {
                self.truncate(args_at);
                self.vals.push(v);
                None
            }
            Err(e) => Some(self.fail(act.clone(), e)),
        }
    }
}

/// What a one-operand instruction gives, when cheap and certain; `None`
/// leaves the case (another type, an error) to the primitive.
#[inline(always)]
fn fast1(which: Inline, x: &Val) -> Option<Fast> {
    Some(match (which, x) {
        (Inline::Car, Val::Pair(_)) => Fast::Car,
        (Inline::Cdr, Val::Pair(_)) => Fast::Cdr,
        (Inline::NullP, x) => Fast::Bool(matches!(x, Val::Null)),
        (Inline::PairP, x) => Fast::Bool(matches!(x, Val::Pair(_))),
        (Inline::Not, x) => Fast::Bool(matches!(x, Val::Bool(false))),
        (Inline::ZeroP, Val::Int(i)) => Fast::Bool(*i == 0),
        _ => return None,
    })
}

/// What a two-operand instruction gives, when cheap and certain.
#[inline(always)]
fn fast2(which: Inline, x: &Val, y: &Val) -> Option<Fast> {
    match which {
        Inline::Cons => Some(Fast::Cons),
        Inline::EqP => Some(Fast::Bool(crate::value::eqv(x, y))),
        Inline::VectorRef => match (x, y) {
            (Val::Vector(items), Val::Int(i)) => usize::try_from(*i)
                .ok()
                .filter(|i| *i < items.len())
                .map(Fast::Element),
            _ => None,
        },
        _ => {
            let (Val::Int(a), Val::Int(b)) = (x, y) else {
                return None;
            };
            let (a, b) = (*a, *b);
            match which {
                Inline::Add => a.checked_add(b).map(Fast::Int),
                Inline::Sub => a.checked_sub(b).map(Fast::Int),
                Inline::Mul => a.checked_mul(b).map(Fast::Int),
                Inline::NumEq => Some(Fast::Bool(a == b)),
                Inline::Lt => Some(Fast::Bool(a < b)),
                Inline::Gt => Some(Fast::Bool(a > b)),
                Inline::Le => Some(Fast::Bool(a <= b)),
                Inline::Ge => Some(Fast::Bool(a >= b)),
                _ => None,
            }
        }
    }
}
