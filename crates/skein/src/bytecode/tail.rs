//! Which named `let` loops and fix groups can become jumps: those whose name
//! is only called, with their arity, in tail position of their own body.

use crate::compile::tree::{Lambda, NamedLet, Node};

/// Can the named let's loop be a jump? Only if its name is used nowhere but
/// as the operator of calls in tail position of its own body, with as many
/// arguments as it has (fixed) parameters.
pub(crate) fn loop_is_jump(nl: &NamedLet) -> bool {
    let l = &nl.lambda;
    !l.rest
        && l.next_case.is_none()
        && nl.call.args.len() == l.required
        && only_tail_calls(&l.body, 1, true, l.required)
}

/// Is the fix frame `target` frames up from `node` only called, with `arity`
/// arguments, in tail position?
fn only_tail_calls(node: &Node, target: u32, tail: bool, arity: usize) -> bool {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
        let here = |n: &Node, tail: bool| only_tail_calls(n, target, tail, arity);
        let inner = |n: &Node, tail: bool| only_tail_calls(n, target + 1, tail, arity);
        let unused_in =
            |l: &Lambda, depth: u32| only_tail_calls(&l.body, target + depth, false, arity);
        match node {
            Node::FixRef(d, _) => *d != target,
            Node::Call(c) => {
                let op_ok = match &c.op {
                    Node::FixRef(d, _) if *d == target => tail && c.args.len() == arity,
                    op => here(op, false),
                };
                op_ok && c.args.iter().all(|a| here(a, false))
            }
            Node::If(rc) => here(&rc.0, false) && here(&rc.1, tail) && here(&rc.2, tail),
            Node::Seq(items) | Node::And(items) | Node::Or(items) => items
                .iter()
                .enumerate()
                .all(|(i, n)| here(n, tail && i + 1 == items.len())),
            Node::Let(l) => l.inits.iter().all(|n| here(n, false)) && inner(&l.body, tail),
            Node::Letrec(l) => l.inits.iter().all(|n| inner(n, false)) && inner(&l.body, tail),
            Node::Fix(f) => f.group.iter().all(|l| unused_in(l, 2)) && inner(&f.body, tail),
            Node::NamedLet(nl) => {
                nl.call.args.iter().all(|n| here(n, false)) && unused_in(&nl.lambda, 2)
            }
            Node::Lambda(l) => {
                let mut clause = Some(l);
                while let Some(c) = clause {
                    if !unused_in(c, 1) {
                        return false;
                    }
                    clause = c.next_case.as_ref();
                }
                true
            }
            Node::Guard(g) => unused_in(&g.handler, 1) && here(&g.body, false),
            Node::SetLocal(rc) => here(&rc.2, false),
            Node::DefineLocal(rc) => here(&rc.2, false),
            Node::SetGlobal(rc) => here(&rc.1, false),
            Node::DefineGlobal(rc) => here(&rc.1, false),
            Node::Const(_) | Node::Local(..) | Node::LocalChecked(_) | Node::Global(..) => true,
        }
    })
}
