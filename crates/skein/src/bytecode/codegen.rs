//! Code generation: the analysed tree to bytecode, one [`Proto`] per lambda.
//!
//! The tree addresses a variable as (frames up, slot) in a chain of runtime
//! frames. Here each frame is placed: frames made inside a procedure (its
//! parameters, `let`s, `letrec`s) become slots of that procedure's window,
//! and a variable of an enclosing procedure becomes a free variable, copied
//! into the closure when it is made (boxed variables are copied as boxes).

use std::rc::Rc;

use crate::bytecode::proto::{Arg, Capture, GroupDef, Op, Operands, Proto};
use crate::compile::globals::Globals;
use crate::compile::tree::{Lambda, NamedLet, Node};
use crate::source::Span;
use crate::values::prim::Inline;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

/// Identifies a variable while its scope is open: (scope index, slot), or
/// (scope index, `GROUP`) for the first-member closure of a fix group.
type VarKey = (usize, u32);
const GROUP: u32 = u32::MAX;

enum ScopeKind {
    /// Slot `i` of the frame is slot `first + i` of its procedure's window.
    Slots { first: u16, boxed: Box<[bool]> },
    /// A fix group; `slot` holds its first member's closure, when the
    /// procedure that makes the group refers to it.
    Fix { slot: Option<u16> },
    /// An inlined named `let`: its variables are `arity` slots from
    /// `first`, and its body starts at `head`.
    Loop { head: u32, first: u16, arity: u16 },
}

/// Where an expression's value goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// On the stack, for the code that follows.
    No,
    /// Returned from the procedure: calls here are tail calls.
    Return,
    /// On the stack, then a jump to the end of an inlined loop (exit `id`).
    Exit(usize),
}

struct Scope {
    func: usize,
    kind: ScopeKind,
}

/// How the procedure being compiled reaches a variable.
#[derive(Clone, Copy)]
enum Access {
    Local(u16),
    Free(u16),
    OwnGroup,
}

struct FreeVar {
    key: VarKey,
    capture: Capture,
}

/// One procedure being compiled.
struct Func {
    code: Vec<Op>,
    spans: Vec<Span>,
    consts: Vec<Val>,
    protos: Vec<Rc<Proto>>,
    groups: Vec<GroupDef>,
    names: Vec<Symbol>,
    /// Index into `Gen::envs`: group members and case-lambda clauses share one.
    env: usize,
    /// Set for a member of the fix group opened by this scope.
    group_scope: Option<usize>,
    next_slot: usize,
    max_slots: usize,
    span: Span,
    /// For each inlined loop in non-tail position: the jumps to its end.
    exits: Vec<Vec<usize>>,
    name_spans: Vec<(u32, Span)>,
}

impl Func {
    fn new(env: usize, slots: usize, span: Span) -> Func {
        Func {
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            protos: Vec::new(),
            groups: Vec::new(),
            names: Vec::new(),
            env,
            group_scope: None,
            next_slot: slots,
            max_slots: slots,
            span,
            exits: Vec::new(),
            name_spans: Vec::new(),
        }
    }
}

pub struct Gen<'g> {
    globals: &'g Globals,
    scopes: Vec<Scope>,
    funcs: Vec<Func>,
    envs: Vec<Vec<FreeVar>>,
}

/// Compile a top-level form into a procedure of no arguments.
pub fn toplevel(globals: &Globals, node: &Node, span: Span) -> Rc<Proto> {
    let mut g = Gen {
        globals,
        scopes: Vec::new(),
        funcs: Vec::new(),
        envs: vec![Vec::new()],
    };
    g.funcs.push(Func::new(0, 0, span));
    g.gen(node, Tail::Return);
    let f = g.funcs.pop().unwrap_or_else(|| Func::new(0, 0, span));
    Rc::new(g.finish(f, None, 0, false, false, Box::new([])))
}

impl Gen<'_> {
    fn f(&mut self) -> &mut Func {
        let last = self.funcs.len() - 1;
        &mut self.funcs[last]
    }

    fn cur(&self) -> usize {
        self.funcs.len() - 1
    }

    fn emit(&mut self, op: Op) -> usize {
        let f = self.f();
        f.code.push(op);
        f.spans.push(f.span);
        f.code.len() - 1
    }

    fn emit_at(&mut self, op: Op, span: Span) {
        let f = self.f();
        f.code.push(op);
        f.spans.push(span);
    }

    fn here(&mut self) -> u32 {
        self.f().code.len() as u32
    }

    fn patch(&mut self, at: usize, target: u32) {
        let op = &mut self.f().code[at];
        *op = match *op {
            Op::Jump(_) => Op::Jump(target),
            Op::JumpIfFalse(_) => Op::JumpIfFalse(target),
            Op::AndJump(_) => Op::AndJump(target),
            Op::OrJump(_) => Op::OrJump(target),
            other => other,
        };
    }

    fn constant(&mut self, v: Val) {
        let f = self.f();
        let i = f.consts.len() as u32;
        f.consts.push(v);
        self.emit(Op::Const(i));
    }

    fn name_index(&mut self, name: Symbol) -> u16 {
        let f = self.f();
        match f.names.iter().position(|n| *n == name) {
            Some(i) => i as u16,
            None => {
                f.names.push(name);
                (f.names.len() - 1) as u16
            }
        }
    }

    fn alloc_slots(&mut self, n: usize) -> u16 {
        let f = self.f();
        let first = f.next_slot;
        f.next_slot += n;
        f.max_slots = f.max_slots.max(f.next_slot);
        first as u16
    }

    // ---- variables ----

    /// The scope `depth` runtime frames up from the innermost.
    fn scope_at(&self, depth: u32) -> usize {
        self.scopes.len() - 1 - depth as usize
    }

    /// How procedure `func` reaches variable `key`, adding it to the free
    /// variables of every procedure in between.
    fn access(&mut self, key: VarKey, func: usize) -> Access {
        let scope = &self.scopes[key.0];
        if scope.func == func {
            return match (&scope.kind, key.1) {
                (ScopeKind::Slots { first, .. }, i) => Access::Local(first + i as u16),
                (ScopeKind::Fix { slot }, _) => Access::Local(slot.unwrap_or(0)),
                // Inlined loops are never referred to as values.
                (ScopeKind::Loop { first, .. }, _) => Access::Local(*first),
            };
        }
        if key.1 == GROUP && self.funcs[func].group_scope == Some(key.0) {
            return Access::OwnGroup;
        }
        let env = self.funcs[func].env;
        if let Some(i) = self.envs[env].iter().position(|v| v.key == key) {
            return Access::Free(i as u16);
        }
        let capture = match self.access(key, func - 1) {
            Access::Local(s) => Capture::Local(s),
            Access::Free(i) => Capture::Free(i),
            Access::OwnGroup => Capture::OwnGroup,
        };
        self.envs[env].push(FreeVar { key, capture });
        Access::Free((self.envs[env].len() - 1) as u16)
    }

    fn slot_var(&self, depth: u32, i: u32) -> (VarKey, bool) {
        let s = self.scope_at(depth);
        let boxed = match &self.scopes[s].kind {
            ScopeKind::Slots { boxed, .. } => boxed.get(i as usize).copied().unwrap_or(false),
            ScopeKind::Fix { .. } | ScopeKind::Loop { .. } => false,
        };
        ((s, i), boxed)
    }

    fn gen_local(&mut self, depth: u32, i: u32, checked: Option<(Symbol, Span)>) {
        let (key, boxed) = self.slot_var(depth, i);
        let cur = self.cur();
        let access = self.access(key, cur);
        let op = match (access, boxed, checked) {
            (Access::Local(s), false, None) => Op::Local(s),
            (Access::Local(s), true, None) => Op::LocalBox(s),
            (Access::Local(s), false, Some((name, _))) => {
                Op::LocalChecked(s, self.name_index(name))
            }
            (Access::Local(s), true, Some((name, _))) => {
                Op::LocalBoxChecked(s, self.name_index(name))
            }
            (Access::Free(i), true, Some((name, _))) => {
                Op::FreeBoxChecked(i, self.name_index(name))
            }
            (Access::Free(i), true, None) => Op::FreeBox(i),
            // Captured unboxed variables were assigned before any capture.
            (Access::Free(i), false, _) => Op::Free(i),
            (Access::OwnGroup, ..) => Op::Sibling(0),
        };
        match checked {
            Some((_, span)) => self.emit_at(op, span),
            None => {
                self.emit(op);
            }
        }
    }

    /// Push the closure of member `j` of the fix group at scope `s`.
    fn gen_fix_ref(&mut self, s: usize, j: u16) {
        let cur = self.cur();
        if self.funcs[cur].group_scope == Some(s) {
            self.emit(Op::Sibling(j));
            return;
        }
        match self.access((s, GROUP), cur) {
            Access::Local(slot) => self.emit(Op::Local(slot)),
            Access::Free(i) => self.emit(Op::Free(i)),
            Access::OwnGroup => self.emit(Op::Sibling(0)),
        };
        if j != 0 {
            self.emit(Op::GroupMember(j));
        }
    }

    // ---- expressions ----

    /// Generate `node`; `tail` says what happens to its value.
    fn gen(&mut self, node: &Node, tail: Tail) {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.gen_inner(node, tail))
    }

    /// Finish an expression in position `tail`, its value on the stack.
    fn end(&mut self, tail: Tail) {
        match tail {
            Tail::No => {}
            Tail::Return => {
                self.emit(Op::Return);
            }
            Tail::Exit(id) => {
                let j = self.emit(Op::Jump(0));
                self.f().exits[id].push(j);
            }
        }
    }

    /// A call instruction: the tail-call form when the value is returned.
    fn emit_call(&mut self, plain: Op, tail_call: Op, span: Span, tail: Tail) {
        if tail == Tail::Return {
            self.emit_at(tail_call, span);
        } else {
            self.emit_at(plain, span);
            self.end(tail);
        }
    }

    fn gen_inner(&mut self, node: &Node, tail: Tail) {
        match node {
            Node::If(rc) => {
                self.gen(&rc.0, Tail::No);
                crate::bytecode::peephole::branch_on_last_test(&mut self.f().code);
                let jf = self.emit(Op::JumpIfFalse(0));
                self.gen(&rc.1, tail);
                if tail == Tail::No {
                    let jend = self.emit(Op::Jump(0));
                    let t = self.here();
                    self.patch(jf, t);
                    self.gen(&rc.2, Tail::No);
                    let end = self.here();
                    self.patch(jend, end);
                } else {
                    let t = self.here();
                    self.patch(jf, t);
                    self.gen(&rc.2, tail);
                }
            }
            Node::Seq(body) => {
                let (last, init) = body.split_last().expect("a sequence is never empty");
                for n in init {
                    self.gen(n, Tail::No);
                    self.emit(Op::Pop);
                }
                self.gen(last, tail);
            }
            Node::And(items) | Node::Or(items) => {
                let and = matches!(node, Node::And(_));
                let (last, init) = items.split_last().expect("and/or has operands");
                let mut jumps = Vec::new();
                for n in init {
                    self.gen(n, Tail::No);
                    crate::bytecode::peephole::branch_on_last_test(&mut self.f().code);
                    jumps.push(self.emit(if and { Op::AndJump(0) } else { Op::OrJump(0) }));
                }
                self.gen(last, tail);
                let end = self.here();
                for j in jumps {
                    self.patch(j, end);
                }
                // Reached only by the jumps: the last operand ended on its own.
                self.end(tail);
            }
            Node::Call(call) => self.gen_call(&call.op, &call.args, call.span, tail),
            Node::Let(l) => {
                for init in l.inits.iter() {
                    self.gen(init, Tail::No);
                }
                let saved = self.f().next_slot;
                let first = self.alloc_slots(l.frame_size);
                for i in (0..l.inits.len()).rev() {
                    self.emit(Op::InitLocal(first + i as u16));
                }
                self.prepare_slots(first, &l.boxed, l.inits.len(), false);
                self.with_scope(first, &l.boxed, |g| g.gen(&l.body, tail));
                self.f().next_slot = saved;
            }
            Node::Letrec(l) => {
                let saved = self.f().next_slot;
                let first = self.alloc_slots(l.frame_size);
                self.prepare_slots(first, &l.boxed, 0, false);
                self.with_scope(first, &l.boxed, |g| {
                    for (i, init) in l.inits.iter().enumerate() {
                        g.gen(init, Tail::No);
                        g.emit_init(first + i as u16, l.boxed.get(i).copied().unwrap_or(false));
                    }
                    g.gen(&l.body, tail);
                });
                self.f().next_slot = saved;
            }
            Node::Fix(fix) => {
                let saved = self.f().next_slot;
                let slot = self.alloc_slots(1);
                let cur = self.cur();
                self.scopes.push(Scope {
                    func: cur,
                    kind: ScopeKind::Fix { slot: Some(slot) },
                });
                let group = self.gen_group(&fix.group);
                self.emit(Op::Group(group));
                self.emit(Op::InitLocal(slot));
                self.gen(&fix.body, tail);
                self.scopes.pop();
                self.f().next_slot = saved;
            }
            Node::NamedLet(nl) if crate::bytecode::tail::loop_is_jump(nl) => {
                self.gen_loop(nl, tail)
            }
            Node::NamedLet(nl) => {
                let cur = self.cur();
                self.scopes.push(Scope {
                    func: cur,
                    kind: ScopeKind::Fix { slot: None },
                });
                let group = self.gen_group(std::slice::from_ref(&nl.lambda));
                self.scopes.pop();
                self.emit_at(Op::Group(group), nl.call.span);
                for arg in nl.call.args.iter() {
                    self.gen(arg, Tail::No);
                }
                let n = nl.call.args.len() as u16;
                self.emit_call(Op::Call(n), Op::TailCall(n), nl.call.span, tail);
            }
            Node::Guard(g) => {
                let handler = self.gen_lambda(&g.handler);
                self.emit(Op::Closure(handler));
                match &g.body {
                    Node::Lambda(body) => {
                        let body = self.gen_lambda(body);
                        self.emit(Op::Closure(body));
                    }
                    other => {
                        // Not produced by the compiler; evaluate it as a thunk's value.
                        self.gen(other, Tail::No);
                    }
                }
                self.emit(Op::Guard);
                self.end(tail);
            }
            simple => {
                self.gen_simple(simple);
                self.end(tail);
            }
        }
    }

    /// A named `let` whose loop is only ever called in tail position of its
    /// own body: its variables are slots here, and each call is a jump.
    fn gen_loop(&mut self, nl: &NamedLet, tail: Tail) {
        let l = &nl.lambda;
        for arg in nl.call.args.iter() {
            self.gen(arg, Tail::No);
        }
        let saved = self.f().next_slot;
        let first = self.alloc_slots(l.frame_size);
        let n = l.required;
        for i in (0..n).rev() {
            self.emit(Op::InitLocal(first + i as u16));
        }
        let head = self.here();
        self.prepare_slots(first, &l.boxed, n, false);
        let cur = self.cur();
        self.scopes.push(Scope {
            func: cur,
            kind: ScopeKind::Loop {
                head,
                first,
                arity: n as u16,
            },
        });
        let body_tail = match tail {
            Tail::No => {
                self.f().exits.push(Vec::new());
                Tail::Exit(self.f().exits.len() - 1)
            }
            other => other,
        };
        self.with_scope(first, &l.boxed, |g| g.gen(&l.body, body_tail));
        self.scopes.pop();
        if let Tail::Exit(id) = body_tail {
            if tail == Tail::No {
                let end = self.here();
                for j in std::mem::take(&mut self.f().exits[id]) {
                    self.patch(j, end);
                }
            }
        }
        self.f().next_slot = saved;
    }

    /// Expressions that never call: they push one value.
    fn gen_simple(&mut self, node: &Node) {
        match node {
            Node::Const(v) => self.constant(v.clone()),
            Node::Local(d, i) => self.gen_local(*d, *i, None),
            Node::LocalChecked(r) => self.gen_local(r.0, r.1, Some((r.2, r.3))),
            Node::FixRef(d, j) => {
                let s = self.scope_at(*d);
                self.gen_fix_ref(s, *j as u16);
            }
            Node::Global(id, span) => self.emit_at(Op::Global(*id), *span),
            Node::SetLocal(rc) => {
                let (d, i, value, span) = &**rc;
                self.gen(value, Tail::No);
                let (key, boxed) = self.slot_var(*d, *i);
                let cur = self.cur();
                let op = match (self.access(key, cur), boxed) {
                    (Access::Local(s), true) => Op::SetLocalBox(s),
                    (Access::Free(i), true) => Op::SetFreeBox(i),
                    // Every assigned variable is boxed; keep going if not.
                    (Access::Local(s), false) => Op::InitLocal(s),
                    _ => Op::Pop,
                };
                self.emit_at(op, *span);
                self.constant(Val::Unspecified);
            }
            Node::DefineLocal(rc) => {
                let (d, i, value) = &**rc;
                self.gen(value, Tail::No);
                let (key, boxed) = self.slot_var(*d, *i);
                let cur = self.cur();
                match self.access(key, cur) {
                    Access::Local(s) => self.emit_init(s, boxed),
                    _ => {
                        self.emit(Op::Pop);
                    }
                }
                self.constant(Val::Unspecified);
            }
            Node::SetGlobal(rc) => {
                self.gen(&rc.1, Tail::No);
                self.emit_at(Op::SetGlobal(rc.0), rc.2);
                self.constant(Val::Unspecified);
            }
            Node::DefineGlobal(rc) => {
                self.gen(&rc.1, Tail::No);
                self.emit(Op::DefineGlobal(rc.0));
                self.constant(Val::Unspecified);
            }
            Node::Lambda(l) => {
                let p = self.gen_lambda(l);
                self.emit_at(Op::Closure(p), l.span);
            }
            // `gen_inner` handles every other node.
            _ => self.constant(Val::Unspecified),
        }
    }

    fn emit_init(&mut self, slot: u16, boxed: bool) {
        self.emit(if boxed {
            Op::InitBox(slot)
        } else {
            Op::InitLocal(slot)
        });
    }

    /// Slots from `assigned` on are not yet assigned: give boxed ones a box,
    /// and mark the others unassigned unless `fresh` (a reused slot may hold
    /// an older value). Assigned boxed slots get their value boxed.
    fn prepare_slots(&mut self, first: u16, boxed: &[bool], assigned: usize, fresh: bool) {
        for (i, &b) in boxed.iter().enumerate() {
            let slot = first + i as u16;
            match (i < assigned, b) {
                (true, true) => {
                    self.emit(Op::BoxLocal(slot));
                }
                (true, false) => {}
                (false, true) => {
                    self.emit(Op::NewBox(slot));
                }
                (false, false) if !fresh => {
                    self.emit(Op::Clear(slot));
                }
                (false, false) => {}
            }
        }
    }

    fn with_scope(&mut self, first: u16, boxed: &[bool], body: impl FnOnce(&mut Self)) {
        let cur = self.cur();
        self.scopes.push(Scope {
            func: cur,
            kind: ScopeKind::Slots {
                first,
                boxed: boxed.into(),
            },
        });
        body(self);
        self.scopes.pop();
    }

    fn gen_call(&mut self, op: &Node, args: &[Node], span: Span, tail: Tail) {
        let n = args.len() as u16;
        if let Node::FixRef(d, j) = op {
            let s = self.scope_at(*d);
            // The next iteration of an inlined loop: new values, then a jump.
            if let ScopeKind::Loop { head, first, arity } = self.scopes[s].kind {
                if tail != Tail::No && arity == n && n <= u8::MAX as u16 {
                    for a in args {
                        self.gen(a, Tail::No);
                    }
                    let n = n as u8;
                    self.emit_at(Op::Loop { head, first, n }, span);
                    return;
                }
            }
            // A member of a fix group calling a member of its own group.
            let cur = self.cur();
            if self.funcs[cur].group_scope == Some(s) {
                for a in args {
                    self.gen(a, Tail::No);
                }
                let j = *j as u16;
                self.emit_call(Op::CallSibling(j, n), Op::TailCallSibling(j, n), span, tail);
                return;
            }
        }
        if let Node::Global(id, name_span) = op {
            let name = self.globals.name(*id);
            let inline = Inline::of(name.name(), args.len());
            let operands = match inline {
                Some(_) => self.gen_operands(args),
                None => {
                    for a in args {
                        self.gen(a, Tail::No);
                    }
                    Vec::new()
                }
            };
            let at = self.here();
            self.f().name_spans.push((at, *name_span));
            if let Some(inline) = inline {
                let ops = Operands::new(&operands);
                crate::bytecode::peephole::negate_last_test(&mut self.f().code, inline, ops);
                let op = match (inline, operands.as_slice()) {
                    (Inline::Car, [Arg::Local(s)]) => Op::CarLocal(*s),
                    (Inline::Cdr, [Arg::Local(s)]) => Op::CdrLocal(*s),
                    (Inline::Cons, _) => Op::Cons(ops),
                    _ => Op::Inline(inline, ops),
                };
                self.emit_at(op, span);
                // In tail position a redefined primitive is called as a tail
                // call: the machine sees the `Return` that follows.
                if tail == Tail::Return {
                    self.emit_at(Op::Return, span);
                } else {
                    self.end(tail);
                }
                return;
            }
            self.emit_call(
                Op::CallGlobal(*id, n),
                Op::TailCallGlobal(*id, n),
                span,
                tail,
            );
            return;
        }
        // A procedure in an unboxed variable is called from the variable;
        // any other is pushed below its arguments.
        let callee = match op {
            Node::Local(..) if self.is_direct_operand(op) => self.operand(op),
            _ => Arg::Stack,
        };
        let (plain, tail_call) = match callee {
            Arg::Local(s) => (Op::CallLocal(s, n), Op::TailCallLocal(s, n)),
            Arg::Free(i) => (Op::CallFree(i, n), Op::TailCallFree(i, n)),
            _ => {
                self.gen(op, Tail::No);
                (Op::Call(n), Op::TailCall(n))
            }
        };
        for a in args {
            self.gen(a, Tail::No);
        }
        self.emit_call(plain, tail_call, span, tail);
    }

    /// An inline instruction's operands: slots and constants named in place,
    /// the rest pushed. Stack operands must come first, so everything up to
    /// the last operand that needs code is pushed.
    fn gen_operands(&mut self, args: &[Node]) -> Vec<Arg> {
        let pushed = args
            .iter()
            .rposition(|a| !self.is_direct_operand(a))
            .map_or(0, |i| i + 1);
        let mut operands = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i < pushed {
                self.gen(a, Tail::No);
                operands.push(Arg::Stack);
                continue;
            }
            let operand = self.operand(a);
            operands.push(operand);
        }
        operands
    }

    /// Where an instruction finds `a`, a direct operand (see
    /// `is_direct_operand`): `Arg::Stack` when it must be pushed after all.
    fn operand(&mut self, a: &Node) -> Arg {
        match a {
            Node::Local(d, i) => {
                let (key, _) = self.slot_var(*d, *i);
                let cur = self.cur();
                match self.access(key, cur) {
                    Access::Local(s) => Arg::Local(s),
                    Access::Free(i) => Arg::Free(i),
                    Access::OwnGroup => Arg::Stack,
                }
            }
            Node::Const(v) => {
                let f = self.f();
                f.consts.push(v.clone());
                Arg::Const((f.consts.len() - 1) as u16)
            }
            _ => Arg::Stack,
        }
    }

    /// Can an inline instruction name this operand instead of pushing it?
    /// Unboxed variables (a free one only if it is already captured, or if
    /// there is room to capture it) and constants.
    fn is_direct_operand(&self, node: &Node) -> bool {
        match node {
            Node::Local(d, i) => {
                let (key, boxed) = self.slot_var(*d, *i);
                let scope = &self.scopes[key.0];
                let cur = self.cur();
                let index = if scope.func == cur {
                    match scope.kind {
                        ScopeKind::Slots { first, .. } => first as usize + *i as usize,
                        _ => usize::MAX,
                    }
                } else {
                    self.envs[self.funcs[cur].env].len()
                };
                !boxed && index <= Arg::MAX_INDEX
            }
            Node::Const(_) => self.funcs[self.cur()].consts.len() < Arg::MAX_INDEX,
            _ => false,
        }
    }

    // ---- procedures ----

    /// Compile a lambda (and its `case-lambda` clauses, which share its
    /// free variables) as a procedure made here; its index in `protos`.
    fn gen_lambda(&mut self, l: &Rc<Lambda>) -> u16 {
        let env = self.envs.len();
        self.envs.push(Vec::new());
        let proto = self.gen_proto(l, env, None);
        let captures = self.take_captures(env);
        let proto = with_captures(proto, captures);
        let f = self.f();
        f.protos.push(Rc::new(proto));
        (f.protos.len() - 1) as u16
    }

    /// A fix group's members; its index in `groups`. The innermost scope is the group's.
    fn gen_group(&mut self, members: &[Rc<Lambda>]) -> u16 {
        let env = self.envs.len();
        self.envs.push(Vec::new());
        let scope = self.scopes.len() - 1;
        let protos: Vec<Rc<Proto>> = members
            .iter()
            .map(|l| Rc::new(self.gen_proto(l, env, Some(scope))))
            .collect();
        let captures = self.take_captures(env);
        let f = self.f();
        f.groups.push(GroupDef {
            members: protos.into(),
            captures,
        });
        (f.groups.len() - 1) as u16
    }

    fn take_captures(&mut self, env: usize) -> Box<[Capture]> {
        std::mem::take(&mut self.envs[env])
            .into_iter()
            .map(|v| v.capture)
            .collect()
    }

    fn gen_proto(&mut self, l: &Lambda, env: usize, group_scope: Option<usize>) -> Proto {
        let next = l
            .next_case
            .as_ref()
            .map(|n| Rc::new(self.gen_proto(n, env, group_scope)));
        let params = l.required + usize::from(l.rest);
        let mut func = Func::new(env, l.frame_size, l.span);
        func.group_scope = group_scope;
        self.funcs.push(func);
        // A new window's slots start unassigned.
        self.prepare_slots(0, &l.boxed, params, true);
        self.with_scope(0, &l.boxed, |g| g.gen(&l.body, Tail::Return));
        let f = self.funcs.pop().expect("pushed above");
        let mut proto = self.finish(f, l.name, l.required, l.rest, l.is_loop, Box::new([]));
        proto.params = l.params.clone();
        proto.with_next(next)
    }

    fn finish(
        &self,
        f: Func,
        name: Option<Symbol>,
        required: usize,
        rest: bool,
        is_loop: bool,
        captures: Box<[Capture]>,
    ) -> Proto {
        let mut code = f.code;
        crate::bytecode::peephole::specialise_fixnum_ops(&mut code, &f.consts);
        crate::bytecode::peephole::fuse_pairs(&mut code);
        Proto {
            name,
            required,
            rest,
            params: Box::new([]),
            slots: f.max_slots,
            code: code.into(),
            spans: f.spans.into(),
            name_spans: f.name_spans.into(),
            consts: f.consts.into(),
            protos: f.protos.into(),
            groups: f.groups.into(),
            names: f.names.into(),
            captures,
            next_case: None,
            is_loop,
        }
    }
}

impl Proto {
    fn with_next(mut self, next: Option<Rc<Proto>>) -> Proto {
        self.next_case = next;
        self
    }
}

fn with_captures(mut proto: Proto, captures: Box<[Capture]>) -> Proto {
    proto.captures = captures;
    proto
}
