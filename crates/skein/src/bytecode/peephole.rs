//! Peephole passes over a procedure's instructions: tests that branch in
//! place, `not`s folded into tests, fixnum operations on slots and small
//! constants, and fused instruction pairs. Each rewrites one for one, so
//! jump targets stand.

use crate::bytecode::proto::{Op, Operands};
use crate::values::prim::Inline;
use crate::values::value::Val;

/// Before a conditional jump: an inline test just emitted becomes a
/// `Test`, which the machine decides in place, branching (or jumping
/// with the value `and`/`or` keeps) without pushing a boolean. Other
/// paths that reach the jump still bring their value.
pub(crate) fn branch_on_last_test(code: &mut [Op]) {
    let Some(Op::Inline(which, ops)) = code.last().copied() else {
        return;
    };
    if !which.is_test() {
        return;
    }
    let last = code.len() - 1;
    code[last] = match (which, ops.form) {
        (Inline::NullP | Inline::PairP, f) if f == Operands::UNARY | Operands::LOCAL => {
            Op::TestLocal(which, ops.x)
        }
        _ => Op::Test(which, ops),
    };
    // A negated test before this `not` decides it too.
    if let Some(Op::InlineNot(w, o)) = last.checked_sub(1).map(|i| code[i]) {
        code[last - 1] = Op::TestNot(w, o);
    }
}

/// A `not` of the value an inline test just pushed: mark the test, so
/// its fast path negates the result and skips the `not`. Control that
/// reaches the `not` any other way (a jump) still runs it.
pub(crate) fn negate_last_test(code: &mut [Op], inline: Inline, ops: Operands) {
    if inline != Inline::Not || !ops.is_top() {
        return;
    }
    if let Some(last) = code.last_mut() {
        if let Op::Inline(which, o) = *last {
            if which.is_test() {
                *last = Op::InlineNot(which, o);
            }
        }
    }
}

/// Arithmetic and comparisons on slots and small constants become the
/// instructions that hold their operands in place (one for one, so jump
/// targets stand). Done last, after the tests and `not`s are folded.
pub(crate) fn specialise_fixnum_ops(code: &mut [Op], consts: &[Val]) {
    const LOCAL_CONST: u8 = Operands::LOCAL | Operands::CONST << 2;
    const LOCALS: u8 = Operands::LOCAL | Operands::LOCAL << 2;
    let small = |i: u16| match consts.get(i as usize) {
        Some(Val::Int(k)) => i32::try_from(*k).ok(),
        _ => None,
    };
    for op in code.iter_mut() {
        let (Op::Inline(which, ops) | Op::Test(which, ops) | Op::TestNot(which, ops)) = *op else {
            continue;
        };
        if !which.on_fixnums() {
            continue;
        }
        *op = match (*op, ops.form, small(ops.y)) {
            (Op::Inline(..), LOCAL_CONST, Some(k)) => Op::ArithLocalImm(which, ops.x, k),
            (Op::Test(..), LOCAL_CONST, Some(k)) => Op::TestLocalImm(which, ops.x, k),
            (Op::Inline(..), LOCALS, _) => Op::ArithLocals(which, ops.x, ops.y),
            (Op::Test(..), LOCALS, _) => Op::TestLocals(which, false, ops.x, ops.y),
            (Op::TestNot(..), LOCALS, _) => Op::TestLocals(which, true, ops.x, ops.y),
            (other, ..) => other,
        };
    }
}

/// Fuse the commonest pairs of instructions into the first, the second left
/// in place (a jump may land on it) and skipped by the first: `CdrLocal(s)`
/// then `CarLocal(s)`, and an `Inline` then `Return`.
pub(crate) fn fuse_pairs(code: &mut [Op]) {
    for i in 1..code.len() {
        code[i - 1] = match (code[i - 1], code[i]) {
            (Op::CdrLocal(s), Op::CarLocal(t)) if s == t => Op::CdrCarLocal(s),
            (Op::Inline(which, ops), Op::Return) => Op::InlineReturn(which, ops),
            (op, _) => op,
        };
    }
}
