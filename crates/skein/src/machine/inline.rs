//! The inline instructions: calls of `+`, `car`, `null?` and the other
//! common primitives, done in place on slots, constants and stack values
//! while their globals hold the primitives.

use crate::bytecode::proto::{Arg, Op, Operands};
use crate::machine::fast::{fast1, fast2, fixnum, fixnums, Fast};
use crate::machine::frame::Act;
use crate::machine::{Callee, Exit, Machine};
use crate::values::prim::Inline;
use crate::values::prim::PrimKind;
use crate::values::value::{error, release, BoolBits, Val};

/// Where an instruction's operands live: the stack, the activation's
/// window and free variables, and its procedure's constants.
struct Places<'a> {
    vals: &'a [Val],
    base: usize,
    free: &'a [Val],
    consts: &'a [Val],
}

impl<'a> Places<'a> {
    /// An operand of kind `kind`; a stack operand is at `at`.
    #[inline(always)]
    fn get(&self, kind: u8, index: u16, at: usize) -> &'a Val {
        match kind {
            Operands::STACK => &self.vals[at],
            Operands::LOCAL => &self.vals[self.base + index as usize],
            Operands::FREE => &self.free[index as usize],
            _ => &self.consts[index as usize],
        }
    }

    /// Both operands (the first twice for a one-operand instruction). Each
    /// form is its own arm, so the kinds are constants there and finding
    /// the operands costs one dispatch.
    #[inline(always)]
    fn fetch(&self, ops: Operands) -> (&'a Val, &'a Val) {
        let top = self.vals.len();
        macro_rules! forms {
            ($($form:expr),*) => {
                match ops.form {
                    $($form => {
                        let probe = Operands { form: $form, x: 0, y: 0 };
                        let (kx, ky) = probe.kinds();
                        let x_at = top.wrapping_sub(probe.stacked());
                        let x = self.get(kx, ops.x, x_at);
                        if probe.unary() {
                            (x, x)
                        } else {
                            (x, self.get(ky, ops.y, top.wrapping_sub(1)))
                        }
                    })*
                    _ => {
                        let (kx, ky) = ops.kinds();
                        let x = self.get(kx, ops.x, top.wrapping_sub(ops.stacked()));
                        (x, self.get(ky, ops.y, top.wrapping_sub(1)))
                    }
                }
            };
        }
        forms!(
            0x00, 0x04, 0x08, 0x0c, 0x05, 0x09, 0x0d, 0x06, 0x0a, 0x0e, 0x07, 0x0b, 0x0f, 0x10,
            0x11, 0x12, 0x13
        )
    }
}

impl Machine {
    /// An inline instruction's fast path: true when done, with the result
    /// (negated for `InlineNot` and `TestNot`) pushed, or for a test its
    /// truth in `truth`. Otherwise the operands
    /// are left on the stack, in order, for the general case.
    #[inline(always)]
    pub(crate) fn inline_fast(
        &mut self,
        act: &Act,
        which: Inline,
        ops: Operands,
        negated: bool,
        truth: Option<&mut bool>,
    ) -> bool {
        let intact = self.globals.inline_intact(which)
            && (!negated || self.globals.inline_intact(Inline::Not));
        if !intact {
            self.push_operands(act, ops);
            return false;
        }
        let places = Places {
            vals: &self.vals,
            base: act.base as usize,
            free: &act.clo.free,
            consts: &act.proto.consts,
        };
        let (x, y) = places.fetch(ops);
        let fast = if ops.unary() {
            fast1(which, x)
        } else {
            fast2(which, x, y)
        };
        let Some(fast) = fast else {
            self.push_operands(act, ops);
            return false;
        };
        let height = self.vals.len() - ops.stacked();
        // Each result is pushed where it is made.
        match fast {
            Fast::Int(i) => {
                self.truncate(height);
                self.vals.push(Val::Int(i));
            }
            Fast::Bool(b) => {
                let b = b != negated;
                self.truncate(height);
                match truth {
                    Some(t) => *t = b,
                    None => self.vals.push(Val::bool(b)),
                }
            }
            Fast::Car | Fast::Cdr | Fast::Element(_) | Fast::Cons => {
                let places = Places {
                    vals: &self.vals,
                    base: act.base as usize,
                    free: &act.clo.free,
                    consts: &act.proto.consts,
                };
                let v = match (fast, places.fetch(ops)) {
                    (Fast::Car, (Val::Pair(p), _)) => p.car.clone(),
                    (Fast::Cdr, (Val::Pair(p), _)) => p.cdr.clone(),
                    (Fast::Element(i), (Val::Vector(items), _)) => items[i].clone(),
                    (_, (x, y)) => Val::cons(x.clone(), y.clone()),
                };
                self.truncate(height);
                match truth {
                    Some(t) => {
                        *t = !matches!(v, Val::Bool(BoolBits::FALSE));
                        release(v);
                    }
                    None => self.vals.push(v),
                }
            }
        }
        true
    }

    /// `Cons`: true when done, the pair pushed; false, with the operands
    /// on the stack for the general case, when `cons` is redefined.
    /// Stack operands are moved into the pair, not copied.
    #[inline(always)]
    pub(crate) fn cons_fast(&mut self, act: &Act, ops: Operands) -> bool {
        if !self.globals.inline_intact(Inline::Cons) {
            self.push_operands(act, ops);
            return false;
        }
        let (kx, ky) = ops.kinds();
        // A stacked `y` is on top, above a stacked `x`.
        let pair = Val::cons_with(|| {
            let y = self.operand(act, ky, ops.y);
            (self.operand(act, kx, ops.x), y)
        });
        self.vals.push(pair);
        true
    }

    /// An operand of kind `kind`, popped if it is on the stack.
    #[inline(always)]
    fn operand(&mut self, act: &Act, kind: u8, index: u16) -> Val {
        match kind {
            Operands::STACK => self.pop(),
            Operands::LOCAL => self.vals[act.base as usize + index as usize].clone(),
            Operands::FREE => act.clo.free[index as usize].clone(),
            _ => act.proto.consts[index as usize].clone(),
        }
    }

    /// The fast path of the instructions specialised to fixnum operands
    /// (`ArithLocalImm` and the like): the result, or `None` to take the
    /// general path (`general_fixnum_op`).
    #[inline(always)]
    pub(crate) fn fixnum_fast(&self, which: Inline, x: &Val, y: Option<i64>) -> Option<Fast> {
        match (fixnum(x), y) {
            (Some(a), Some(b)) if self.globals.inline_intact(which) => fixnums(which, a, b),
            _ => None,
        }
    }

    /// A specialised fixnum instruction whose fast path did not apply: its
    /// operands pushed, the `Inline` instruction the general path runs.
    pub(crate) fn general_fixnum_op(&mut self, act: &Act, op: Op) -> Op {
        let base = act.base as usize;
        let (which, x, y) = match op {
            Op::ArithLocalImm(w, s, k) | Op::TestLocalImm(w, s, k) => {
                (w, self.vals[base + s as usize].clone(), Val::Int(k.into()))
            }
            Op::ArithLocals(w, s, t) | Op::TestLocals(w, _, s, t) => (
                w,
                self.vals[base + s as usize].clone(),
                self.vals[base + t as usize].clone(),
            ),
            other => return other,
        };
        self.vals.push(x);
        self.vals.push(y);
        Op::Inline(which, Operands::new(&[Arg::Stack, Arg::Stack]))
    }

    /// Push the operands that are not on the stack yet, in order, for the
    /// general case.
    fn push_operands(&mut self, act: &Act, ops: Operands) {
        let (kx, ky) = ops.kinds();
        let parts = [(kx, ops.x), (ky, ops.y)];
        for (kind, index) in parts.into_iter().take(if ops.unary() { 1 } else { 2 }) {
            let v = match kind {
                Operands::STACK => continue,
                Operands::LOCAL => self.vals[act.base as usize + index as usize].clone(),
                Operands::FREE => act.clo.free[index as usize].clone(),
                _ => act.proto.consts[index as usize].clone(),
            };
            self.vals.push(v);
        }
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
